// What the three wait designs share: names, input, result, the heartbeating design's settings and the
// hint clamp. Workflow-safe (no SDK or Node imports), so workflows and activities both use it.
import type { WaitSettings } from '../../src/workflows/common';

/** Workflow type of each design: ours first, then the two obvious alternatives. */
export const WAIT_DESIGNS = {
  activityRetries: 'waitByActivityRetries',
  workflowLoop: 'waitByWorkflowLoop',
  heartbeatActivity: 'waitByHeartbeatingActivity',
} as const;
export type WaitDesign = keyof typeof WAIT_DESIGNS;

export const DESIGN_LABELS: Record<WaitDesign, string> = {
  activityRetries: 'ours: one activity, polls by retries or heartbeats',
  workflowLoop: 'workflow loop: activity + timer per poll',
  heartbeatActivity: 'one long activity: polls, sleeps, heartbeats',
};

export interface WaitDesignInput {
  asyncOperationId: string;
  wait?: WaitSettings;
}

export interface WaitDesignResult {
  /** getAsyncOperation calls the wait made. */
  polls: number;
}

/**
 * The heartbeating activity polls on a task queue of its own (this suffix on the workflow's), served by
 * a second worker in the bench worker process, so the product's worker registers nothing extra.
 */
export const HEARTBEAT_TASK_QUEUE_SUFFIX = '-heartbeat';
/** As long as the product gives one poll (startToCloseTimeout), so a lost worker is noticed as fast. */
export const HEARTBEAT_TIMEOUT_MS = 30_000;
/** Longest sleep between heartbeats, well inside the timeout; the SDK throttles what reaches the server. */
export const HEARTBEAT_EVERY_MS = HEARTBEAT_TIMEOUT_MS / 3;

export const FAILED_OPERATION_STATES: readonly string[] = ['failed', 'cancelled', 'rejected'];

/**
 * The server's checkDuration hint clamped to [minPollMs, maxPollMs], as the product's wait does. (The
 * product's parser lives in activity code, which workflow code may not import.)
 */
export function nextPollMs(
  checkDuration: string | undefined,
  bounds: { minPollMs: number; maxPollMs: number },
): number {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(checkDuration?.trim() ?? '');
  const hint = m ? Math.round(Number(m[1]) * 1000) : bounds.minPollMs;
  return Math.min(Math.max(hint, bounds.minPollMs), bounds.maxPollMs);
}
