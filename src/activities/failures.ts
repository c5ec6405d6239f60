import { ApplicationFailure } from '@temporalio/common';
import { OpsApiError } from '../ops-api';
import { SecretSinkError } from '../secrets';
import { FailureType } from '../shared/failure-types';

// Classified by the API's own error code (normalized by the dialect), never by the HTTP status: the real
// API's FailedPrecondition arrives as a 400, and a proxy's 404 is not the API's NotFound.
function typeFor(err: OpsApiError): FailureType {
  switch (err.code) {
    case 'invalid_argument':
      return FailureType.InvalidArgument;
    case 'unauthenticated':
      return FailureType.Unauthenticated;
    case 'permission_denied':
      return FailureType.PermissionDenied;
    case 'not_found':
      return FailureType.NotFound;
    case 'already_exists':
      return FailureType.AlreadyExists;
    case 'resource_version_mismatch':
      return FailureType.ResourceVersionMismatch;
    case 'failed_precondition':
      return FailureType.FailedPrecondition;
    case 'rate_limited':
      return FailureType.RateLimited;
    case 'internal':
    case 'unavailable':
      return FailureType.ServerError;
    case 'timeout':
      return FailureType.Timeout;
    case 'network_error':
      return FailureType.NetworkError;
    case 'not_the_ops_api':
      return FailureType.Misconfigured;
  }
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
