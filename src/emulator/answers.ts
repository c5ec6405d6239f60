// How a request ends: an error in its dialect, the edge's own answer, and its line in the request log.
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WireDialect } from './dialects';
import type { ApiError } from './errors';
import { recodeConflict, type EdgeAnswer } from './real-answers';
import { contextIfAny, pathOf, type RequestContext, type RequestLogEntry, type Runtime } from './runtime';

export interface Answers {
  /** Answers with an error in the request's dialect (its status, body and, for a 429, Retry-After). */
  fail(req: FastifyRequest, reply: FastifyReply, error: ApiError, retryAfter?: number): FastifyReply;
  /** The edge's answer: its status, its own body (HTML, plain text or nothing), Retry-After only if it says so. */
  edge(reply: FastifyReply, answer: EdgeAnswer): FastifyReply;
  /** Logs the request once (admin requests at debug, and never in the request log). */
  record(req: FastifyRequest, ctx: RequestContext, status: number, fault?: RequestLogEntry['fault']): void;
}

export function answers(rt: Runtime, dialectOf: (path: string) => WireDialect): Answers {
  return {
    fail(req, reply, apiError, retryAfter) {
      const dialect = contextIfAny(req)?.dialect ?? dialectOf(pathOf(req.url));
      const error = rt.realism.on('undocumentedConflictCodes', dialect.name)
        ? recodeConflict(apiError, rt.realism.params('undocumentedConflictCodes'))
        : apiError;
      const { status, body } = dialect.error(error, retryAfter);
      if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
      return reply.code(status).type('application/json').send(body);
    },

    edge(reply, answer) {
      if (answer.retryAfterSeconds !== undefined)
        reply.header('Retry-After', String(answer.retryAfterSeconds));
      reply.code(answer.status);
      // An empty answer has no content type either (Fastify would call a string text/plain).
      return answer.contentType ? reply.type(answer.contentType).send(answer.body) : reply.send();
    },

    record(req, ctx, status, fault) {
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
    },
  };
}
