// Self-service events endpoint: signed JSON events start the matching workflow under its business-key id, through
// the same intake as the portal (src/requests/intake.ts).
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../logger';
import { defaultPolicy, type ApprovalPolicy } from '../policy/policy';
import { DEFAULT_SIGNATURE_TOLERANCE_SEC } from '../secrets/webhook-signature';
import type { ANY_APPROVER } from '../shared/approval';
import { eventLogOf, registerEventPost, type Problem } from './event-post';
import type { HttpRequestEvent } from '../telemetry';
import {
  applyFrontDoorLimits,
  DEFAULT_FRONT_DOOR_LIMITS,
  serverOptions,
  type FrontDoorLimits,
} from '../requests/front-door';
import { createIntake, type Intake } from '../requests/intake';
import { registerRequestStatus } from '../requests/request-status';

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

export function buildEventsServer(opts: EventsServerOptions): FastifyInstance {
  const log = opts.logger.child({ component: 'events' });
  const limits = { ...DEFAULT_FRONT_DOOR_LIMITS, ...opts.limits };
  const maxBodyBytes = opts.maxBodyBytes ?? 65_536;
  const app = Fastify({
    bodyLimit: maxBodyBytes,
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
  app.setErrorHandler(errorHandler(log, maxBodyBytes));
  app.addHook('onResponse', async (req, reply) => {
    const ms = reply.elapsedTime;
    const route = req.routeOptions.url ?? 'unmatched';
    opts.onRequest?.({ route, method: req.method, status: reply.statusCode, durationMs: ms });
    const line = { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(ms) };
    log.info({ ...line, ...eventLogOf(req) }, 'request');
  });
  registerHealth(app, opts);

  // After the rate limiter has loaded: it hooks the routes declared from then on.
  void app.register(async (routes) => {
    registerEventPost(routes, {
      intake,
      secret: opts.secret,
      toleranceSec: opts.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC,
      nowSec: opts.nowSec ?? (() => Math.floor(Date.now() / 1000)),
      eventsPerMinute: limits.eventsPerMinute,
      ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
      uiLink,
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

/** Every failure as the API's error shape: a client's mistake says what it was, the server's own says nothing. */
function errorHandler(log: Logger, maxBodyBytes: number) {
  return (err: { statusCode?: number; message: string }, req: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) log.error({ err, url: req.url }, 'events endpoint error');
    const known: Record<number, Problem> = {
      413: { error: 'payload_too_large', message: `body exceeds ${maxBodyBytes} bytes` },
      415: { error: 'unsupported_media_type', message: 'send Content-Type: application/json' },
      429: { error: 'rate_limited', message: err.message },
    };
    const problem: Problem =
      (Object.hasOwn(known, status) ? known[status] : undefined) ??
      (status < 500
        ? { error: 'invalid_argument', message: err.message }
        : { error: 'internal', message: 'internal error' });
    void reply.code(status).send(problem);
  };
}

/** `/healthz` (is this process working?) and `/readyz` (should a load balancer send requests here?). */
function registerHealth(app: FastifyInstance, opts: Pick<EventsServerOptions, 'health' | 'ready'>): void {
  app.get('/healthz', async (_req, reply) => {
    const health = opts.health?.() ?? { ok: true };
    return reply.code(health.ok ? 200 : 503).send({ status: health.ok ? 'ok' : 'unavailable', ...health });
  });
  app.get('/readyz', async (_req, reply) => {
    const ready = (await opts.ready?.()) ?? opts.health?.() ?? { ok: true };
    return reply.code(ready.ok ? 200 : 503).send({ status: ready.ok ? 'ready' : 'not_ready', ...ready });
  });
}
