// Approvals: what waits for a person among the runs the user may see, and the decisions, checked again here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { workflowIdProblem } from '../../shared/workflow-ids';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { actionFits, ACTION_LABELS, decisionSignal, refusal, type DecisionAction } from '../decisions';
import { formValues } from '../forms';
import type { Waiting } from '../runs';
import { kindTitle } from '../steps';
import { DecisionForm, elapsed, KeyValues, runPath, Time } from '../views/components';
import { Layout } from '../views/layout';
import { RequesterText } from '../views/requester';
import type { AccessStatus } from '../../workflows/grant-temporary-access';
import { AccessAsked } from './access';
import { messagePage } from './errors';
import { businessKey, RunName } from './requests';

/** What is being decided, in a few lines: the offboarding plan, the keys of a rotation, or the run's own words. */
function Subject({ item }: { item: Waiting }) {
  const p = item.progress;
  const plan = p.plan as
    | {
        user?: { email?: string; id?: string };
        apiKeys?: Array<{ id: string; displayName: string; disabled?: boolean }>;
      }
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
                {k.displayName}{' '}
                <span class="muted">
                  ({k.id}
                  {k.disabled ? ', disabled already' : ''})
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  if (item.decision.kind === 'approval' && p.access) {
    return <AccessAsked status={p as unknown as AccessStatus} />;
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

function Card({
  item,
  user,
  csrf,
  ctx,
  now,
}: {
  item: Waiting;
  user: string;
  csrf: string;
  ctx: PortalContext;
  now: Date;
}) {
  const { run } = item;
  return (
    <li class="card" data-workflow-id={run.workflowId} data-kind={item.decision.kind}>
      <h2>
        <a href={runPath(run.workflowId, run.runId)}>
          <RunName type={run.type} workflowId={run.workflowId} />
        </a>
      </h2>
      <p class="muted">
        Requested by <RequesterText run={run} />, waiting
        {run.stepSince ? ` for ${elapsed(run.stepSince, now)}` : ''} (started <Time at={run.startTime} />)
      </p>
      <Subject item={item} />
      <DecisionForm
        workflowId={run.workflowId}
        runId={run.runId}
        decision={item.decision}
        csrf={csrf}
        {...refusalProp(refusal(ctx.rules, user, { ...run, progress: item.progress }))}
      />
    </li>
  );
}

export function registerApprovalsPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/approvals', async (req, reply) => {
    const user = userOf(req);
    const csrf = csrfToken(req, reply);
    const waiting = await ctx.runs.waiting(user.id);
    const now = new Date();
    return sendPage(
      reply,
      <Layout title="Approvals" user={user.id} csrf={csrf} current="approvals">
        <h1>Approvals</h1>
        <p class="muted">What waits for a decision among your own requests and those you may decide on.</p>
        {waiting.length === 0 ? (
          <p class="empty">Nothing is waiting for a decision.</p>
        ) : (
          <ul class="cards">
            {waiting.map((item) => (
              <Card item={item} user={user.id} csrf={csrf} ctx={ctx} now={now} />
            ))}
          </ul>
        )}
      </Layout>,
    );
  });
  app.post('/decisions', { preHandler: app.csrfProtection }, async (req, reply) => decide(req, reply, ctx));
}

/** A decision from the form: checked here as the run will check it, then sent as the run's signal. */
async function decide(req: FastifyRequest, reply: FastifyReply, ctx: PortalContext) {
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
  const run = await ctx.runs.get(workflowId, runId, user.id);
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
  ctx.logger.info({ user: user.id, workflowId, runId, action, signal: signal.name }, 'portal: decision sent');
  return reply.redirect(`${runPath(workflowId, runId)}&decided=${action}`, 303);
}
