// What every request goes through before its handler, in order: its context, auth (401 first), the /cloud
// version header, the rate limiter, the edge in front of the API, then latency and error faults. Each step
// either lets the request on (undefined) or is the answer.
import { createHash, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLOUD_API_VERSION_HEADER } from '../cloud-api';
import type { AnyOperationId } from '../ops-api/types';
import type { Answers } from './answers';
import { requireApiVersion } from './cloud-errors';
import { isMutation } from './config';
import type { WireDialect } from './dialects';
import { ApiError } from './errors';
import { EdgeSchedule } from './real-answers';
import { pathOf, readClock, setContext, type RequestContext, type Runtime } from './runtime';

type Step = (req: FastifyRequest, reply: FastifyReply, ctx: RequestContext) => Promise<unknown> | unknown;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The onRequest hook: the steps below in turn, until one answers. */
export function requestPipeline(rt: Runtime, dialectOf: (path: string) => WireDialect, answer: Answers) {
  const steps: Step[] = [
    authenticate(rt, answer),
    apiVersion(answer),
    rateLimit(rt, answer),
    edge(rt, answer),
    faults(rt, answer),
  ];
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const ctx = await newContext(rt, req, dialectOf);
    for (const step of steps) {
      const answered = await step(req, reply, ctx);
      if (answered !== undefined) return answered;
    }
    return undefined;
  };
}

async function newContext(
  rt: Runtime,
  req: FastifyRequest,
  dialectOf: (path: string) => WireDialect,
): Promise<RequestContext> {
  const path = pathOf(req.url);
  const config = req.routeOptions.config as { operationId?: AnyOperationId };
  const ctx: RequestContext = {
    now: 0,
    wallTime: Date.now(),
    started: performance.now(),
    operationId: config.operationId,
    dialect: dialectOf(path),
    apiVersion: undefined,
    admin: path === '/_emulator' || path.startsWith('/_emulator/'),
    recorded: false,
    edge: undefined,
  };
  setContext(req, ctx);
  ctx.now = await readClock(rt);
  const version = req.headers[CLOUD_API_VERSION_HEADER];
  if (ctx.dialect.name === 'cloud' && typeof version === 'string') ctx.apiVersion = version;
  return ctx;
}

function authenticate(rt: Runtime, answer: Answers): Step {
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const expected = digest(rt.apiKey);
  return (req, reply) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (match && timingSafeEqual(digest(match[1]!), expected)) return undefined;
    return answer.fail(req, reply, new ApiError('unauthenticated', 'missing or invalid bearer API key'));
  };
}

/** Every /cloud request carries the API version (unknown /cloud paths too); admin requests need only the key. */
function apiVersion(answer: Answers): Step {
  return (req, reply, ctx) => {
    if (ctx.admin || ctx.dialect.name !== 'cloud') return undefined;
    try {
      requireApiVersion(req.headers);
      return undefined;
    } catch (error) {
      return answer.fail(req, reply, error as ApiError);
    }
  };
}

function rateLimit(rt: Runtime, answer: Answers): Step {
  return (req, reply, ctx) => {
    if (ctx.admin) return undefined;
    const limited = rt.bucket?.take(ctx.now);
    if (!limited || limited.ok) return undefined;
    return answer.fail(
      req,
      reply,
      new ApiError('rate_limited', 'rate limit exceeded'),
      limited.retryAfterSeconds,
    );
  };
}

/** The edge in front of the API answers some requests itself: before the API sees them, or (a mutation) after. */
function edge(rt: Runtime, answer: Answers): Step {
  const schedule = new EdgeSchedule(rt.edgeSeed);
  return (_req, reply, ctx) => {
    if (!ctx.operationId || !rt.realism.on('edgeAnswers', ctx.dialect.name)) return undefined;
    const mutation = isMutation(ctx.operationId);
    ctx.edge = schedule.next(rt.realism.params('edgeAnswers').every, mutation);
    // An after-commit answer is given by the route handler, once the change is applied.
    return ctx.edge && !(mutation && ctx.edge.afterCommit) ? answer.edge(reply, ctx.edge) : undefined;
  };
}

function faults(rt: Runtime, answer: Answers): Step {
  return async (req, reply, ctx) => {
    if (!ctx.operationId) return undefined;
    const faults = rt.faults.beforeHandler(ctx.operationId);
    if (faults.latencyMs > 0) {
      await sleep(faults.latencyMs, undefined, { signal: rt.closing });
      ctx.now = await readClock(rt);
    }
    const terminal = faults.terminal;
    if (terminal?.kind === 'rate-limit') {
      const error = new ApiError('rate_limited', 'rate limit exceeded (injected fault)');
      return answer.fail(req, reply, error, terminal.retryAfterSeconds);
    }
    if (terminal?.kind !== 'error') return undefined;
    const error =
      terminal.status === 503
        ? new ApiError('unavailable', 'service unavailable (injected fault)')
        : new ApiError('internal', 'internal error (injected fault)');
    return answer.fail(req, reply, error);
  };
}
