// Self-service events endpoint: signed JSON events start the matching workflow under its business-key id, through
// the same intake as the portal (src/requests/intake.ts).
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../logger';
import { defaultPolicy, type ApprovalPolicy } from '../policy/policy';
import { DEFAULT_SIGNATURE_TOLERANCE_SEC, verifyWebhookSignature } from '../secrets/webhook-signature';
import type { ANY_APPROVER } from '../shared/approval';
import { validate, type InputProblem } from '../shared/validation';
import { withoutSecrets } from '../requests/run-results';
import type { HttpRequestEvent } from './telemetry';
import {
  applyFrontDoorLimits,
  DEFAULT_FRONT_DOOR_LIMITS,
  rateLimit,
  serverOptions,
  type FrontDoorLimits,
} from '../requests/front-door';
import { REQUEST_KINDS, REQUEST_TYPES, type RequestType } from '../catalog';
import { createIntake, REQUEST_MEMO, type Intake } from '../requests/intake';
import { registerRequestStatus, statusPath } from '../requests/request-status';

/** Event types and the workflow each starts (the intake's request kinds). */
export const EVENT_ROUTES = REQUEST_KINDS;
export type EventType = RequestType;
export const EVENT_TYPES = REQUEST_TYPES;

const envelope = z.object({
  id: z.string().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]], {
    error: `must be one of ${EVENT_TYPES.join(', ')}`,
  }),
  data: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
});

/** Memo key holding the id of the event that started a run, to recognise it after a crash. */
export const EVENT_ID_MEMO = REQUEST_MEMO.eventId;

export interface EventsServerOptions {
  client: Client;
  taskQueue: string;
  /** HMAC-SHA256 key shared with senders. */
  secret: string;
  /** Shared with the portal; default: one made from client, taskQueue, logger and policy. */
  intake?: Intake;
  /** The approval policy of a default intake; default the built-in one with nobody allowed to approve. */
  policy?: ApprovalPolicy;
  /** The portal's user of a request (for /requests/*: the requester and approvers see their runs). */
  viewer?: (req: FastifyRequest) => string | undefined;
  /** Who may decide on runs that record no approvers of their own (PORTAL_APPROVERS); default nobody. */
  approvers?: readonly string[] | typeof ANY_APPROVER;
  /** Timeouts, connection cap, rate limits; default DEFAULT_FRONT_DOOR_LIMITS. */
  limits?: Partial<FrontDoorLimits>;
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
  /** Liveness for /healthz (is this process working?); default always ok. */
  health?: () => { ok: boolean; [detail: string]: unknown };
  /** Called for every answered request (metrics). */
  onRequest?: (e: HttpRequestEvent) => void;
  /** Readiness for /readyz (should a load balancer send requests here?); default: as /healthz. */
  ready?: () => Promise<{ ok: boolean; [detail: string]: unknown }>;
  /**
   * Addresses of reverse proxies whose X-Forwarded-* headers are believed (Fastify's `trustProxy`: IPs, CIDRs,
   * `loopback`); default none.
   */
  trustProxy?: string[];
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
  const limits = { ...DEFAULT_FRONT_DOOR_LIMITS, ...opts.limits };
  const app = Fastify({
    bodyLimit: opts.maxBodyBytes ?? 65_536,
    logger: false,
    return503OnClosing: true,
    ...serverOptions(limits),
    ...(opts.trustProxy?.length ? { trustProxy: opts.trustProxy } : {}),
  });
  applyFrontDoorLimits(app, limits);
  const intake =
    opts.intake ??
    createIntake({
      client: opts.client,
      taskQueue: opts.taskQueue,
      logger: opts.logger,
      policy: opts.policy ?? defaultPolicy([]),
    });
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
        : status === 429
          ? 'rate_limited'
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
    opts.onRequest?.({
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
    });
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

  app.get('/readyz', async (_req, reply) => {
    const ready = (await opts.ready?.()) ?? opts.health?.() ?? { ok: true };
    return reply.code(ready.ok ? 200 : 503).send({ status: ready.ok ? 'ready' : 'not_ready', ...ready });
  });

  // After the rate limiter has loaded: it hooks the routes declared from then on.
  void app.register(async (routes) => {
    // Per sender address, before the signature is checked: a flood costs little and is cut off early.
    routes.post('/events', { config: rateLimit(limits.eventsPerMinute) }, async (req, reply) => {
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
      const eventLog: Record<string, unknown> = { eventId: id, eventType: type };
      (req as { eventLog?: Record<string, unknown> }).eventLog = eventLog;

      const outcome = await intake.submit({ id, type, data }, { source: 'events' });
      if ('workflowId' in outcome && outcome.workflowId) eventLog.workflowId = outcome.workflowId;
      const base = opts.publicUrl ?? `${req.protocol}://${req.host}`;
      const accepted = (
        status: number,
        workflowId: string,
        runId: string,
        extra: Record<string, unknown> = {},
      ) =>
        reply.code(status).send({
          eventId: id,
          workflowId,
          runId,
          // Only this link (or the portal's requester and approvers) shows the request's status.
          statusUrl: `${base.replace(/\/$/, '')}${statusPath(opts.secret, workflowId)}`,
          ...(uiLink(workflowId, runId) ? { uiUrl: uiLink(workflowId, runId) } : {}),
          ...extra,
        });
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
          return fail(409, { error: outcome.error, message: outcome.message });
        case 'unavailable':
          return fail(503, { error: 'unavailable', message: outcome.message });
      }
    });

    registerRequestStatus(routes, {
      client: opts.client,
      taskQueue: opts.taskQueue,
      secret: opts.secret,
      approvers: opts.approvers ?? [],
      uiLink,
      ...(opts.viewer ? { viewer: opts.viewer } : {}),
    });
  });

  return app;
}

function invalid(reply: FastifyReply, problems: InputProblem[]) {
  const message = problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
  return reply.code(400).send({ error: 'invalid_argument', message, problems } satisfies Problem);
}

export { withoutSecrets };
