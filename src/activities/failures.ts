import { ApplicationFailure } from '@temporalio/common';
import { OpsApiError } from '../ops-api';
import { SecretSinkError } from '../secrets';
import { FailureType } from '../shared/failure-types';

// Classified by the API's own error code (normalized by the dialect), never by the HTTP status: the real
// API's FailedPrecondition arrives as a 400, and a proxy's 404 is not the API's NotFound.
const TYPE_OF_CODE: Record<OpsApiError['code'], FailureType> = {
  invalid_argument: FailureType.InvalidArgument,
  unauthenticated: FailureType.Unauthenticated,
  permission_denied: FailureType.PermissionDenied,
  not_found: FailureType.NotFound,
  already_exists: FailureType.AlreadyExists,
  resource_version_mismatch: FailureType.ResourceVersionMismatch,
  failed_precondition: FailureType.FailedPrecondition,
  rate_limited: FailureType.RateLimited,
  internal: FailureType.ServerError,
  unavailable: FailureType.ServerError,
  timeout: FailureType.Timeout,
  network_error: FailureType.NetworkError,
  not_the_ops_api: FailureType.Misconfigured,
};

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
      type: TYPE_OF_CODE[err.code],
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
