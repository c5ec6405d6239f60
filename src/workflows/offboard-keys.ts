// Offboarding's key phase: every key of the leaver stops working first — disabled all at once where the
// API can disable a key (the real API's updateApiKey), one call each — then each is deleted. The report
// says when each key stopped working, from the time its operation finished.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeleteResult } from '../activities/util';
import type { AsyncWaitOptions } from '../shared/activity-options';
import { opsApiCall } from '../shared/activity-options';
import { forEachLimited } from '../shared/concurrency';
import { deleteResource, describeError, operationKey, waitForOperation } from './common';

const { canDisableApiKeys, disableApiKey } = proxyActivities<Activities>(opsApiCall);

export interface KeyToStop {
  id: string;
  displayName: string;
  /** As listed: the delete is sent with it, unless this run changed the key since (its disable). */
  resourceVersion?: string;
}

/** When a key stopped working, and how: the finish time of the operation that disabled or deleted it. */
export interface StoppedKey {
  id: string;
  name: string;
  by: 'disable' | 'delete';
  /** ISO time the operation finished; absent when the key was disabled before this run, or the API did not say. */
  at?: string;
}

export interface KeyPhase {
  stopped: StoppedKey[];
  failures: string[];
}

/**
 * Disables (where the API can) and then deletes `keys`, `concurrency` at a time, each call under its own
 * step's operation id. `record` files each delete's outcome in the audit; `progress` counts keys.
 */
export async function stopAndDeleteKeys(
  keys: readonly KeyToStop[],
  options: { concurrency: number; wait: Required<AsyncWaitOptions> },
  record: (key: KeyToStop, res: DeleteResult) => void,
  progress: { keysDone: number; keysFailed: number; keysDisabled: number },
): Promise<KeyPhase> {
  const stopped = new Map<string, StoppedKey>();
  const notDisabled = new Map<string, string>();
  const disabledNow = new Set<string>();
  const failures: string[] = [];

  // Disabling is one call per key and takes effect at once, so none of them keeps working while the
  // (slower, one-by-one) deletes run. A key that cannot be disabled is still deleted below.
  if (keys.length > 0 && (await canDisableApiKeys())) {
    await forEachLimited(keys, options.concurrency, async (key) => {
      try {
        const res = await disableApiKey({
          keyId: key.id,
          operationKey: operationKey(`disable-api-key/${key.id}`),
        });
        // Disabled before this run came: it stopped working then (when, the API does not say).
        if (res.outcome === 'already-disabled')
          stopped.set(key.id, { id: key.id, name: key.displayName, by: 'disable' });
        if (res.outcome !== 'disabling') return;
        disabledNow.add(key.id);
        const done = await waitForOperation(res.asyncOperationId, undefined, options.wait);
        const at = done.asyncOperation?.finishedTime;
        stopped.set(key.id, { id: key.id, name: key.displayName, by: 'disable', ...(at ? { at } : {}) });
        progress.keysDisabled++;
      } catch (err) {
        // Deleting it below stops it too; the reason matters only if that fails as well.
        notDisabled.set(key.id, describeError(err));
      }
    });
  }

  await forEachLimited(keys, options.concurrency, async (key) => {
    try {
      // Gone only with proof: a key that reads NOT_FOUND for no reason of this run's is read until it answers.
      const listed = disabledNow.has(key.id) ? undefined : key.resourceVersion;
      const res = await deleteResource(
        { kind: 'apiKey', id: key.id, ...(listed ? { resourceVersion: listed } : {}) },
        operationKey(`delete-api-key/${key.id}`),
        options.wait,
      );
      const at = res.finishedTime;
      if (!stopped.has(key.id) && res.byThisRun && res.asyncOperationId)
        stopped.set(key.id, { id: key.id, name: key.displayName, by: 'delete', ...(at ? { at } : {}) });
      record(key, res);
      progress.keysDone++;
    } catch (err) {
      progress.keysFailed++;
      const disable = notDisabled.has(key.id) ? ` (not disabled either: ${notDisabled.get(key.id)})` : '';
      failures.push(`API key ${key.id} (${key.displayName}): ${describeError(err)}${disable}`);
    }
  });
  return { stopped: keys.flatMap((k) => stopped.get(k.id) ?? []), failures };
}
