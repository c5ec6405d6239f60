// Approvals: every run of this task queue waiting for a person (offboarding approvals, rotation cut-overs, and any
// workflow that follows the contract in ../decisions.ts), with the buttons that send its signals. Deciding is
// checked again on the server: only approvers, never on one's own request, and only while the run still waits
// for exactly that decision.
import type { FastifyInstance } from 'fastify';
import { workflowIdProblem } from '../../shared/workflow-ids';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { actionFits, ACTION_LABELS, decisionSignal, refusal, type DecisionAction } from '../decisions';
import { formValues } from '../forms';
import type { Waiting } from '../runs';
import { kindTitle } from '../steps';
import { DecisionForm, elapsed, KeyValues, runPath, Time } from '../views/components';
import { Layout } from '../views/layout';
import { messagePage } from './errors';
import { businessKey } from './requests';

/** What is being decided, in a few lines: the offboarding plan, the keys of a rotation, or the run's own words. */
function Subject({ item }: { item: Waiting }) {
  const p = item.progress;
  const plan = p.plan as
    | { user?: { email?: string; id?: string }; apiKeys?: Array<{ id: string; displayName: string }> }
    | undefined;
  if (item.decision.kind === 'approval' && plan?.user) {
    const keys = plan.apiKeys ?? [];
    return (
      <div class="subject">
        <p>
          Remove <strong>{plan.user.email ?? plan.user.id}</strong>
          {` and ${keys.length} API key${keys.length === 1 ? '' : 's'}:`}
        </p>
        {keys.length ? (
          <ul>
            {keys.map((k) => (
              <li>
                {k.displayName} <span class="muted">({k.id})</span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  if (item.decision.kind === 'cutover') {
    return (
      <div class="subject">
        <p>
          Both keys of {String(p.ownerType ?? 'owner')} <strong>{String(p.ownerId ?? '?')}</strong> are valid:
          old <code>{String(p.oldKeyId ?? '?')}</code>, new <code>{String(p.newKeyId ?? '?')}</code>. Confirm
          once every consumer uses the new key; abort to delete the new key and keep the old one.
        </p>
      </div>
    );
  }
  const { step: _step, ...rest } = p;
  return <KeyValues data={rest} />;
}

const refusalProp = (reason: string | undefined) => (reason ? { refusal: reason } : {});

export function registerApprovalsPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/approvals', async (req, reply) => {
    const user = userOf(req);
    const csrf = csrfToken(req, reply);
    const waiting = await ctx.runs.waiting();
    const now = new Date();
    return sendPage(
      reply,
      <Layout title="Approvals" user={user.id} csrf={csrf} current="approvals">
        <h1>Approvals</h1>
        {ctx.rules.approvers !== '*' && !ctx.rules.approvers.includes(user.id) ? (
          <p class="note" role="note">
            You can see what waits, but only approvers decide (PORTAL_APPROVERS).
          </p>
        ) : null}
        {waiting.length === 0 ? (
          <p class="empty">Nothing is waiting for a decision.</p>
        ) : (
          <ul class="cards">
            {waiting.map((item) => (
              <li class="card" data-workflow-id={item.run.workflowId} data-kind={item.decision.kind}>
                <h2>
                  <a href={runPath(item.run.workflowId, item.run.runId)}>
                    <span class="kind">{kindTitle(item.run.type)}</span> {businessKey(item.run.workflowId)}
                  </a>
                </h2>
                <p class="muted">
                  Requested by{' '}
                  {item.run.requestedBy ?? (item.run.source === 'events' ? 'a signed event' : 'unknown')},
                  waiting
                  {item.run.stepSince ? ` for ${elapsed(item.run.stepSince, now)}` : ''} (started{' '}
                  <Time at={item.run.startTime} />)
                </p>
                <Subject item={item} />
                <DecisionForm
                  workflowId={item.run.workflowId}
                  runId={item.run.runId}
                  decision={item.decision}
                  csrf={csrf}
                  {...refusalProp(refusal(ctx.rules, user.id, { ...item.run, progress: item.progress }))}
                />
              </li>
            ))}
          </ul>
        )}
      </Layout>,
    );
  });

  app.post('/decisions', { preHandler: app.csrfProtection }, async (req, reply) => {
    const user = userOf(req);
    const v = formValues(req.body);
    const action = v.action as DecisionAction;
    const workflowId = v.workflowId ?? '';
    const runId = v.runId ?? '';
    const comment = v.comment?.trim().slice(0, 500) || undefined;
    const refuse = (status: number, message: string) => {
      ctx.logger.warn(
        { user: user.id, workflowId, runId, action, status, reason: message },
        'portal: decision refused',
      );
      return messagePage(req, reply, status, 'Not decided', message);
    };
    if (
      !Object.hasOwn(ACTION_LABELS, action) ||
      !workflowId ||
      workflowIdProblem(workflowId) ||
      !/^[0-9a-f-]{36}$/i.test(runId)
    ) {
      return refuse(400, 'This form is incomplete; go back and try again.');
    }
    const run = await ctx.runs.get(workflowId, runId);
    if (!run) return refuse(404, `There is no run ${runId} of ${workflowId} here.`);
    const why = refusal(ctx.rules, user.id, run);
    if (why) return refuse(403, `Refused: ${why}.`);
    if (run.status !== 'RUNNING' || !actionFits(run.decision, action)) {
      return refuse(
        409,
        `${kindTitle(run.type)} ${businessKey(workflowId)} is no longer waiting for this decision.`,
      );
    }
    const signal = decisionSignal(action, user.id, comment);
    await ctx.runs.signal(workflowId, runId, signal.name, signal.args);
    ctx.logger.info(
      { user: user.id, workflowId, runId, action, signal: signal.name },
      'portal: decision sent',
    );
    return reply.redirect(`${runPath(workflowId, runId)}&decided=${action}`, 303);
  });
}
