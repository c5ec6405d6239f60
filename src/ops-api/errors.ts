import type { ErrorCode, OperationId } from './types';

/** Why a call failed, beyond the HTTP status: the server answered, or it never did. */
/** `invalid_request`: refused before sending (e.g. an empty path parameter). */
export type OpsApiFailureKind = 'http' | 'timeout' | 'network' | 'invalid_response' | 'invalid_request';

export interface OpsApiErrorDetails {
  operationId: OperationId;
  kind: OpsApiFailureKind;
  status?: number;
  code: ErrorCode | 'timeout' | 'network_error' | 'invalid_response' | 'unknown';
  message: string;
  field?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

// 408/429/5xx and failures to get any answer may succeed later; any other 4xx will not.
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * The one error type the client throws. It carries no request headers, so the Bearer key cannot leak
 * through it, and `toJSON` keeps serialized copies (logs, Temporal failures) to these fields.
 */
export class OpsApiError extends Error {
  readonly operationId: OperationId;
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
    this.retryable =
      details.kind === 'http' ? isRetryableStatus(details.status ?? 0) : details.kind !== 'invalid_request';
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
