// A finished run that answers a repeated request vouches for what it made. Its kind's check (src/catalog,
// `finishedRunCheck`: a read-only workflow, so it asks the Ops API through the worker) says whether that still
// holds; when it does not, the request starts a new run (startOrAttach's `closedRunHolds`).
import type { Client } from '@temporalio/client';
import type { AnyKind } from '../catalog';
import type { ClosedRun } from '../client';

/** How long the check may take. Without a worker nothing answers it: then the finished run is reported as before. */
export const FINISHED_RUN_CHECK_TIMEOUT_MS = 10_000;

export interface FinishedRunCheckOptions {
  client: Client;
  kind: AnyKind;
  /** The request's input. */
  input: unknown;
  taskQueue: string;
  /** The finished run's outcome no longer holds (what it made is gone): a new run starts. */
  onGone?(subject: string, run: ClosedRun): void;
  /** The check did not answer: the finished run is reported as it is. */
  onUnknown?(subject: string, err: unknown): void;
}

/** startOrAttach's `closedRunHolds` for this request; undefined for kinds without a check. */
export function finishedRunCheck(
  o: FinishedRunCheckOptions,
): ((run: ClosedRun) => Promise<boolean>) | undefined {
  const check = o.kind.finishedRunCheck;
  if (!check) return undefined;
  return async (run) => {
    // Only a completed run vouches for anything; a failed one never blocks a new start.
    if (run.status !== 'COMPLETED') return true;
    const input = check.input(o.input);
    const subject = check.subject(o.input);
    let answer: unknown;
    try {
      answer = await o.client.workflow.execute(check.kind.workflowType, {
        workflowId: check.kind.workflowId(input),
        taskQueue: o.taskQueue,
        args: [input],
        // Checks of the same thing at once are one check.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: check.kind.reusePolicy,
        workflowExecutionTimeout: FINISHED_RUN_CHECK_TIMEOUT_MS,
      });
    } catch (err) {
      o.onUnknown?.(subject, err);
      return true;
    }
    const holds = check.holds(answer);
    if (!holds) o.onGone?.(subject, run);
    return holds;
  };
}
