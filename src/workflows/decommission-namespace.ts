import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ServiceAccount } from '../ops-api/types';
import { DEFAULT_ASYNC_WAIT, opsApiPaging } from '../shared/activity-options';
import { decommissionNamespaceInput, type DecommissionNamespaceInput } from '../shared/validation';
import { describeError, operationKey, waitForOperation, validInputOrFail } from './common';
import { DecisionGate, DEFAULT_APPROVAL_TIMEOUT_MS, type Decision, type DecisionStatus } from './approvals';

const {
  findNamespaceByName,
  listServiceAccountsForNamespace,
  listApiKeysByOwner,
  deleteApiKeyIfExists,
  deleteServiceAccountIfExists,
  deleteNamespaceIfExists,
} = proxyActivities<Activities>(opsApiPaging);

export interface DecommissionStatus extends DecisionStatus {
  step:
    | 'validating'
    | 'finding'
    | 'awaiting-approval'
    | 'deleting-api-keys'
    | 'deleting-service-accounts'
    | 'deleting-namespace'
    | 'completed'
    | 'failed';
  namespace?: string;
  deletedApiKeys: string[];
  deletedServiceAccounts: string[];
  lastError?: string;
}

export interface DecommissionResult {
  name: string;
  namespace?: string;
  /**
   * `already-gone` when there was no such namespace, or someone else's operation is what deletes it:
   * decommissioning is idempotent, and `deleted` means this run's own delete. `rejected` and
   * `approval-timed-out` changed nothing.
   */
  outcome: 'deleted' | 'already-gone' | 'rejected' | 'approval-timed-out';
  approval?: Decision;
  deletedApiKeys: string[];
  deletedServiceAccounts: string[];
}

export const decommissionStatusQuery = defineQuery<DecommissionStatus>('status');

const IN_FLIGHT = new Set(['activating', 'updating']);

/** Deletes a namespace, optionally with its service accounts' keys and accounts first. */
export async function decommissionNamespace(
  rawInput: DecommissionNamespaceInput,
): Promise<DecommissionResult> {
  const status: DecommissionStatus = { step: 'validating', deletedApiKeys: [], deletedServiceAccounts: [] };
  setHandler(decommissionStatusQuery, () => status);
  const input = validInputOrFail(decommissionNamespaceInput, rawInput, status);
  const gate = new DecisionGate(input.approval, status);
  let approval: Decision | undefined;
  const wait = DEFAULT_ASYNC_WAIT;

  try {
    status.step = 'finding';
    const ns = await findNamespaceByName(input.name);
    const result = (outcome: DecommissionResult['outcome']): DecommissionResult => {
      status.step = 'completed';
      return {
        name: input.name,
        ...(ns ? { namespace: ns.namespace } : {}),
        outcome,
        deletedApiKeys: status.deletedApiKeys,
        deletedServiceAccounts: status.deletedServiceAccounts,
        ...(approval ? { approval } : {}),
      };
    };
    if (!ns) return result('already-gone');
    status.namespace = ns.namespace;
    if (gate.required()) {
      status.step = 'awaiting-approval';
      approval = (await gate.wait(DEFAULT_APPROVAL_TIMEOUT_MS))?.decision;
      if (approval?.decision !== 'approved') return result(approval ? 'rejected' : 'approval-timed-out');
    }

    let accounts: ServiceAccount[] = [];
    if (input.deleteServiceAccountKeys || input.deleteServiceAccounts) {
      accounts = await listServiceAccountsForNamespace(ns.namespace);
      status.step = 'deleting-api-keys';
      const keys = (
        await Promise.all(
          accounts.map((sa) => listApiKeysByOwner({ ownerId: sa.id, ownerType: 'service-account' })),
        )
      ).flat();
      await Promise.all(
        keys.map(async (key) => {
          const res = await deleteApiKeyIfExists({
            keyId: key.id,
            operationKey: operationKey(`delete-api-key/${key.id}`),
            deleteSecret: true,
          });
          if (res.asyncOperationId)
            await waitForOperation(res.asyncOperationId, { kind: 'apiKey', id: key.id, until: 'gone' }, wait);
          if (res.byThisRun) status.deletedApiKeys.push(key.id);
        }),
      );
    }
    if (input.deleteServiceAccounts) {
      status.step = 'deleting-service-accounts';
      // Accounts that can also reach other namespaces are still in use there.
      const onlyHere = accounts.filter(
        (sa) => Object.keys(sa.spec.access?.namespaceAccesses ?? {}).length === 1,
      );
      await Promise.all(
        onlyHere.map(async (sa) => {
          const res = await deleteServiceAccountIfExists({
            serviceAccountId: sa.id,
            operationKey: operationKey(`delete-service-account/${sa.id}`),
          });
          if (res.asyncOperationId) {
            await waitForOperation(
              res.asyncOperationId,
              { kind: 'serviceAccount', id: sa.id, until: 'gone' },
              wait,
            );
          }
          if (res.byThisRun) status.deletedServiceAccounts.push(sa.id);
        }),
      );
    }

    status.step = 'deleting-namespace';
    if (IN_FLIGHT.has(ns.state) && ns.asyncOperationId) {
      await waitForOperation(ns.asyncOperationId, undefined, wait);
    }
    const res = await deleteNamespaceIfExists({
      namespace: ns.namespace,
      operationKey: operationKey('delete-namespace'),
    });
    if (res.asyncOperationId) {
      await waitForOperation(
        res.asyncOperationId,
        { kind: 'namespace', id: ns.namespace, until: 'gone' },
        wait,
      );
    }
    return result(res.byThisRun ? 'deleted' : 'already-gone');
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
}
