// Client-chosen async operation ids: a mutation repeated under an id it already used gets its first answer
// again and changes nothing; the same id for another request is refused.
import { createHash } from 'node:crypto';
import type { AnyOperationId } from '../ops-api/types';
import { ApiError, invalid } from './errors';
import type { OperationRequest } from './routes';
import type { Store } from './store';

export const isDelete = (operationId: AnyOperationId): boolean => operationId.startsWith('delete');

/** A mutation's client-chosen async operation id: in the body of creates and updates, the query of deletes. */
export function clientOperationId(operationId: AnyOperationId, req: OperationRequest): string | undefined {
  const from = isDelete(operationId) ? req.query : req.body;
  const value = (from as Record<string, unknown> | undefined)?.asyncOperationId;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 128) {
    throw invalid('asyncOperationId', 'must be a string of at most 128 characters');
  }
  return value;
}

/**
 * What makes two requests "the same" for a replay: the operation, its path and its body in the domain's
 * terms, key order aside (so a /cloud repeat of a /api/v1 request is the same request too).
 */
export function requestFingerprint(operationId: AnyOperationId, req: OperationRequest): string {
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

/**
 * The first answer (without a token: createApiKey shows it once) of a mutation repeated under a client-chosen
 * id it already used; `refuse` answers every repeat with ALREADY_EXISTS instead. The same id for a different
 * request is a 400. Undefined when the id is new.
 */
export function replay(
  store: Store,
  asyncOperationId: string,
  fingerprint: string,
  reuse: 'replay' | 'refuse' = 'replay',
): unknown {
  const op = store.operations.get(asyncOperationId);
  if (!op) return undefined;
  if (reuse === 'refuse') {
    throw new ApiError(
      'already_exists',
      `async operation '${asyncOperationId}' already exists`,
      'asyncOperationId',
    );
  }
  if (op.replay?.fingerprint !== fingerprint) {
    throw invalid(
      'asyncOperationId',
      `'${asyncOperationId}' was already used by a different request (${op.operationType})`,
    );
  }
  return structuredClone(op.replay.response);
}

/** Remembers the answer of a mutation that started an operation under a client-chosen id. */
export function remember(
  store: Store,
  asyncOperationId: string,
  fingerprint: string,
  response: unknown,
): void {
  const op = store.operations.get(asyncOperationId);
  if (!op || op.replay) return;
  const { token: _secret, ...rest } = response as Record<string, unknown>;
  op.replay = { fingerprint, response: rest };
}
