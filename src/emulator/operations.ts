// One operation's request once the pipeline let it through: decoded by its dialect, settled, answered from a
// replay or applied by its handler (then persisted), and answered — unless a fault or the edge says otherwise.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AnyOperationId } from '../ops-api/types';
import type { Answers } from './answers';
import { isMutation } from './config';
import type { ServedRoute } from './dialects';
import { clientOperationId, isDelete, remember, replay, requestFingerprint } from './replays';
import { HANDLERS, type OperationRequest } from './routes';
import { contextOf, readClock, type RequestContext, type Runtime } from './runtime';

/** A delete's `?resourceVersion=`, which must then be current (empty means not given). */
function deleteVersion(operationId: AnyOperationId, req: OperationRequest): { resourceVersion?: string } {
  if (!isDelete(operationId)) return {};
  const value = (req.query as Record<string, unknown> | undefined)?.resourceVersion;
  return typeof value === 'string' && value !== '' ? { resourceVersion: value } : {};
}

/**
 * The operation's answer in the domain's terms: the first answer again for a repeat under a client-chosen id,
 * or what its handler did (remembered for repeats, persisted when it changed something).
 */
async function apply(
  rt: Runtime,
  operationId: AnyOperationId,
  request: OperationRequest,
  ctx: RequestContext,
  clientOpId: string | undefined,
): Promise<{ result: unknown; replayed: boolean }> {
  rt.store.settle(ctx.now);
  const fingerprint = clientOpId ? requestFingerprint(operationId, request) : '';
  const replayed = clientOpId
    ? replay(rt.store, clientOpId, fingerprint, rt.config.operationIdReuse)
    : undefined;
  if (replayed !== undefined) return { result: replayed, replayed: true };
  rt.realismRules.check(operationId, request, ctx.dialect.name, ctx.now);
  const result = HANDLERS[operationId](request, {
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
  if (clientOpId) remember(rt.store, clientOpId, fingerprint, result);
  if (isMutation(operationId)) await rt.persist();
  return { result, replayed: false };
}

/** Fastify's handler of one served route. */
export function operationHandler(rt: Runtime, route: ServedRoute, answer: Answers) {
  const { operationId, dialect } = route;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const ctx = contextOf(req);
    const request = dialect.decode(operationId, req);
    const mutation = isMutation(operationId);
    const clientOpId = mutation ? clientOperationId(operationId, request) : undefined;
    const lateMs = mutation ? rt.faults.commitDelayMs(operationId) : 0;
    if (lateMs > 0) {
      // The late-commit fault: the work goes on after the client has given up waiting for it.
      await sleep(lateMs, undefined, { signal: rt.closing });
      ctx.now = await readClock(rt);
    }
    const { result, replayed } = await apply(rt, operationId, request, ctx, clientOpId);
    if (lateMs > 0 && req.raw.socket?.destroyed !== false) {
      // Done after the client left: there is nobody to answer (logged like a dropped answer).
      answer.record(req, ctx, 0, 'late-commit');
      reply.hijack();
      return reply;
    }
    // Applied; the answer is the edge's (a 502 / 504 after the change): the client never hears it worked.
    if (ctx.edge) return answer.edge(reply, ctx.edge);
    if (!replayed && rt.faults.dropAfterCommit(operationId)) {
      // The change is committed; the client just never hears about it (a connection reset).
      answer.record(req, ctx, 0, 'commit-then-drop');
      reply.hijack();
      req.raw.socket?.destroy();
      return reply;
    }
    return dialect.encode(operationId, result);
  };
}
