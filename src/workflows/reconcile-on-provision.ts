// After provisioning: the desired states whose access reaches the new namespace (by name or by pattern) are asked to
// reconcile now, through their schedules, so its grants come at once rather than at the next scheduled run.
import { isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TriggeredReconciles } from '../activities/reconcile-trigger';
import { describeError } from './common';

// A few quick tries: the namespace is made either way, and the next scheduled run grants what this one could not.
const { triggerReconcilesFor } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

/** What provisioning asked of the desired states; `error` when it could not ask (the namespace stands). */
export type ReconcilesAsked = TriggeredReconciles & { error?: string };

/**
 * Asks the reconcile schedules whose file reaches `namespace` for a run now. Never fails the provisioning: what it
 * could not ask is reported. Runs started before this step existed replay without it.
 */
export async function askReconciles(namespace: string): Promise<ReconcilesAsked | undefined> {
  if (!patched('provision-triggers-reconcile')) return undefined;
  try {
    return await triggerReconcilesFor({ namespace });
  } catch (err) {
    // A provisioning cancelled meanwhile is cancelled, not completed.
    if (isCancellation(err)) throw err;
    return { triggered: [], error: describeError(err) };
  }
}
