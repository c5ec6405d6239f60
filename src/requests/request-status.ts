// `GET /requests/<workflow id>`: a request's status, for those who may see it and nobody else. Only the request
// workflows of this task queue answer, and only to whoever holds the run's status link (an HMAC of the workflow id
// under the events secret, returned with the event's 202), the portal user who requested it, or an approver of it.
// Everyone else gets the same 404 as for a run that does not exist, so a guessed id (`offboard-user/<email>`) tells
// nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ANY_APPROVER } from '../shared/approval';
import { workflowIdProblem } from '../shared/workflow-ids';
import { REQUEST_WORKFLOW_TYPES } from '../catalog';
import { REQUEST_MEMO } from '../shared/request-memo';
import { runFailure, withoutSecrets } from './run-results';

/** The key of a status link: only a holder of the events secret (this service) can make one. */
export function statusLinkKey(secret: string, workflowId: string): string {
  const key = createHmac('sha256', secret).update('temporal-cloud-ops status link v1').digest();
  return createHmac('sha256', key).update(workflowId).digest('base64url');
}

function keyMatches(secret: string, workflowId: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const want = Buffer.from(statusLinkKey(secret, workflowId));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** `/requests/<encoded id>?key=…`: what the events endpoint answers with its 202. */
export function statusPath(secret: string, workflowId: string): string {
  return `/requests/${encodeURIComponent(workflowId)}?key=${statusLinkKey(secret, workflowId)}`;
}

export interface RequestStatusOptions {
  client: Client;
  taskQueue: string;
  /** The events secret, whose HMAC makes status links. */
  secret: string;
  /** The portal user of this request (session or trusted proxy), when there is a portal. */
  viewer?: (req: FastifyRequest) => string | undefined;
  /** Who may decide on runs that record no approvers of their own (PORTAL_APPROVERS). */
  approvers: readonly string[] | typeof ANY_APPROVER;
  uiLink(workflowId: string, runId: string): string | undefined;
}

const isApprover = (user: string, approvers: unknown) =>
  approvers === ANY_APPROVER || (Array.isArray(approvers) && approvers.includes(user));

export function registerRequestStatus(app: FastifyInstance, opts: RequestStatusOptions): void {
  app.get<{ Params: { '*': string }; Querystring: { key?: string } }>('/requests/*', async (req, reply) => {
    const workflowId = req.params['*'];
    const notFound = () =>
      reply.code(404).send({ error: 'not_found', message: `no request with workflow id ${workflowId}` });
    const badId = (message: string) => reply.code(400).send({ error: 'invalid_argument', message });
    if (workflowId === '') {
      return badId('give the workflow id: GET /requests/<url-encoded workflow id> (the statusUrl of a 202)');
    }
    const idProblem = workflowIdProblem(workflowId);
    if (idProblem) return badId(`the workflow id ${idProblem}`);
    // A stranger (no link, not signed in) learns nothing, not even whether the run exists.
    const byLink = keyMatches(opts.secret, workflowId, req.query.key);
    const user = byLink ? undefined : opts.viewer?.(req);
    if (!byLink && user === undefined) return notFound();
    let info;
    try {
      info = await opts.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return notFound();
      throw err;
    }
    // Only the request workflows of this task queue, not every workflow of the namespace.
    if (!REQUEST_WORKFLOW_TYPES.has(info.type) || info.taskQueue !== opts.taskQueue) return notFound();
    const run = opts.client.workflow.getHandle(workflowId, info.runId, { followRuns: false });
    const progress = await opts.client.connection
      .withDeadline(Date.now() + 3_000, () => run.query<Record<string, unknown>>('status'))
      .catch(() => undefined);

    if (!byLink) {
      const approval = progress?.approval as { approvers?: unknown } | undefined;
      const allowed =
        user === info.memo?.[REQUEST_MEMO.requestedBy] ||
        isApprover(user!, approval ? approval.approvers : opts.approvers);
      if (!allowed) return notFound();
    }

    const link = opts.uiLink(workflowId, info.runId);
    const body: Record<string, unknown> = {
      workflowId,
      runId: info.runId,
      type: info.type,
      status: info.status.name,
      done: info.status.name !== 'RUNNING',
      startTime: info.startTime.toISOString(),
      ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
      ...(typeof info.memo?.[REQUEST_MEMO.eventId] === 'string'
        ? { eventId: info.memo[REQUEST_MEMO.eventId] }
        : {}),
      ...(progress !== undefined ? { progress: withoutSecrets(progress) } : {}),
      ...(link ? { uiUrl: link } : {}),
    };
    if (info.status.name === 'COMPLETED') body.result = withoutSecrets(await run.result());
    else if (info.status.name !== 'RUNNING') body.error = await runFailure(() => run.result());
    return body;
  });
}
