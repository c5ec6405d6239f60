import { ApplicationFailure } from '@temporalio/common';
import { OpsApiError } from '../ops-api';
import { SecretSinkError } from '../secrets';
import { FailureType } from '../shared/failure-types';

// 400/401/403/404/409/422 cannot succeed by repeating the call; everything else may.
function typeFor(err: OpsApiError): FailureType {
  if (err.kind === 'timeout') return FailureType.Timeout;
  if (err.kind === 'network') return FailureType.NetworkError;
  if (err.kind === 'invalid_response') return FailureType.InvalidResponse;
  if (err.kind === 'invalid_request') return FailureType.InvalidArgument;
  switch (err.status) {
    case 400:
      return FailureType.InvalidArgument;
    case 401:
      return FailureType.Unauthenticated;
    case 403:
      return FailureType.PermissionDenied;
    case 404:
      return FailureType.NotFound;
    case 408:
      return FailureType.Timeout;
    case 409:
      if (err.code === 'resource_version_mismatch') return FailureType.ResourceVersionMismatch;
      if (err.code === 'failed_precondition') return FailureType.FailedPrecondition;
      if (err.code === 'already_exists') return FailureType.AlreadyExists;
      return FailureType.Conflict;
    case 422:
      return FailureType.Unprocessable;
    case 429:
      return FailureType.RateLimited;
  }
  return (err.status ?? 0) >= 500 ? FailureType.ServerError : FailureType.ClientError;
}

/**
 * Turns what an activity threw into the failure Temporal should see: typed, with retryability decided
 * here (not by the retry policy) and `Retry-After` honoured through `nextRetryDelay`.
 */
export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof OpsApiError) {
    const details = { operationId: err.operationId, status: err.status, code: err.code, field: err.field };
    return ApplicationFailure.create({
      message: err.message,
      type: typeFor(err),
      nonRetryable: !err.retryable,
      details: [details],
      ...(err.retryable && err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  if (err instanceof SecretSinkError) {
    return ApplicationFailure.create({
      message: err.message,
      type: FailureType.SecretSinkFailed,
      nonRetryable: !err.retryable,
    });
  }
  return err;
}

/** Wraps every function of an activities object so each failure passes through toApplicationFailure. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    };
    // Keep the activity type name readable in logs and stack traces.
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}
