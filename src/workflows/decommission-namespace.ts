import { defineQuery, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ServiceAccount } from '../ops-api/types';
import { DEFAULT_ASYNC_WAIT, opsApiPaging } from '../shared/activity-options';
import { namespacesOf } from '../ops-api/resources';
import {
  decommissionNamespaceInput,
  type DecommissionNamespaceInput,
  type DecommissionNamespaceRequest,
} from '../shared/validation';
import { deleteResource, describeError, operationKey, waitForOperation } from './common';
import {
  openDecidingRun,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  type Decision,
  type DecisionStatus,
} from './approvals';

const { findNamespaceByName, listServiceAccountsForNamespace, listApiKeysByOwner } =
  proxyActivities<Activities>(opsApiPaging);

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
const WAIT = DEFAULT_ASYNC_WAIT;

/**
 * Deletes a namespace, with its namespace-scoped service accounts and their keys first (they exist for it alone),
 * and optionally the keys of the account-wide accounts that reach it and those accounts too.
 */
export async function decommissionNamespace(
  rawInput: DecommissionNamespaceInput,
): Promise<DecommissionResult> {
  const status: DecommissionStatus = { step: 'validating', deletedApiKeys: [], deletedServiceAccounts: [] };
  const { input, gate } = openDecidingRun(
    decommissionStatusQuery,
    status,
    decommissionNamespaceInput,
    rawInput,
  );
  let approval: Decision | undefined;

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
    await deleteAccountsOf(ns.namespace, input, status);
    status.step = 'deleting-namespace';
    if (IN_FLIGHT.has(ns.state) && ns.asyncOperationId) {
      await waitForOperation(ns.asyncOperationId, undefined, WAIT);
    }
    const res = await deleteResource(
      { kind: 'namespace', id: ns.namespace },
      operationKey('delete-namespace'),
      WAIT,
    );
    return result(res.byThisRun ? 'deleted' : 'already-gone');
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
}

/**
 * A namespace-scoped account (and its keys) exists for this namespace alone: it goes with it, always. Account-wide
 * ones that reach it go only when asked, and only if this is the one namespace they reach; their keys when asked.
 */
async function deleteAccountsOf(
  namespace: string,
  input: DecommissionNamespaceRequest,
  status: DecommissionStatus,
): Promise<void> {
  const accounts: ServiceAccount[] = await listServiceAccountsForNamespace(namespace);
  const scoped = accounts.filter((sa) => sa.spec.namespaceScopedAccess?.namespace === namespace);
  const keyOwners = input.deleteServiceAccountKeys || input.deleteServiceAccounts ? accounts : scoped;
  const owners = input.deleteServiceAccounts
    ? accounts.filter((sa) => namespacesOf(sa).length === 1)
    : scoped;

  status.step = 'deleting-api-keys';
  const keys = (
    await Promise.all(
      keyOwners.map((sa) => listApiKeysByOwner({ ownerId: sa.id, ownerType: 'service-account' })),
    )
  ).flat();
  await deleteEach('apiKey', 'delete-api-key', keys, status.deletedApiKeys);
  status.step = 'deleting-service-accounts';
  await deleteEach('serviceAccount', 'delete-service-account', owners, status.deletedServiceAccounts);
}

/** Deletes each at once, each under its own step (`<step>/<id>`); `deleted` gets the ids this run's delete removed. */
async function deleteEach(
  kind: 'apiKey' | 'serviceAccount',
  step: string,
  items: ReadonlyArray<{ id: string }>,
  deleted: string[],
): Promise<void> {
  await Promise.all(
    items.map(async ({ id }) => {
      const res = await deleteResource({ kind, id }, operationKey(`${step}/${id}`), WAIT);
      if (res.byThisRun) deleted.push(id);
    }),
  );
}
