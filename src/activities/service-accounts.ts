import { ApplicationFailure } from '@temporalio/common';
import { paginate } from '../ops-api';
import type { Access, ListServiceAccountsResponse, PageParams, ServiceAccount } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import { isLive } from '../shared/resources';
import type { ActivityDeps } from './deps';
import { createOrAdopt, deleteIfExists, heartbeat, type DeleteResult } from './util';

export interface EnsureServiceAccountInput {
  name: string;
  access: Access;
  /** This step's operation key: the proof that an account is its own (see ensureNamespace). */
  operationKey: string;
}

export interface EnsureServiceAccountResult {
  serviceAccountId: string;
  asyncOperationId: string | undefined;
  outcome: 'created' | 'adopted';
}

/** True when `actual` grants at least the namespace permissions `wanted` asks for. */
function grants(actual: Access | undefined, wanted: Access): boolean {
  return Object.entries(wanted.namespaceAccesses ?? {}).every(
    ([ns, { permission }]) => actual?.namespaceAccesses?.[ns]?.permission === permission,
  );
}

export function createServiceAccountActivities({ client }: ActivityDeps) {
  async function findServiceAccountByName(name: string): Promise<ServiceAccount | undefined> {
    for await (const page of paginate(client, 'listServiceAccounts')) {
      heartbeat();
      const found = page.find((sa) => sa.spec?.name === name && isLive(sa));
      if (found) return found;
    }
    return undefined;
  }

  function adopt(existing: ServiceAccount, input: EnsureServiceAccountInput): EnsureServiceAccountResult {
    // The Ops API has no update for service accounts, so one with other access cannot be fixed here.
    if (!grants(existing.spec.access, input.access)) {
      throw ApplicationFailure.create({
        type: FailureType.SpecMismatch,
        message: `service account ${input.name} already exists with different access (${JSON.stringify(existing.spec.access ?? {})})`,
        nonRetryable: true,
      });
    }
    return { serviceAccountId: existing.id, asyncOperationId: existing.asyncOperationId, outcome: 'adopted' };
  }

  return {
    async listServiceAccounts(params: PageParams = {}): Promise<ListServiceAccountsResponse> {
      return client.listServiceAccounts(params);
    },
    async getServiceAccount(serviceAccountId: string): Promise<ServiceAccount> {
      return client.getServiceAccount(serviceAccountId);
    },

    findServiceAccountByName,

    /** Service accounts with any access to the namespace (by namespace id). */
    async listServiceAccountsForNamespace(namespace: string): Promise<ServiceAccount[]> {
      const found: ServiceAccount[] = [];
      for await (const page of paginate(client, 'listServiceAccounts')) {
        heartbeat();
        found.push(...page.filter((sa) => sa.spec?.access?.namespaceAccesses?.[namespace] !== undefined));
      }
      return found;
    },

    /** Create-or-adopt by name, like ensureNamespace: account names are unique (409 already_exists). */
    async ensureServiceAccount(input: EnsureServiceAccountInput): Promise<EnsureServiceAccountResult> {
      return createOrAdopt(client, input.operationKey, {
        create: async (asyncOperationId) => ({
          ...(await client.createServiceAccount({
            spec: { name: input.name, access: input.access },
            asyncOperationId,
          })),
          outcome: 'created',
        }),
        find: () => findServiceAccountByName(input.name),
        ours: (existing, asyncOperationId) => ({
          serviceAccountId: existing.id,
          asyncOperationId,
          outcome: 'created',
        }),
        adopt: (existing) => adopt(existing, input),
      });
    },

    async deleteServiceAccountIfExists(input: {
      serviceAccountId: string;
      operationKey: string;
    }): Promise<DeleteResult> {
      return deleteIfExists(
        `service account ${input.serviceAccountId}`,
        client,
        input.operationKey,
        () => client.getServiceAccount(input.serviceAccountId),
        (params) => client.deleteServiceAccount(input.serviceAccountId, params),
      );
    },
  };
}
