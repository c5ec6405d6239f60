import { ApplicationFailure, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Namespace } from '../ops-api/types';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import { sameSpec, withNamespaceChanges, type NamespaceChanges } from '../ops-api/resources';
import { updateNamespaceInput, type UpdateNamespaceInput } from '../shared/validation';
import { describeError, failureType, operationKey, waitForOperation, validInputOrFail } from './common';

const { getNamespace, updateNamespace: callUpdateNamespace } = proxyActivities<Activities>(opsApiCall);
const { findNamespaceByName } = proxyActivities<Activities>(opsApiPaging);

export interface UpdateNamespaceStatus {
  step: 'validating' | 'reading' | 'updating' | 'waiting' | 'completed' | 'failed';
  namespace?: string;
  conflictsRetried: number;
  lastError?: string;
}

export interface UpdateNamespaceResult {
  namespace: string;
  /** False when the namespace already had the requested settings. */
  changed: boolean;
  conflictsRetried: number;
  spec: Namespace['spec'];
}

export const updateStatusQuery = defineQuery<UpdateNamespaceStatus>('status');

const TRANSITIONAL = new Set(['activating', 'updating', 'deleting']);
const CONFLICTS = new Set<string>([FailureType.ResourceVersionMismatch, FailureType.FailedPrecondition]);

/**
 * Changes retention / codec server / mTLS settings with optimistic concurrency: on a stale
 * resourceVersion it re-reads and tries again, a bounded number of times.
 */
export async function updateNamespace(rawInput: UpdateNamespaceInput): Promise<UpdateNamespaceResult> {
  const status: UpdateNamespaceStatus = { step: 'validating', conflictsRetried: 0 };
  setHandler(updateStatusQuery, () => status);
  const input = validInputOrFail(updateNamespaceInput, rawInput, status);
  const wait = DEFAULT_ASYNC_WAIT;

  try {
    status.step = 'reading';
    const found = await findNamespaceByName(input.name);
    if (!found) {
      throw ApplicationFailure.create({
        type: FailureType.NotFound,
        message: `namespace ${input.name} does not exist`,
        nonRetryable: true,
      });
    }
    status.namespace = found.namespace;

    for (let attempt = 0; ; attempt++) {
      let current = await getNamespace(found.namespace);
      if (TRANSITIONAL.has(current.state) && current.asyncOperationId) {
        // Another change (possibly our own earlier attempt) is in flight; let it land first.
        status.step = 'waiting';
        await waitForOperation(
          current.asyncOperationId,
          { kind: 'namespace', id: current.namespace, until: 'ready' },
          wait,
        );
        current = await getNamespace(found.namespace);
      }
      const changes = wantedChanges(current, input);
      if (Object.keys(changes).length === 0) {
        status.step = 'completed';
        return {
          namespace: current.namespace,
          changed: attempt > 0,
          conflictsRetried: status.conflictsRetried,
          spec: current.spec,
        };
      }
      status.step = 'updating';
      try {
        const update = await callUpdateNamespace({
          namespace: current.namespace,
          request: {
            resourceVersion: current.resourceVersion,
            spec: withNamespaceChanges(current.spec, changes),
          },
          operationKey: operationKey(`update/${attempt}`),
        });
        // Not changed: refused as an update that changes nothing, and read again as wanted.
        if (update.changed) {
          status.step = 'waiting';
          await waitForOperation(
            update.asyncOperationId,
            { kind: 'namespace', id: current.namespace, until: 'ready' },
            wait,
          );
        }
        const after = await getNamespace(found.namespace);
        status.step = 'completed';
        return {
          namespace: after.namespace,
          changed: update.changed,
          conflictsRetried: status.conflictsRetried,
          spec: after.spec,
        };
      } catch (err) {
        // Someone changed the namespace since we read it (stale version) or is changing it right now.
        if (!CONFLICTS.has(failureType(err) ?? '') || attempt >= input.maxConflictRetries) throw err;
        status.conflictsRetried++;
      }
    }
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
}

/** Only the fields that differ from what the namespace has now. */
function wantedChanges(
  current: Namespace,
  input: ReturnType<typeof updateNamespaceInput.parse>,
): NamespaceChanges {
  const changes: NamespaceChanges = {};
  // `passAccessToken: false` and no passAccessToken are the same setting: no change.
  const same = (a: unknown, b: unknown) => sameSpec(a, b);
  if (input.retentionDays !== undefined && input.retentionDays !== current.spec.retentionDays) {
    changes.retentionDays = input.retentionDays;
  }
  if (input.codecServer !== undefined && !same(input.codecServer, current.spec.codecServer)) {
    changes.codecServer = input.codecServer;
  }
  if (input.mtlsAuth !== undefined && !same(input.mtlsAuth, current.spec.mtlsAuth)) {
    changes.mtlsAuth = input.mtlsAuth;
  }
  if (input.apiKeyAuth !== undefined && input.apiKeyAuth !== (current.spec.apiKeyAuth?.enabled === true)) {
    changes.apiKeyAuth = input.apiKeyAuth;
  }
  return changes;
}
