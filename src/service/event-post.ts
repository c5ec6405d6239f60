// `POST /events`: a signed event checked (signature, then envelope), handed to the intake, and answered.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { verifyWebhookSignature } from '../secrets/webhook-signature';
import { validate, type InputProblem } from '../shared/validation';
import { rateLimit } from '../requests/front-door';
import { REQUEST_TYPES, type RequestType } from '../catalog';
import type { Intake, IntakeOutcome } from '../requests/intake';
import { statusPath } from '../requests/request-status';

export interface Problem {
  error: string;
  message: string;
  problems?: InputProblem[];
}

const envelope = z.object({
  id: z.string().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
  type: z.enum(REQUEST_TYPES as [RequestType, ...RequestType[]], {
    error: `must be one of ${REQUEST_TYPES.join(', ')}`,
  }),
  data: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
});

export interface EventPostOptions {
  intake: Intake;
  /** HMAC-SHA256 key shared with senders; also the key of status links. */
  secret: string;
  toleranceSec: number;
  nowSec: () => number;
  /** Event posts per address per minute. */
  eventsPerMinute: number;
  /** Base of `statusUrl`; default from the request's Host header. */
  publicUrl?: string;
  uiLink(workflowId: string, runId: string): string | undefined;
}

/** What a request's log line adds about the event it carried (set by the handler, read by the access log). */
export type EventLog = Record<string, unknown>;
const eventLogs = new WeakMap<FastifyRequest, EventLog>();
export const eventLogOf = (req: FastifyRequest): EventLog => eventLogs.get(req) ?? {};

export function registerEventPost(routes: FastifyInstance, opts: EventPostOptions): void {
  // Per sender address, before the signature is checked: a flood costs little and is cut off early.
  routes.post('/events', { config: rateLimit(opts.eventsPerMinute) }, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const unsigned = signatureProblem(req, raw, opts);
    if (unsigned)
      return reply.code(401).send({ error: 'unauthenticated', message: unsigned } satisfies Problem);

    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      return invalid(reply, [{ field: '', message: 'body is not valid JSON' }]);
    }
    const event = validate(envelope, parsed);
    if (!event.ok) return invalid(reply, event.problems);
    const { id, type, data } = event.value;
    const eventLog: EventLog = { eventId: id, eventType: type };
    eventLogs.set(req, eventLog);

    const outcome = await opts.intake.submit({ id, type, data }, { source: 'events' });
    if ('workflowId' in outcome && outcome.workflowId) eventLog.workflowId = outcome.workflowId;
    return answer(req, reply, opts, id, outcome);
  });
}

/** Why the request is not signed by a holder of the secret, or undefined when it is. */
function signatureProblem(req: FastifyRequest, raw: Buffer, opts: EventPostOptions): string | undefined {
  const timestamp = req.headers['x-signature-timestamp'];
  const signature = req.headers['x-signature-256'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') {
    return 'missing X-Signature-256 or X-Signature-Timestamp header';
  }
  const tolerance = opts.toleranceSec;
  if (/^\d{1,12}$/.test(timestamp) && Math.abs(opts.nowSec() - Number(timestamp)) > tolerance) {
    return `X-Signature-Timestamp is more than ${tolerance} s away from the server's clock`;
  }
  if (!verifyWebhookSignature(raw, timestamp, signature, opts.secret, opts.nowSec(), tolerance)) {
    return 'invalid signature';
  }
  return undefined;
}

function answer(
  req: FastifyRequest,
  reply: FastifyReply,
  opts: EventPostOptions,
  eventId: string,
  outcome: IntakeOutcome,
) {
  const base = opts.publicUrl ?? `${req.protocol}://${req.host}`;
  const accepted = (
    status: number,
    workflowId: string,
    runId: string,
    extra: Record<string, unknown> = {},
  ) => {
    const uiUrl = opts.uiLink(workflowId, runId);
    return reply.code(status).send({
      eventId,
      workflowId,
      runId,
      // Only this link (or the portal's requester and approvers) shows the request's status.
      statusUrl: `${base.replace(/\/$/, '')}${statusPath(opts.secret, workflowId)}`,
      ...(uiUrl ? { uiUrl } : {}),
      ...extra,
    });
  };
  switch (outcome.kind) {
    case 'started':
      return accepted(202, outcome.workflowId, outcome.runId);
    case 'duplicate':
      return accepted(200, outcome.workflowId, outcome.runId, { duplicate: true });
    case 'attached':
      return accepted(200, outcome.workflowId, outcome.runId, { attached: true, status: outcome.status });
    case 'invalid':
      return invalid(
        reply,
        outcome.problems.map((p) => ({ ...p, field: p.field ? `data.${p.field}` : 'data' })),
      );
    case 'conflict':
      return reply.code(409).send({ error: outcome.error, message: outcome.message } satisfies Problem);
    case 'unavailable':
      return reply.code(503).send({ error: 'unavailable', message: outcome.message } satisfies Problem);
  }
}

function invalid(reply: FastifyReply, problems: InputProblem[]) {
  const message = problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
  return reply.code(400).send({ error: 'invalid_argument', message, problems } satisfies Problem);
}
