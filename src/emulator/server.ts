// The Fastify app: validation with the shared ajv instances, the request pipeline (pipeline.ts), errors in
// the request's dialect, 404 / 405, the operation routes of both dialects (operations.ts).
import { METHODS } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { answers, type Answers } from './answers';
import { servedRoutes } from './dialects';
import { ApiError } from './errors';
import { registerJsonBodyParser } from './json-body';
import { operationHandler } from './operations';
import { requestPipeline } from './pipeline';
import { contextIfAny, pathOf, type Runtime } from './runtime';
import type { OperationRoute } from './spec-loader';
import { validationError, type HttpPart } from './validator';

export type { RequestLogEntry, Runtime } from './runtime';

export function buildServer(rt: Runtime, routes: readonly OperationRoute[]): FastifyInstance {
  // Our own logging (answers.ts) is the only logging: Fastify's would include URLs and errors we do not vet.
  // Closing cuts every connection: Node's server otherwise waits seconds for one whose client aborted
  // (as a client that times out does), and whoever closes the emulator is done with it.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const served = servedRoutes(routes, rt);
  const answer = answers(rt, served.dialectOf);

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
  app.addHook('onRequest', requestPipeline(rt, served.dialectOf, answer));
  app.addHook('onResponse', async (req, reply) => {
    const ctx = contextIfAny(req);
    if (ctx) answer.record(req, ctx, reply.statusCode);
  });
  app.setErrorHandler(errorHandler(rt, answer));
  registerJsonBodyParser(app);
  app.setNotFoundHandler((req, reply) => {
    const path = pathOf(req.url);
    // Asking the router itself keeps Allow true to the routes registered from the spec (and HEAD for GET).
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) {
      return answer.fail(req, reply, new ApiError('not_found', `no operation at ${req.method} ${path}`));
    }
    reply.header('Allow', allowed.join(', '));
    // The Error schema has no code of its own for this; `not_found` says which part was not found.
    const message = `no operation at ${req.method} ${path}; ${path} supports ${allowed.join(', ')}`;
    return answer.fail(req, reply, new ApiError('not_found', message, undefined, 405));
  });

  for (const route of served.routes) {
    const handler = operationHandler(rt, route, answer);
    app.route({
      method: route.method,
      url: route.url,
      ...(route.schema ? { schema: route.schema } : {}),
      config: { operationId: route.operationId },
      handler: (req, reply) => handler(req, reply),
    });
  }
  return app;
}

/** An ApiError as it is; Fastify's own 4xx (malformed JSON, wrong content type, too large) as a 400-class one. */
function errorHandler(rt: Runtime, answer: Answers): Parameters<FastifyInstance['setErrorHandler']>[0] {
  return (error, req, reply) => {
    if (error instanceof ApiError) return answer.fail(req, reply, error);
    const e = error as { statusCode?: number; message?: string; code?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      const message = e.message ?? 'bad request';
      return answer.fail(req, reply, new ApiError('invalid_argument', message, 'body', e.statusCode));
    }
    rt.logger.error(
      { err: error, operationId: contextIfAny(req)?.operationId, method: req.method, path: pathOf(req.url) },
      'emulator internal error',
    );
    return answer.fail(req, reply, new ApiError('internal', 'internal error'));
  };
}
