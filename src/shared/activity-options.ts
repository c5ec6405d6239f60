// The one place activity timeouts and retry policies are chosen. Workflow-safe (no Node APIs).
import type { ActivityOptions } from '@temporalio/common';

/** A single Ops API call: client timeout is 20 s, so 30 s per attempt leaves room for the worker. */
export const opsApiCall: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '15m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
  },
};

/** Calls that walk every page of a list; they heartbeat once per page. */
export const opsApiPaging: ActivityOptions = {
  ...opsApiCall,
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
};

export interface AsyncWaitOptions {
  /** Give up after this long (ms) in total; default 1 hour. */
  timeoutMs?: number;
  /** Bounds on the server's `checkDuration` hint (ms); defaults 1 s and 1 min. */
  minPollMs?: number;
  maxPollMs?: number;
  /**
   * How long a resource whose create was fulfilled may answer NOT_FOUND or PERMISSION_DENIED before that is an
   * error (the real API's read-after-create lag; see docs/real-service.md); default 2 minutes.
   */
  readAfterCreateMs?: number;
}

export const DEFAULT_ASYNC_WAIT: Required<AsyncWaitOptions> = {
  timeoutMs: 60 * 60_000,
  minPollMs: 1_000,
  maxPollMs: 60_000,
  readAfterCreateMs: 2 * 60_000,
};

/** The Terraform provider reads a new namespace every 10 s (waitForNamespaceAvailable). */
const READABLE_POLL_MS = 10_000;

/** The reads of a wait for a resource to become readable: every ~10 s, for the whole window, the first at once. */
export function readableReads(options: Required<AsyncWaitOptions>): { attempts: number; intervalMs: number } {
  const intervalMs = Math.min(Math.max(READABLE_POLL_MS, options.minPollMs), options.maxPollMs);
  return { attempts: Math.max(1, Math.ceil(options.readAfterCreateMs / intervalMs)) + 1, intervalMs };
}

/** awaitReadable's options: its retries are the reads, a fixed interval apart, and its last read answers. */
export function readableWait(reads: { attempts: number; intervalMs: number }): ActivityOptions {
  return {
    startToCloseTimeout: '30s',
    // Bounded like every other activity: the reads' window, and a last attempt's time to answer.
    scheduleToCloseTimeout: reads.attempts * reads.intervalMs + 30_000,
    retry: {
      initialInterval: reads.intervalMs,
      backoffCoefficient: 1,
      maximumInterval: reads.intervalMs,
      maximumAttempts: reads.attempts,
    },
  };
}

/** How soon a wait's worker is known lost: as soon as a single poll's attempt used to time out. */
export const ASYNC_WAIT_HEARTBEAT_TIMEOUT_MS = 30_000;

/**
 * Waiting on an async operation is one activity. A poll that finds the operation unfinished either fails with
 * `nextRetryDelay` = the server's `checkDuration` (clamped), so the server schedules the next poll on a durable
 * timer (one Action per poll), or — when the hint is shorter than the heartbeat interval — sleeps and polls again
 * inside the attempt, heartbeating once per 0.8 × heartbeat timeout (one Action per heartbeat). Either way the
 * workflow's history holds three events for the whole wait, however long it takes. An attempt may last the whole
 * wait; the heartbeat timeout notices a lost worker (a retrying attempt does not heartbeat, and a poll takes
 * well under the timeout).
 */
export function asyncWait(options: AsyncWaitOptions = {}): ActivityOptions {
  const o = { ...DEFAULT_ASYNC_WAIT, ...options };
  return {
    startToCloseTimeout: o.timeoutMs,
    scheduleToCloseTimeout: o.timeoutMs,
    heartbeatTimeout: ASYNC_WAIT_HEARTBEAT_TIMEOUT_MS,
    retry: {
      initialInterval: o.minPollMs,
      backoffCoefficient: 2,
      maximumInterval: o.maxPollMs,
      // No attempt cap: scheduleToCloseTimeout bounds the wait.
    },
  };
}
