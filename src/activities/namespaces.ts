import { ApplicationFailure } from '@temporalio/common';
import { asyncOperationIdFor, paginate } from '../ops-api';
import type { Namespace, NamespaceSpec, OpsApiClient, UpdateNamespaceRequest } from '../ops-api';
import { sameSpec } from '../ops-api/resources';
import { FailureType } from '../shared/failure-types';
import type { ChangeResult } from './change-once';
import type { ActivityDeps } from './deps';
import { deleteKind } from './resource-kinds';
import {
  createOrAdopt,
  heartbeat,
  isOwnRepeat,
  judgeRefusal,
  type DeleteInput,
  type DeleteResult,
  clientCalls,
} from './util';

export interface EnsureNamespaceInput {
  spec: NamespaceSpec;
  /** This step's operation key (`<workflow id>/<run>/<step>`): the proof that a namespace is its own. */
  operationKey: string;
}

export interface EnsureNamespaceResult {
  namespace: string;
  asyncOperationId: string | undefined;
  /**
   * `created` only when this step's own create made it (also when a retry finds the operation an earlier,
   * lost attempt committed); `adopted` when it existed already with the requested spec.
   */
  outcome: 'created' | 'adopted';
  state: string;
}

export type { DeleteResult } from './util';

/** Fields of a namespace spec that differ, as `field: existing ≠ wanted`. */
export function diffNamespaceSpec(existing: NamespaceSpec, wanted: NamespaceSpec): string[] {
  // API-key auth absent is API-key auth off.
  const value = (spec: NamespaceSpec, f: (typeof fields)[number]) =>
    JSON.stringify(f === 'apiKeyAuth' ? { enabled: spec.apiKeyAuth?.enabled === true } : (spec[f] ?? null));
  const fields = ['region', 'retentionDays', 'codecServer', 'mtlsAuth', 'apiKeyAuth'] as const;
  return fields
    .filter((f) => f !== 'apiKeyAuth' || wanted.apiKeyAuth !== undefined) // only when the request cares
    .filter((f) => value(existing, f) !== value(wanted, f))
    .map((f) => `${f}: ${value(existing, f)} ≠ ${value(wanted, f)}`);
}

export function createNamespaceActivities({ client }: ActivityDeps) {
  return {
    ...clientCalls(client, 'listNamespaces', 'getNamespace'),
    updateNamespace: (input: NamespaceUpdateInput) => updateNamespace(client, input),
    findNamespaceByName: (name: string) => findNamespaceByName(client, name),
    ensureNamespace: (input: EnsureNamespaceInput) => ensureNamespace(client, input),
    async deleteNamespaceIfExists(input: { namespace: string } & DeleteInput): Promise<DeleteResult> {
      return deleteKind(client, 'namespace', input.namespace, input);
    },
  };
}

export interface NamespaceUpdateInput {
  namespace: string;
  request: Omit<UpdateNamespaceRequest, 'asyncOperationId'>;
  operationKey: string;
}

/**
 * One update under this step's own operation id: a repeat of it (lost response) is the same change. A
 * refusal (any client error) is judged by a fresh read: a namespace already with the spec sent is nothing to
 * change (the API refuses an update that changes nothing); one that has moved on since the version the
 * request is based on is a conflict, whatever the code: the workflow reads it again and retries.
 */
async function updateNamespace(client: OpsApiClient, input: NamespaceUpdateInput): Promise<ChangeResult> {
  const asyncOperationId = asyncOperationIdFor(input.operationKey);
  try {
    const started = await client.updateNamespace(input.namespace, { ...input.request, asyncOperationId });
    return { changed: true, ...started };
  } catch (err) {
    if (await isOwnRepeat(err, client, asyncOperationId)) return { changed: true, asyncOperationId };
    const read = () => client.getNamespace(input.namespace);
    const verdict = await judgeRefusal(err, input.request, read, (now) =>
      sameSpec(now.spec, input.request.spec),
    );
    if (verdict === 'as-wanted') return { changed: false };
    if (verdict === 'moved') {
      throw ApplicationFailure.create({
        type: FailureType.ResourceVersionMismatch,
        message: `namespace ${input.namespace} changed since it was read (${(err as Error).message})`,
        nonRetryable: true,
      });
    }
    throw err;
  }
}

export async function findNamespaceByName(
  client: OpsApiClient,
  name: string,
): Promise<Namespace | undefined> {
  for await (const page of paginate(client, 'listNamespaces')) {
    heartbeat();
    const found = page.find((ns) => ns.spec?.name === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Create-or-adopt by name. Names are unique, so the create itself is the lookup: a 409 falls back to
 * finding the namespace. It is this run's own only if the create's operation id (chosen by this step)
 * exists — an earlier attempt committed and lost its response; otherwise someone else made it, and it
 * is adopted (never rolled back) when its spec matches. Clocks play no part.
 */
async function ensureNamespace(
  client: OpsApiClient,
  input: EnsureNamespaceInput,
): Promise<EnsureNamespaceResult> {
  return createOrAdopt(client, input.operationKey, {
    create: async (asyncOperationId) => {
      const created = await client.createNamespace({ spec: input.spec, asyncOperationId });
      return { ...created, outcome: 'created', state: 'activating' };
    },
    find: () => findNamespaceByName(client, input.spec.name),
    ours: (existing, asyncOperationId) => ({
      namespace: existing.namespace,
      asyncOperationId,
      outcome: 'created',
      state: existing.state,
    }),
    adopt: (existing) => adopt(existing, input),
  });
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
    outcome: 'adopted',
    state: existing.state,
  };
}
