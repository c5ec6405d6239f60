import type { AnyOperationId, ErrorCode } from './types';

/**
 * Why a call failed: the API answered with its own error (`http`), or it never did (`timeout`,
 * `network`), or the load balancer / gateway in front of it answered instead (`edge`: a 429, 502, 503 or
 * 504 whatever its body — HTML, plain text, nothing; transient, and a mutation may have been applied), or
 * what answered is not the Ops API at all (`misconfigured`: a proxy's 404, a web page with any other
 * status, a body of the wrong shape — the base URL or dialect is wrong), or the call was refused before
 * sending (`invalid_request`, e.g. an empty path parameter), or this worker held it back (`throttled`: its
 * cap on async operations in flight is reached; retryable).
 */
export type OpsApiFailureKind =
  'http' | 'timeout' | 'network' | 'edge' | 'misconfigured' | 'invalid_request' | 'throttled';

export interface OpsApiErrorDetails {
  operationId: AnyOperationId;
  kind: OpsApiFailureKind;
  status?: number;
  code: ErrorCode | 'timeout' | 'network_error' | 'not_the_ops_api';
  message: string;
  field?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** The API's own codes that may succeed later; every other code will not, whatever the HTTP status. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set<ErrorCode>(['rate_limited', 'internal', 'unavailable']);

/**
 * What the load balancer or gateway in front of the API answers, in its own words, when it or the API is
 * briefly overloaded or down: transient whatever the body (gRPC clients read them as UNAVAILABLE too).
 */
export const EDGE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

function isRetryable(details: OpsApiErrorDetails): boolean {
  switch (details.kind) {
    case 'http':
      return RETRYABLE_CODES.has(details.code);
    case 'misconfigured':
    case 'invalid_request':
      return false;
    default:
      return true; // no answer at all (timeouts, network errors), or held back by this worker
  }
}

/**
 * The one error type the client throws. It carries no request headers, so the Bearer key cannot leak
 * through it, and `toJSON` keeps serialized copies (logs, Temporal failures) to these fields.
 */
export class OpsApiError extends Error {
  readonly operationId: AnyOperationId;
  readonly kind: OpsApiFailureKind;
  readonly status: number | undefined;
  readonly code: OpsApiErrorDetails['code'];
  readonly field: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(details: OpsApiErrorDetails) {
    const where = details.status
      ? `${details.operationId} ${details.status} ${details.code}`
      : details.operationId;
    super(`${where}: ${details.message}`, details.cause ? { cause: details.cause } : undefined);
    this.name = 'OpsApiError';
    this.operationId = details.operationId;
    this.kind = details.kind;
    this.status = details.status;
    this.code = details.code;
    this.field = details.field;
    this.retryAfterMs = details.retryAfterMs;
    this.retryable = isRetryable(details);
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      operationId: this.operationId,
      kind: this.kind,
      status: this.status,
      code: this.code,
      field: this.field,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
