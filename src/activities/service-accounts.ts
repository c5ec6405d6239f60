import { ApplicationFailure } from '@temporalio/common';
import { paginate } from '../ops-api';
import type { Access, NamespaceScopedAccess, OpsApiClient, ServiceAccount } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import { reachesNamespace } from '../ops-api/resources';
import { isLive } from '../shared/resources';
import type { ActivityDeps } from './deps';
import { deleteKind } from './resource-kinds';
import { createOrAdopt, heartbeat, type DeleteInput, type DeleteResult, clientCalls } from './util';

export interface EnsureServiceAccountInput {
  name: string;
  /** Account-wide access; without an account role, the API's default role for service accounts is added. */
  access?: Access;
  /** Or a namespace-scoped account (where the API has them: `supports('namespaceScopedServiceAccounts')`). */
  namespaceScopedAccess?: NamespaceScopedAccess;
  /** This step's operation key: the proof that an account is its own (see ensureNamespace). */
  operationKey: string;
}

export interface EnsureServiceAccountResult {
  serviceAccountId: string;
  asyncOperationId: string | undefined;
  outcome: 'created' | 'adopted';
}

/** What the API behind the worker offers service accounts (asked before anything is created). */
export interface ServiceAccountCapabilities {
  namespaceScoped: boolean;
}

/**
 * True when `existing` is the kind of account asked for (namespace-scoped or account-wide) and grants at least
 * what `wanted` asks: its namespace and permission, or the namespace permissions (and the role, when one is
 * asked: without one, whatever role it has will do).
 */
function grants(
  existing: ServiceAccount['spec'],
  wanted: Omit<EnsureServiceAccountInput, 'operationKey'>,
): boolean {
  const scoped = existing.namespaceScopedAccess;
  if (wanted.namespaceScopedAccess || scoped) {
    return (
      scoped?.namespace === wanted.namespaceScopedAccess?.namespace &&
      scoped?.access.permission === wanted.namespaceScopedAccess?.access.permission
    );
  }
  const role = wanted.access?.accountAccess?.role;
  if (role !== undefined && (existing.access?.accountAccess?.role ?? 'none') !== role) return false;
  return Object.entries(wanted.access?.namespaceAccesses ?? {}).every(
    ([ns, { permission }]) => existing.access?.namespaceAccesses?.[ns]?.permission === permission,
  );
}

export function createServiceAccountActivities({ client }: ActivityDeps) {
  return {
    ...clientCalls(client, 'listServiceAccounts', 'getServiceAccount'),
    findServiceAccountByName: (name: string) => findServiceAccountByName(client, name),

    /** Service accounts that reach the namespace (by namespace id): scoped to it, or granted access to it. */
    async listServiceAccountsForNamespace(namespace: string): Promise<ServiceAccount[]> {
      const found: ServiceAccount[] = [];
      for await (const page of paginate(client, 'listServiceAccounts')) {
        heartbeat();
        found.push(...page.filter((sa) => reachesNamespace(sa, namespace)));
      }
      return found;
    },

    /** Whether the API has namespace-scoped service accounts (the workflow asks before anything is created). */
    async serviceAccountCapabilities(): Promise<ServiceAccountCapabilities> {
      return { namespaceScoped: client.supports('namespaceScopedServiceAccounts') };
    },

    /** Create-or-adopt by name, like ensureNamespace: account names are unique (409 already_exists). */
    async ensureServiceAccount(input: EnsureServiceAccountInput): Promise<EnsureServiceAccountResult> {
      return createOrAdopt(client, input.operationKey, {
        create: async (asyncOperationId) => ({
          ...(await client.createServiceAccount({ spec: specOf(client, input), asyncOperationId })),
          outcome: 'created',
        }),
        find: () => findServiceAccountByName(client, input.name),
        ours: (existing, asyncOperationId) => ({
          serviceAccountId: existing.id,
          asyncOperationId,
          outcome: 'created',
        }),
        adopt: (existing) => adopt(existing, input),
      });
    },

    async deleteServiceAccountIfExists(
      input: { serviceAccountId: string } & DeleteInput,
    ): Promise<DeleteResult> {
      return deleteKind(client, 'serviceAccount', input.serviceAccountId, input);
    },
  };
}

/** The spec to create: an account-wide account gets the API's default role when none is asked for. */
function specOf(client: OpsApiClient, input: EnsureServiceAccountInput): ServiceAccount['spec'] {
  if (input.namespaceScopedAccess)
    return { name: input.name, namespaceScopedAccess: input.namespaceScopedAccess };
  const role = input.access?.accountAccess?.role ?? client.defaultServiceAccountRole;
  return {
    name: input.name,
    access: { ...input.access, ...(role ? { accountAccess: { role } } : {}) },
  };
}

export async function findServiceAccountByName(
  client: OpsApiClient,
  name: string,
): Promise<ServiceAccount | undefined> {
  for await (const page of paginate(client, 'listServiceAccounts')) {
    heartbeat();
    const found = page.find((sa) => sa.spec?.name === name && isLive(sa));
    if (found) return found;
  }
  return undefined;
}

function adopt(existing: ServiceAccount, input: EnsureServiceAccountInput): EnsureServiceAccountResult {
  // Adopting is not the place to change an account's access: one with other access is refused.
  if (!grants(existing.spec, input)) {
    const { name: _name, ...access } = existing.spec;
    throw ApplicationFailure.create({
      type: FailureType.SpecMismatch,
      message: `service account ${input.name} already exists with different access (${JSON.stringify(access)})`,
      nonRetryable: true,
    });
  }
  return { serviceAccountId: existing.id, asyncOperationId: existing.asyncOperationId, outcome: 'adopted' };
}
