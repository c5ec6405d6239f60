// A namespace just provisioned that a desired state's access reaches (by name or by pattern) is granted by that
// desired state's own reconcile, asked for a run now: its schedule holds the file and its mode, the plan and apply
// grant as they always do, so there is one source of truth and one grant path (docs/desired-state.md).
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { accessHolders, accessReaches } from '../desired-state/access-patterns';
import type { DesiredStateInput } from '../desired-state/schema';
import type { ActivityDeps } from './deps';

/** The workflow type a reconcile schedule starts (src/catalog/reconcile.ts names it the same). */
const RECONCILE_WORKFLOW = 'reconcile';

export interface TriggeredReconciles {
  /** Schedules asked for a run now, by id. */
  triggered: string[];
  /** Why none could be asked (no Temporal client in this worker). */
  skipped?: string;
}

export function createReconcileTriggerActivities({ temporal }: ActivityDeps) {
  return {
    /**
     * Triggers every unpaused reconcile schedule whose file's access reaches `namespace`. A run in progress may have
     * read the account before the namespace existed: the trigger is buffered behind it (BUFFER_ONE), never dropped.
     * Repeated (a retried attempt), it asks for at most one more run, which finds nothing left to do.
     */
    async triggerReconcilesFor(input: { namespace: string }): Promise<TriggeredReconciles> {
      if (!temporal) return { triggered: [], skipped: 'this worker has no Temporal client' };
      const triggered: string[] = [];
      for await (const summary of temporal.schedule.list()) {
        if (summary.action?.type !== 'startWorkflow') continue;
        if (summary.action.workflowType !== RECONCILE_WORKFLOW) continue;
        if (await triggerIfReached(temporal, summary.scheduleId, input.namespace))
          triggered.push(summary.scheduleId);
      }
      return { triggered };
    },
  };
}

/** Triggers the schedule when it is not paused and its file's access reaches the namespace; whether it did. */
async function triggerIfReached(temporal: Client, scheduleId: string, namespace: string): Promise<boolean> {
  const handle = temporal.schedule.getHandle(scheduleId);
  try {
    const described = await handle.describe();
    if (described.state.paused || described.action.type !== 'startWorkflow') return false;
    const desired = (described.action.args?.[0] as { desired?: DesiredStateInput } | undefined)?.desired;
    if (!desired || !accessReaches(accessHolders(desired), namespace)) return false;
    await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
    return true;
  } catch (err) {
    // Listed, then deleted before it was read: nothing to ask.
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
