// Temporary access: what is granted now among the requests the user may see, the soonest to end first, with who
// asked, who approved and when it ends; "Revoke now" ends one early (the run takes back what it granted).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { grantTemporaryAccessKind } from '../../catalog';
import { workflowIdProblem } from '../../shared/workflow-ids';
import type { AccessStatus } from '../../workflows/grant-temporary-access';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { formValues } from '../forms';
import type { RunSummary } from '../runs';
import { CsrfField, runPath, CardTable, Time } from '../views/components';
import { Layout } from '../views/layout';
import { RequesterText } from '../views/requester';
import { messagePage } from './errors';

const TYPE = grantTemporaryAccessKind.workflowType;

interface Granted {
  run: RunSummary;
  status: AccessStatus;
}

/** Runs whose access is granted now, soonest end first. */
async function grantedNow(ctx: PortalContext, user: string): Promise<Granted[]> {
  const runs = await ctx.runs.running(TYPE, user);
  return runs
    .map(({ run, progress }) => ({ run, status: progress as unknown as AccessStatus }))
    .filter(({ status }) => status.step === 'granted' && typeof status.endsAt === 'string' && status.access)
    .sort((a, b) => Date.parse(a.status.endsAt!) - Date.parse(b.status.endsAt!));
}

export function registerAccessPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get<{ Querystring: { revoked?: string } }>('/access', async (req, reply) => {
    const user = userOf(req);
    const csrf = csrfToken(req, reply);
    const granted = await grantedNow(ctx, user.id);
    const flash = req.query.revoked ? 'Asked to revoke it: the run takes back what it granted.' : undefined;
    return sendPage(
      reply,
      <Layout
        title="Temporary access"
        user={user.id}
        csrf={csrf}
        current="access"
        {...(flash ? { flash } : {})}
      >
        <h1>Temporary access</h1>
        <p>
          <a href="/new/access">Request temporary access</a> for yourself to a namespace.
        </p>
        <h2>Access that ends soon</h2>
        {granted.length === 0 ? (
          <p class="empty">No temporary access is granted now among the requests you may see.</p>
        ) : (
          <AccessTable granted={granted} csrf={csrf} />
        )}
        <p class="muted">
          Requests still waiting for a decision are on the Approvals page; when a grant ends, the permission
          the user had before comes back, and one someone else changed meanwhile is left as it is.
        </p>
      </Layout>,
    );
  });
  app.post('/access/revoke', { preHandler: app.csrfProtection }, async (req, reply) =>
    revoke(req, reply, ctx),
  );
}

const COLUMNS = ['Access', 'Requested by', 'Approved by', 'Ends', 'End early'];

function AccessTable({ granted, csrf }: { granted: Granted[]; csrf: string }) {
  return (
    <CardTable caption="Temporary access granted now, soonest end first" columns={COLUMNS} class="access">
      {granted.map((g) => (
        <AccessRow granted={g} csrf={csrf} />
      ))}
    </CardTable>
  );
}

function AccessRow({ granted: { run, status }, csrf }: { granted: Granted; csrf: string }) {
  const access = status.access!;
  return (
    <tr data-workflow-id={run.workflowId}>
      <td data-label="Access">
        <a href={runPath(run.workflowId, run.runId)}>
          <span class="id">{access.principal}</span>: {access.permission} on{' '}
          <span class="id">{access.namespace}</span>
        </a>
      </td>
      <td data-label="Requested by">
        <RequesterText run={run} />
      </td>
      <td data-label="Approved by">{status.approvedBy ?? <span class="muted">no approval needed</span>}</td>
      <td data-label="Ends">
        <Time at={status.endsAt!} />
        {status.extension ? (
          <span class="muted"> (an extension by {status.extension.duration} waits for approval)</span>
        ) : null}
      </td>
      <td data-label="End early">
        <form method="post" action="/access/revoke" class="revoke">
          <CsrfField token={csrf} />
          <input type="hidden" name="workflowId" value={run.workflowId} />
          <input type="hidden" name="runId" value={run.runId} />
          <button type="submit" class="secondary">
            Revoke now
          </button>
        </form>
      </td>
    </tr>
  );
}

/** Ends a grant early: for those who may see its run (its requester, whom it is for, its approvers). */
async function revoke(req: FastifyRequest, reply: FastifyReply, ctx: PortalContext) {
  const user = userOf(req);
  const v = formValues(req.body);
  const workflowId = v.workflowId ?? '';
  const runId = v.runId ?? '';
  if (!workflowId || workflowIdProblem(workflowId) || !/^[0-9a-f-]{36}$/i.test(runId)) {
    return messagePage(req, reply, 400, 'Not revoked', 'This form is incomplete; go back and try again.');
  }
  const run = await ctx.runs.get(workflowId, runId, user.id);
  if (!run || run.type !== TYPE) {
    return messagePage(req, reply, 404, 'Not revoked', `There is no temporary access ${workflowId} here.`);
  }
  if (run.status !== 'RUNNING') {
    return messagePage(req, reply, 409, 'Not revoked', 'This access has ended already.');
  }
  await ctx.runs.signal(workflowId, runId, 'revokeNow', [{ by: user.id, reason: 'revoked in the portal' }]);
  ctx.logger.info({ user: user.id, workflowId, runId }, 'portal: temporary access revoked');
  return reply.redirect(`/access?revoked=1`, 303);
}

/** What an access request (or an extension of it) waiting for approval asks, for its card on the Approvals page. */
export function AccessAsked({ status }: { status: AccessStatus }) {
  const access = status.access!;
  const ext = status.extension;
  return (
    <div class="subject">
      <p>
        {ext ? 'Extend ' : 'Give '}
        <strong>{access.principal}</strong> {access.permission} on <strong>{access.namespace}</strong>
        {ext ? ` by ${ext.duration}, as ${ext.requestedBy} asks` : ` for ${access.duration}`}
        {access.had && !ext ? ` (has ${access.had} there now)` : ''}.
      </p>
      <p>
        Why: {ext?.reason ?? access.reason}
        {ext && status.endsAt ? (
          <>
            {' '}
            (ends <Time at={status.endsAt} /> otherwise)
          </>
        ) : null}
      </p>
    </div>
  );
}
