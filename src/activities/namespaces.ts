import { ApplicationFailure } from '@temporalio/common';
import { OpsApiError, paginate } from '../ops-api';
import type {
  AsyncOperationResponse,
  CreateNamespaceRequest,
  CreateNamespaceResponse,
  ListNamespacesResponse,
  Namespace,
  NamespaceSpec,
  PageParams,
  UpdateNamespaceRequest,
} from '../ops-api';
import { FailureType } from '../shared/failure-types';
import type { ActivityDeps } from './deps';
import { deleteIfExists, heartbeat, isAtOrAfter, type DeleteResult } from './util';

export interface EnsureNamespaceInput {
  spec: NamespaceSpec;
  /** When the requesting workflow started: a namespace created since then was made by this request. */
  requestedAt: number;
}

export interface EnsureNamespaceResult {
  namespace: string;
  asyncOperationId: string | undefined;
  /** `created` when this request made it (also on a retry after the create's response was lost). */
  outcome: 'created' | 'adopted';
  state: string;
}

export type { DeleteResult } from './util';

/** Fields of a namespace spec that differ, as `field: existing ≠ wanted`. */
export function diffNamespaceSpec(existing: NamespaceSpec, wanted: NamespaceSpec): string[] {
  const fields = ['region', 'retentionDays', 'codecServer', 'mtlsAuth'] as const;
  return fields
    .filter((f) => JSON.stringify(existing[f] ?? null) !== JSON.stringify(wanted[f] ?? null))
    .map((f) => `${f}: ${JSON.stringify(existing[f] ?? null)} ≠ ${JSON.stringify(wanted[f] ?? null)}`);
}

export function createNamespaceActivities({ client }: ActivityDeps) {
  async function findNamespaceByName(name: string): Promise<Namespace | undefined> {
    for await (const page of paginate(client, 'listNamespaces')) {
      heartbeat();
      const found = page.find((ns) => ns.spec?.name === name);
      if (found) return found;
    }
    return undefined;
  }

  function adopt(existing: Namespace, input: EnsureNamespaceInput): EnsureNamespaceResult {
    const diffs = diffNamespaceSpec(existing.spec, input.spec);
    if (diffs.length > 0) {
      throw ApplicationFailure.create({
        type: FailureType.SpecMismatch,
        message: `namespace ${input.spec.name} already exists with a different spec (${diffs.join('; ')})`,
        nonRetryable: true,
        details: [{ namespace: existing.namespace, differences: diffs }],
      });
    }
    return {
      namespace: existing.namespace,
      asyncOperationId: existing.asyncOperationId,
      outcome: isAtOrAfter(existing.createdTime, input.requestedAt) ? 'created' : 'adopted',
      state: existing.state,
    };
  }

  return {
    async listNamespaces(params: PageParams = {}): Promise<ListNamespacesResponse> {
      return client.listNamespaces(params);
    },
    async createNamespace(request: CreateNamespaceRequest): Promise<CreateNamespaceResponse> {
      return client.createNamespace(request);
    },
    async getNamespace(namespace: string): Promise<Namespace> {
      return client.getNamespace(namespace);
    },
    async updateNamespace(input: {
      namespace: string;
      request: UpdateNamespaceRequest;
    }): Promise<AsyncOperationResponse> {
      return client.updateNamespace(input.namespace, input.request);
    },
    async deleteNamespace(namespace: string): Promise<AsyncOperationResponse> {
      return client.deleteNamespace(namespace);
    },

    findNamespaceByName,

    /**
     * Create-or-adopt by name. Names are unique, so the create itself is the lookup: a 409 (an earlier
     * attempt whose response was lost, or a namespace that was there before) falls back to finding it.
     * Creating first saves listing every namespace on the common path.
     */
    async ensureNamespace(input: EnsureNamespaceInput): Promise<EnsureNamespaceResult> {
      try {
        const created = await client.createNamespace({ spec: input.spec });
        return {
          namespace: created.namespace,
          asyncOperationId: created.asyncOperationId,
          outcome: 'created',
          state: 'activating',
        };
      } catch (err) {
        if (!(err instanceof OpsApiError && err.code === 'already_exists')) throw err;
        const existing = await findNamespaceByName(input.spec.name);
        // Gone again between the two calls: let the activity retry decide afresh.
        if (!existing) throw err;
        return adopt(existing, input);
      }
    },

    async deleteNamespaceIfExists(namespace: string): Promise<DeleteResult> {
      return deleteIfExists(`namespace ${namespace}`, () => client.deleteNamespace(namespace));
    },
  };
}
