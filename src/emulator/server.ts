import { createHash, timingSafeEqual } from 'node:crypto';
import { METHODS } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CLOUD_API_VERSION_HEADER } from '../ops-api/dialects';
import type { AnyOperationId } from '../ops-api/types';
import type { Clock } from './clock';
import { requireApiVersion } from './cloud-errors';
import { isMutation, type RuntimeConfig } from './config';
import { servedRoutes, type DialectName, type WireDialect } from './dialects';
import { ApiError, invalid } from './errors';
import type { FaultEngine } from './faults';
import { registerJsonBodyParser } from './json-body';
import type { PageLimits } from './pagination';
import type { TokenBucket } from './rate-limit';
import { EdgeSchedule, recodeConflict, type EdgeAnswer } from './real-answers';
import type { Realism } from './realism';
import type { RealismRules } from './realism-rules';
import { HANDLERS, type OperationRequest } from './routes';
import type { OperationRoute } from './spec-loader';
import type { Store } from './store';
import { type SchemaValidators, validationError, type HttpPart } from './validator';

export interface RequestLogEntry {
  method: string;
  path: string;
  operationId: string | undefined;
  /** `openapi` for /api/v1 (and everything else), `cloud` for /cloud. */
  dialect: DialectName;
  /** The `temporal-cloud-api-version` header of a /cloud request, as sent. */
  apiVersion?: string;
  /** HTTP status; 0 when nobody was answered (a commit-then-drop, or a late commit whose client left). */
  status: number;
  /** The fault that shaped this request's outcome, when one did so the client never heard. */
  fault?: 'commit-then-drop' | 'late-commit';
  /** Answered by the edge in front of the API (realism switch `edgeAnswers`), and which answer. */
  edge?: EdgeAnswer['name'];
  /** The emulator clock's ms when the request arrived. */
  time: number;
  /** Wall-clock ms when the request arrived. */
  wallTime: number;
}

/** Everything the HTTP layer shares with the programmatic handle. */
export interface Runtime {
  store: Store;
  faults: FaultEngine;
  config: RuntimeConfig;
  clock: Clock;
  logger: Logger;
  limits: PageLimits;
  apiKey: string;
  requestLog: RequestLogEntry[];
  bucket: TokenBucket | undefined;
  validators: SchemaValidators;
  /** Which of the real service's behaviours are on (realism.ts), and what they saw. */
  realism: Realism;
  /** Seed of the edge's draws (realism switch `edgeAnswers`): the emulator's `faultSeed`. */
  edgeSeed: number;
  /** Persists the state if a statePath was given. */
  persist(): Promise<void>;
  /** Aborted when the emulator closes: fault delays end then instead of outliving it. */
  closing: AbortSignal;
  /** What the lifecycle switches refuse before a handler runs (realism-rules.ts). */
  realismRules: RealismRules;
}

interface RequestContext {
  now: number;
  wallTime: number;
  started: number;
  operationId: AnyOperationId | undefined;
  dialect: WireDialect;
  apiVersion: string | undefined;
  admin: boolean;
  recorded: boolean;
  /** The edge's answer this request gets instead of the API's (after the change, for an after-commit one). */
  edge: EdgeAnswer | undefined;
}

const contexts = new WeakMap<FastifyRequest, RequestContext>();

export function contextOf(req: FastifyRequest): RequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('request context missing');
  return ctx;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
const pathOf = (url: string): string => url.split('?', 1)[0] ?? url;

const isDelete = (operationId: AnyOperationId): boolean => operationId.startsWith('delete');

/** A mutation's client-chosen async operation id: in the body of creates and updates, the query of deletes. */
function clientOperationId(operationId: AnyOperationId, req: OperationRequest): string | undefined {
  const from = isDelete(operationId) ? req.query : req.body;
  const value = (from as Record<string, unknown> | undefined)?.asyncOperationId;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 128) {
    throw invalid('asyncOperationId', 'must be a string of at most 128 characters');
  }
  return value;
}

/** A delete's `?resourceVersion=`, which must then be current (empty means not given). */
function deleteVersion(operationId: AnyOperationId, req: OperationRequest): { resourceVersion?: string } {
  if (!isDelete(operationId)) return {};
  const value = (req.query as Record<string, unknown> | undefined)?.resourceVersion;
  return typeof value === 'string' && value !== '' ? { resourceVersion: value } : {};
}

/**
 * What makes two requests "the same" for a replay: the operation, its path and its body in the domain's
 * terms, key order aside (so a /cloud repeat of a /api/v1 request is the same request too).
 */
function requestFingerprint(operationId: AnyOperationId, req: OperationRequest): string {
  const { asyncOperationId: _id, ...body } = (req.body ?? {}) as Record<string, unknown>;
  const unmodelled = req.unmodelled?.fields ?? {};
  return createHash('sha256')
    .update(canonicalJson({ operationId, params: req.params, body, unmodelled }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function buildServer(rt: Runtime, routes: readonly OperationRoute[]): FastifyInstance {
  // Our own logging (below) is the only logging: Fastify's would include URLs and errors we do not vet.
  // Closing cuts every connection: Node's server otherwise waits seconds for one whose client aborted
  // (as a client that times out does), and whoever closes the emulator is done with it.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const expected = digest(rt.apiKey);
  const served = servedRoutes(routes, rt);
  const edgeSchedule = new EdgeSchedule(rt.edgeSeed);

  /** Answers with an error in the request's dialect (its status, body and, for a 429, Retry-After). */
  const fail = (req: FastifyRequest, reply: FastifyReply, apiError: ApiError, retryAfter?: number) => {
    const dialect = contexts.get(req)?.dialect ?? served.dialectOf(pathOf(req.url));
    const error = rt.realism.on('undocumentedConflictCodes', dialect.name)
      ? recodeConflict(apiError, rt.realism.params('undocumentedConflictCodes'))
      : apiError;
    const { status, body } = dialect.error(error, retryAfter);
    if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
    return reply.code(status).type('application/json').send(body);
  };

  /** The edge's answer: its status, its own body (HTML, plain text or nothing), Retry-After only if it says so. */
  const edgeReply = (reply: FastifyReply, answer: EdgeAnswer) => {
    if (answer.retryAfterSeconds !== undefined) reply.header('Retry-After', String(answer.retryAfterSeconds));
    reply.code(answer.status);
    // An empty answer has no content type either (Fastify would call a string text/plain).
    return answer.contentType ? reply.type(answer.contentType).send(answer.body) : reply.send();
  };

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = rt.validators.compile(
      schema as Record<string, unknown>,
      (httpPart ?? 'body') as HttpPart,
    );
    return (data: unknown) =>
      validate(data)
        ? { value: data }
        : { error: validationError(validate.errors ?? [], httpPart ?? 'body') };
  });

  const record = (
    req: FastifyRequest,
    ctx: RequestContext,
    status: number,
    fault?: RequestLogEntry['fault'],
  ): void => {
    if (ctx.recorded) return;
    ctx.recorded = true;
    const path = pathOf(req.url);
    const durationMs = Math.round((performance.now() - ctx.started) * 10) / 10;
    if (ctx.admin) {
      rt.logger.debug({ method: req.method, path, status, durationMs }, 'emulator admin request');
      return;
    }
    const dialect = ctx.dialect.name;
    const version = ctx.apiVersion === undefined ? {} : { apiVersion: ctx.apiVersion };
    rt.requestLog.push({
      method: req.method,
      path,
      operationId: ctx.operationId,
      dialect,
      ...version,
      status,
      ...(fault ? { fault } : {}),
      ...(ctx.edge && status === ctx.edge.status ? { edge: ctx.edge.name } : {}),
      time: ctx.now,
      wallTime: ctx.wallTime,
    });
    rt.logger.info(
      { operationId: ctx.operationId, dialect, ...version, method: req.method, path, status, durationMs },
      'ops api request',
    );
  };

  app.addHook('onRequest', async (req, reply) => {
    const path = pathOf(req.url);
    const config = req.routeOptions.config as { operationId?: AnyOperationId };
    const ctx: RequestContext = {
      now: 0,
      wallTime: Date.now(),
      started: performance.now(),
      operationId: config.operationId,
      dialect: served.dialectOf(path),
      apiVersion: undefined,
      admin: path === '/_emulator' || path.startsWith('/_emulator/'),
      recorded: false,
      edge: undefined,
    };
    contexts.set(req, ctx);
    ctx.now = rt.store.advanceTo(await rt.clock.now());
    const version = req.headers[CLOUD_API_VERSION_HEADER];
    if (ctx.dialect.name === 'cloud' && typeof version === 'string') ctx.apiVersion = version;

    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      return fail(req, reply, new ApiError('unauthenticated', 'missing or invalid bearer API key'));
    }
    if (ctx.admin) return;
    if (ctx.dialect.name === 'cloud') {
      try {
        requireApiVersion(req.headers);
      } catch (error) {
        return fail(req, reply, error as ApiError);
      }
    }

    const limited = rt.bucket?.take(ctx.now);
    if (limited && !limited.ok) {
      return fail(req, reply, new ApiError('rate_limited', 'rate limit exceeded'), limited.retryAfterSeconds);
    }
    if (!ctx.operationId) return;

    // The edge in front of the API answers some requests itself: before the API sees them, or (a mutation)
    // after the API applied it, in the route handler.
    if (rt.realism.on('edgeAnswers', ctx.dialect.name)) {
      const mutation = isMutation(ctx.operationId);
      ctx.edge = edgeSchedule.next(rt.realism.params('edgeAnswers').every, mutation);
      if (ctx.edge && !(mutation && ctx.edge.afterCommit)) return edgeReply(reply, ctx.edge);
    }

    const faults = rt.faults.beforeHandler(ctx.operationId);
    if (faults.latencyMs > 0) {
      await sleep(faults.latencyMs, undefined, { signal: rt.closing });
      ctx.now = rt.store.advanceTo(await rt.clock.now());
    }
    const terminal = faults.terminal;
    if (terminal?.kind === 'rate-limit') {
      const error = new ApiError('rate_limited', 'rate limit exceeded (injected fault)');
      return fail(req, reply, error, terminal.retryAfterSeconds);
    }
    if (terminal?.kind === 'error') {
      return terminal.status === 503
        ? fail(req, reply, new ApiError('unavailable', 'service unavailable (injected fault)'))
        : fail(req, reply, new ApiError('internal', 'internal error (injected fault)'));
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const ctx = contexts.get(req);
    if (ctx) record(req, ctx, reply.statusCode);
  });

  app.setErrorHandler((error, req, reply) => {
    if (error instanceof ApiError) return fail(req, reply, error);
    const e = error as { statusCode?: number; message?: string; code?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own 4xx: malformed JSON, wrong content type, body too large.
      const message = e.message ?? 'bad request';
      return fail(req, reply, new ApiError('invalid_argument', message, 'body', e.statusCode));
    }
    rt.logger.error(
      { err: error, operationId: contexts.get(req)?.operationId, method: req.method, path: pathOf(req.url) },
      'emulator internal error',
    );
    return fail(req, reply, new ApiError('internal', 'internal error'));
  });

  registerJsonBodyParser(app);

  app.setNotFoundHandler((req, reply) => {
    const path = pathOf(req.url);
    // Asking the router itself keeps Allow true to the routes registered from the spec (and HEAD for GET).
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) {
      return fail(req, reply, new ApiError('not_found', `no operation at ${req.method} ${path}`));
    }
    reply.header('Allow', allowed.join(', '));
    // The Error schema has no code of its own for this; `not_found` says which part was not found.
    const message = `no operation at ${req.method} ${path}; ${path} supports ${allowed.join(', ')}`;
    return fail(req, reply, new ApiError('not_found', message, undefined, 405));
  });

  for (const route of served.routes) {
    const handler = HANDLERS[route.operationId];
    const { operationId, dialect } = route;
    app.route({
      method: route.method,
      url: route.url,
      ...(route.schema ? { schema: route.schema } : {}),
      config: { operationId },
      handler: async (req, reply) => {
        const ctx = contextOf(req);
        const request = dialect.decode(operationId, req);
        const mutation = isMutation(operationId);
        const clientOpId = mutation ? clientOperationId(operationId, request) : undefined;
        const lateMs = mutation ? rt.faults.commitDelayMs(operationId) : 0;
        if (lateMs > 0) {
          // The late-commit fault: the work goes on after the client has given up waiting for it.
          await sleep(lateMs, undefined, { signal: rt.closing });
          ctx.now = rt.store.advanceTo(await rt.clock.now());
        }
        rt.store.settle(ctx.now);
        const fingerprint = clientOpId ? requestFingerprint(operationId, request) : '';
        const replayed = clientOpId
          ? rt.store.replay(clientOpId, fingerprint, rt.config.operationIdReuse)
          : undefined;
        let result = replayed;
        if (result === undefined) {
          rt.realismRules.check(operationId, request, dialect.name, ctx.now);
          result = handler(request, {
            store: rt.store,
            limits: rt.limits,
            mutation: {
              now: ctx.now,
              failReason: () => rt.faults.asyncFailure(operationId),
              ...(clientOpId ? { asyncOperationId: clientOpId } : {}),
              ...deleteVersion(operationId, request),
              ...(request.unmodelled ? { unmodelled: request.unmodelled } : {}),
            },
          });
          if (clientOpId) rt.store.remember(clientOpId, fingerprint, result);
          if (mutation) await rt.persist();
        }
        if (lateMs > 0 && req.raw.socket?.destroyed !== false) {
          // Done after the client left: there is nobody to answer (logged like a dropped answer).
          record(req, ctx, 0, 'late-commit');
          reply.hijack();
          return reply;
        }
        // Applied; the answer is the edge's (a 502 / 504 after the change): the client never hears it worked.
        if (ctx.edge) return edgeReply(reply, ctx.edge);
        if (replayed !== undefined) return dialect.encode(operationId, replayed);
        if (rt.faults.dropAfterCommit(operationId)) {
          // The change is committed; the client just never hears about it (a connection reset).
          record(req, ctx, 0, 'commit-then-drop');
          reply.hijack();
          req.raw.socket?.destroy();
          return reply;
        }
        return dialect.encode(operationId, result);
      },
    });
  }
  return app;
}
