// Self-service events endpoint: signed JSON events start the matching workflow under its business-key id.
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { WorkflowIdReusePolicy } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { argsFingerprint, invalidArgumentMessage, startOrAttach, WorkflowIdTakenError } from '../client';
import type { Logger } from '../logger';
import { DEFAULT_SIGNATURE_TOLERANCE_SEC, verifyWebhookSignature } from '../secrets/webhook-signature';
import {
  decommissionNamespaceInput,
  offboardUserInput,
  provisionNamespaceInput,
  rotateApiKeyInput,
  validate,
  type InputProblem,
} from '../shared/validation';
import {
  accessWorkflowIds,
  workflowIdProblem,
  workflowIdReusePolicies,
  workflowIds,
} from '../shared/workflow-ids';
import type { EventStore } from './event-store';

interface EventRoute {
  workflowType: string;
  schema: z.ZodType;
  /** The business key; a problem when the input lacks what the key needs. */
  workflowId(data: Record<string, unknown>): string | InputProblem;
  /** The field of `data` the key is made from, named when the id cannot be used. */
  keyField(data: Record<string, unknown>): string;
  /** The same policy as the CLI starter, so an event and a CLI start of the same key behave alike. */
  reusePolicy: WorkflowIdReusePolicy | undefined;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const EVENT_ROUTES = {
  'namespace.requested': {
    workflowType: 'provisionNamespace',
    schema: provisionNamespaceInput,
    workflowId: (d) => workflowIds.provisionNamespace(str(d.name)),
    keyField: () => 'name',
    reusePolicy: workflowIdReusePolicies.provisionNamespace,
  },
  'namespace.decommission.requested': {
    workflowType: 'decommissionNamespace',
    schema: decommissionNamespaceInput,
    workflowId: (d) => workflowIds.decommissionNamespace(str(d.name)),
    keyField: () => 'name',
    reusePolicy: workflowIdReusePolicies.decommissionNamespace,
  },
  'apikey.rotation.requested': {
    workflowType: 'rotateApiKey',
    schema: rotateApiKeyInput,
    // One rotation per owner at a time, so the owner must be known before starting (as in the CLI).
    workflowId: (d) =>
      d.ownerId === undefined || d.ownerType === undefined
        ? { field: 'ownerId', message: 'is required with ownerType: rotations are keyed by their owner' }
        : accessWorkflowIds.rotateApiKey(str(d.ownerType), str(d.ownerId)),
    keyField: () => 'ownerId',
    reusePolicy: workflowIdReusePolicies.rotateApiKey,
  },
  'user.offboarding.requested': {
    workflowType: 'offboardUser',
    schema: offboardUserInput,
    workflowId: (d) => accessWorkflowIds.offboardUser(str(d.email) || str(d.userId)),
    keyField: (d) => (str(d.email) ? 'email' : 'userId'),
    reusePolicy: workflowIdReusePolicies.offboardUser,
  },
} satisfies Record<string, EventRoute>;

export type EventType = keyof typeof EVENT_ROUTES;
export const EVENT_TYPES = Object.keys(EVENT_ROUTES) as EventType[];
const WORKFLOW_TYPES = new Set<string>(Object.values(EVENT_ROUTES).map((r) => r.workflowType));

const envelope = z.object({
  id: z.string().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]], {
    error: `must be one of ${EVENT_TYPES.join(', ')}`,
  }),
  data: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
});

/** Memo key holding the id of the event that started a run, to recognise it after a crash. */
export const EVENT_ID_MEMO = 'eventId';

export interface EventsServerOptions {
  client: Client;
  taskQueue: string;
  /** HMAC-SHA256 key shared with senders. */
  secret: string;
  store: EventStore;
  logger: Logger;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  /** Base of `statusUrl`; default from the request's Host header. */
  publicUrl?: string;
  /** Temporal Web UI base URL, for links in responses. */
  uiUrl?: string;
  /** Default 300 s. */
  toleranceSec?: number;
  /** Seconds since epoch; a test seam. */
  nowSec?: () => number;
  /** Readiness for /healthz; default always ready. */
  health?: () => { ok: boolean; [detail: string]: unknown };
}

interface Problem {
  error: string;
  message: string;
  problems?: InputProblem[];
}

export function buildEventsServer(opts: EventsServerOptions): FastifyInstance {
  const log = opts.logger.child({ component: 'events' });
  const nowSec = opts.nowSec ?? (() => Math.floor(Date.now() / 1000));
  const tolerance = opts.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  const app = Fastify({ bodyLimit: opts.maxBodyBytes ?? 65_536, logger: false, return503OnClosing: true });
  const namespace = opts.client.options.namespace;
  const uiLink = (workflowId: string, runId: string) =>
    opts.uiUrl
      ? `${opts.uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`
      : undefined;

  // The signature covers the exact bytes received, so the body is kept raw and parsed only after checking it.
  // JSON only: every other type (Fastify parses text/plain by default) is a 415 before the signature is read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) log.error({ err, url: req.url }, 'events endpoint error');
    const error =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status < 500
            ? 'invalid_argument'
            : 'internal';
    const message =
      status === 413
        ? `body exceeds ${opts.maxBodyBytes ?? 65_536} bytes`
        : status === 415
          ? 'send Content-Type: application/json'
          : status < 500
            ? err.message
            : 'internal error';
    void reply.code(status).send({ error, message } satisfies Problem);
  });

  app.addHook('onResponse', async (req, reply) => {
    const ctx = (req as { eventLog?: Record<string, unknown> }).eventLog ?? {};
    log.info(
      {
        method: req.method,
        url: req.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ...ctx,
      },
      'request',
    );
  });

  app.get('/healthz', async (_req, reply) => {
    const health = opts.health?.() ?? { ok: true };
    return reply.code(health.ok ? 200 : 503).send({ status: health.ok ? 'ok' : 'unavailable', ...health });
  });

  // Deliveries of one event id are handled one after another, so concurrent duplicates see the first's outcome.
  const inFlight = new Map<string, Promise<unknown>>();
  const serially = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const previous = inFlight.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(fn);
    inFlight.set(key, current);
    try {
      return await current;
    } finally {
      if (inFlight.get(key) === current) inFlight.delete(key);
    }
  };

  app.post('/events', async (req, reply) => {
    const fail = (status: number, body: Problem) => reply.code(status).send(body);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const timestamp = req.headers['x-signature-timestamp'];
    const signature = req.headers['x-signature-256'];
    if (typeof timestamp !== 'string' || typeof signature !== 'string') {
      return fail(401, {
        error: 'unauthenticated',
        message: 'missing X-Signature-256 or X-Signature-Timestamp header',
      });
    }
    if (/^\d{1,12}$/.test(timestamp) && Math.abs(nowSec() - Number(timestamp)) > tolerance) {
      return fail(401, {
        error: 'unauthenticated',
        message: `X-Signature-Timestamp is more than ${tolerance} s away from the server's clock`,
      });
    }
    if (!verifyWebhookSignature(raw, timestamp, signature, opts.secret, nowSec(), tolerance)) {
      return fail(401, { error: 'unauthenticated', message: 'invalid signature' });
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      return invalid(reply, [{ field: '', message: 'body is not valid JSON' }]);
    }
    const event = validate(envelope, parsed);
    if (!event.ok) return invalid(reply, event.problems);
    const { id, type, data } = event.value;
    const route: EventRoute = EVENT_ROUTES[type];
    const checked = validate(route.schema, data);
    if (!checked.ok) {
      return invalid(
        reply,
        checked.problems.map((p) => ({ ...p, field: p.field ? `data.${p.field}` : 'data' })),
      );
    }
    const workflowId = route.workflowId(data);
    if (typeof workflowId !== 'string')
      return invalid(reply, [{ ...workflowId, field: `data.${workflowId.field}` }]);
    const keyField = `data.${route.keyField(data)}`;
    const idProblem = workflowIdProblem(workflowId);
    if (idProblem) return invalid(reply, [{ field: keyField, message: idProblem }]);
    (req as { eventLog?: Record<string, unknown> }).eventLog = { eventId: id, eventType: type, workflowId };

    const base = opts.publicUrl ?? `${req.protocol}://${req.host}`;
    const accepted = (status: number, runId: string, extra: Record<string, unknown> = {}) =>
      reply.code(status).send({
        eventId: id,
        workflowId,
        runId,
        statusUrl: `${base.replace(/\/$/, '')}/requests/${encodeURIComponent(workflowId)}`,
        ...(uiLink(workflowId, runId) ? { uiUrl: uiLink(workflowId, runId) } : {}),
        ...extra,
      });
    const fingerprint = argsFingerprint([type, data]);

    return serially(id, async () => {
      const seen = opts.store.get(id);
      if (seen && seen.fingerprint !== fingerprint) {
        return fail(409, {
          error: 'event_id_reused',
          message: `event ${id} was already delivered with a different body; use a new id for a new request`,
        });
      }
      if (seen?.runId) return accepted(200, seen.runId, { duplicate: true });
      if (seen) {
        // An earlier delivery recorded the event but crashed before recording its run: find that run by memo.
        const runId = await runStartedBy(opts.client, seen.workflowId, id);
        if (runId) {
          await opts.store.put({ ...seen, runId });
          return accepted(200, runId, { duplicate: true });
        }
      } else {
        await opts.store.put({ eventId: id, fingerprint, type, workflowId, at: Date.now() });
      }

      try {
        const result = await startOrAttach(opts.client, route.workflowType, {
          workflowId,
          taskQueue: opts.taskQueue,
          args: [data],
          memo: { [EVENT_ID_MEMO]: id, eventType: type },
          ...(route.reusePolicy ? { workflowIdReusePolicy: route.reusePolicy } : {}),
        });
        if (!result.started && result.existing?.sameArgs === false) {
          await opts.store.delete(id);
          return fail(409, {
            error: 'conflict',
            message:
              `${workflowId} is already ${result.existing.status.toLowerCase()} with a different request; ` +
              'this event was not started (send it again once that run has finished, if it may run again)',
          });
        }
        await opts.store.put({
          eventId: id,
          fingerprint,
          type,
          workflowId,
          runId: result.runId,
          at: Date.now(),
        });
        log.info(
          { eventId: id, eventType: type, workflowId, runId: result.runId, started: result.started },
          'event accepted',
        );
        return result.started
          ? accepted(202, result.runId)
          : accepted(200, result.runId, { attached: true, status: result.existing?.status });
      } catch (err) {
        await opts.store.delete(id);
        if (err instanceof WorkflowIdTakenError) {
          return fail(409, { error: 'conflict', message: err.message });
        }
        // Temporal refused the request itself (e.g. a lower id limit than ours): retrying will not help.
        const refused = invalidArgumentMessage(err);
        if (refused !== undefined) {
          log.warn({ eventId: id, workflowId, reason: refused }, 'Temporal rejected the start as invalid');
          const field = /workflow ?id/i.test(refused) ? keyField : 'data';
          return invalid(reply, [{ field, message: `Temporal rejected it: ${refused}` }]);
        }
        log.error({ err, eventId: id, workflowId }, 'could not start workflow');
        return fail(503, {
          error: 'unavailable',
          message: 'could not start the workflow; Temporal may be unreachable, retry later',
        });
      }
    });
  });

  app.get<{ Params: { '*': string } }>('/requests/*', async (req, reply) => {
    const workflowId = req.params['*'];
    const notFound = () =>
      reply.code(404).send({ error: 'not_found', message: `no request with workflow id ${workflowId}` });
    const badId = (message: string) =>
      reply.code(400).send({ error: 'invalid_argument', message } satisfies Problem);
    if (workflowId === '') {
      return badId('give the workflow id: GET /requests/<url-encoded workflow id> (the statusUrl of a 202)');
    }
    const idProblem = workflowIdProblem(workflowId);
    if (idProblem) return badId(`the workflow id ${idProblem}`);
    const handle = opts.client.workflow.getHandle(workflowId);
    let info;
    try {
      info = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return notFound();
      throw err;
    }
    // Only the runs this endpoint can start are visible here, not every workflow of the namespace.
    if (!WORKFLOW_TYPES.has(info.type)) return notFound();
    const run = opts.client.workflow.getHandle(workflowId, info.runId, { followRuns: false });
    const progress = await opts.client.connection
      .withDeadline(Date.now() + 3_000, () => run.query<unknown>('status'))
      .catch(() => undefined);
    const body: Record<string, unknown> = {
      workflowId,
      runId: info.runId,
      type: info.type,
      status: info.status.name,
      done: info.status.name !== 'RUNNING',
      startTime: info.startTime.toISOString(),
      ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
      ...(typeof info.memo?.[EVENT_ID_MEMO] === 'string' ? { eventId: info.memo[EVENT_ID_MEMO] } : {}),
      ...(progress !== undefined ? { progress: withoutSecrets(progress) } : {}),
      ...(uiLink(workflowId, info.runId) ? { uiUrl: uiLink(workflowId, info.runId) } : {}),
    };
    if (info.status.name === 'COMPLETED') body.result = withoutSecrets(await run.result());
    else if (info.status.name !== 'RUNNING') body.error = await failureOf(() => run.result());
    return body;
  });

  return app;
}

function invalid(reply: FastifyReply, problems: InputProblem[]) {
  const message = problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
  return reply.code(400).send({ error: 'invalid_argument', message, problems } satisfies Problem);
}

async function runStartedBy(
  client: Client,
  workflowId: string,
  eventId: string,
): Promise<string | undefined> {
  try {
    const info = await client.workflow.getHandle(workflowId).describe();
    return info.memo?.[EVENT_ID_MEMO] === eventId ? info.runId : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

async function failureOf(result: () => Promise<unknown>): Promise<{ message: string; type?: string }> {
  try {
    await result();
    return { message: 'finished without a result' };
  } catch (err) {
    // WorkflowFailedError says only "Workflow execution failed"; the ApplicationFailure inside says why.
    const cause = err instanceof WorkflowFailedError && err.cause ? err.cause : err;
    const type = (cause as { type?: unknown }).type;
    return {
      message: cause instanceof Error ? cause.message : String(cause),
      ...(typeof type === 'string' ? { type } : {}),
    };
  }
}

const SECRET_KEYS = new Set(['token', 'secret', 'password', 'apikey', 'authorization']);

/** Results carry secret references, never secrets; this is a second line of defence. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEYS.has(k.toLowerCase()) ? '[redacted]' : withoutSecrets(v),
      ]),
    );
  }
  return value;
}
