import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { OpsApiError, type AsyncOperationResponse } from '../ops-api';
import { FailureType } from '../shared/failure-types';

/** Heartbeats when running as an activity; a no-op when called directly (tests, scripts). */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not inside an activity.
  }
}

/** ISO timestamps from two sources compared as instants; undefined sorts as "long ago". */
export function isAtOrAfter(isoTime: string | undefined, epochMs: number): boolean {
  return isoTime !== undefined && Date.parse(isoTime) >= epochMs;
}

export interface DeleteResult {
  outcome: 'deleting' | 'already-gone';
  asyncOperationId?: string;
}

/**
 * A delete that is safe to repeat: gone already is success, and a resource still being created or
 * changed is retried (by the activity's retry policy) until it can be deleted.
 */
export async function deleteIfExists(
  what: string,
  call: () => Promise<AsyncOperationResponse>,
): Promise<DeleteResult> {
  try {
    return { outcome: 'deleting', ...(await call()) };
  } catch (err) {
    if (err instanceof OpsApiError && err.status === 404) return { outcome: 'already-gone' };
    if (err instanceof OpsApiError && err.code === 'failed_precondition') {
      throw ApplicationFailure.create({
        type: FailureType.ResourceNotReady,
        message: `${what} cannot be deleted yet: ${err.message}`,
        nextRetryDelay: 2_000,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    throw err;
  }
}
