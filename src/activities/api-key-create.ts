// Making an API key exactly once, its token straight into the secret sink (ensureApiKey).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { asyncOperationIdFor, listAll } from '../ops-api';
import type { ApiKey, CreateApiKeyRequest, OpsApiClient, OwnerType } from '../ops-api';
import type { SecretRef, SecretSink } from '../secrets';
import { FailureType } from '../shared/failure-types';
import type { ActivityDeps } from './deps';
import { deleteKind } from './resource-kinds';
import { isOwnRepeat } from './util';

/** Where an API key's token is kept in the secret sink; derived from the key id alone. */
export function apiKeySecretName(keyId: string): string {
  return `api-keys/${keyId}`;
}

export interface CreatedApiKey {
  keyId: string;
  asyncOperationId: string | undefined;
  /** Reference to the token in the secret sink; the token itself never leaves the activity. */
  secretRef: SecretRef;
}

export interface EnsureApiKeyInput {
  displayName: string;
  ownerId: string;
  ownerType: OwnerType;
  expiryTime: string;
  /** The key's description (the real API's, not modelled by the domain): a replacement keeps its old key's. */
  description?: string;
  /** This step's operation key: the proof that a key is its own. */
  operationKey: string;
  /** Recorded with the secret, e.g. the namespace it is for. */
  metadata?: Record<string, string>;
}

export interface ReplacedOrphan {
  keyId: string;
  /** The delete's operation, to wait on; absent when the key was gone already. */
  asyncOperationId?: string;
}

export interface EnsureApiKeyResult extends CreatedApiKey {
  /** `created` when this step made the key; `adopted` when an earlier request's key (token in the sink) is reused. */
  outcome: 'created' | 'adopted';
  /** Keys this step made whose token never reached the sink (response lost): deleted again. */
  replacedOrphans: ReplacedOrphan[];
}

/** How many times one step may lose a new key's token before it gives up (each loss is deleted again). */
export const MAX_KEY_CREATES_PER_STEP = 10;

/** A key in one of these states cannot be handed out as the one a request asked for. */
export const UNUSABLE_KEY_STATES: ReadonlySet<string> = new Set([
  'deleting',
  'deleted',
  'expired',
  'suspended',
]);

const generationKey = (operationKey: string, generation: number) =>
  generation === 1 ? operationKey : `${operationKey}#${generation}`;

/**
 * Find-or-create by owner and display name, exactly once. A key with this name whose token is in the
 * sink is reused. Otherwise the step creates under its own operation id: a retry after a lost
 * response, or after a create that committed late, gets the same key back instead of a second one.
 * A key this step made whose token never reached the sink is unusable: it is deleted (it is provably
 * this step's own) and the next create uses the next id of the step, so no key is ever left active
 * without its token and the owner ends with one key.
 */
export async function ensureApiKey(
  deps: ActivityDeps,
  input: EnsureApiKeyInput,
): Promise<EnsureApiKeyResult> {
  const { client, secrets } = deps;
  const spec = {
    displayName: input.displayName,
    ownerId: input.ownerId,
    ownerType: input.ownerType,
    expiryTime: input.expiryTime,
    ...(input.description ? { preserved: { description: input.description } } : {}),
  };
  const ownIds = Array.from({ length: MAX_KEY_CREATES_PER_STEP }, (_, i) =>
    asyncOperationIdFor(generationKey(input.operationKey, i + 1)),
  );
  const owned = await listAll(client, 'listApiKeys', {
    ownerId: input.ownerId,
    ownerType: input.ownerType,
  });
  // Keys of this name on their way out (tokenless ones an earlier attempt deleted, before a crash lost
  // that attempt's list): the workflow waits for them too, so the owner ends with the keys it meant.
  const replacedOrphans: ReplacedOrphan[] = owned
    .filter((k) => k.spec.displayName === input.displayName && k.state === 'deleting')
    .map((k) => ({
      keyId: k.id,
      ...(k.asyncOperationId ? { asyncOperationId: k.asyncOperationId } : {}),
    }));
  const reused = await withTokenInSink(secrets, owned, input.displayName, ownIds);
  if (reused) return { ...reused, replacedOrphans };

  for (let generation = 1; generation <= MAX_KEY_CREATES_PER_STEP; generation++) {
    const key = generationKey(input.operationKey, generation);
    const created = await createOnce(client, spec, ownIds[generation - 1]!);
    if (!created) continue;
    const result = (secretRef: SecretRef): EnsureApiKeyResult => ({
      keyId: created.keyId,
      asyncOperationId: created.asyncOperationId,
      secretRef,
      outcome: 'created',
      replacedOrphans,
    });
    if (created.token)
      return result(await store(secrets, created.keyId, created.token, spec, input.metadata));
    // The sink write of an earlier attempt may have succeeded before the attempt itself failed.
    if (await secrets.has(apiKeySecretName(created.keyId)))
      return result(secretRefOf(secrets, created.keyId));
    const removed = await deleteKind(client, 'apiKey', created.keyId, {
      operationKey: `${key}/delete-tokenless`,
    });
    // Just made, so not readable yet: the retry deletes it once it reads (never left without its token).
    if (removed.outcome === 'unreadable') {
      throw ApplicationFailure.create({
        type: FailureType.ResourceNotReady,
        message: `API key ${created.keyId} (its token lost) answers ${removed.unreadable}; deleting it once it reads`,
        nextRetryDelay: 10_000,
      });
    }
    replacedOrphans.push({
      keyId: created.keyId,
      ...(removed.asyncOperationId ? { asyncOperationId: removed.asyncOperationId } : {}),
    });
    Context.current().log.warn('Deleted a key this step created whose token was lost', {
      keyId: created.keyId,
    });
  }
  throw ApplicationFailure.create({
    type: FailureType.TokenLost,
    message: `lost the token of ${MAX_KEY_CREATES_PER_STEP} new API keys for ${input.ownerType} ${input.ownerId} in a row (each was deleted again); giving up`,
    nonRetryable: true,
  });
}

const secretRefOf = (secrets: SecretSink, keyId: string): SecretRef =>
  `${secrets.kind}:${apiKeySecretName(keyId)}`;

/** A usable key of this name whose token is in the sink: this step's own (one of its ids) or adopted. */
async function withTokenInSink(
  secrets: SecretSink,
  owned: ApiKey[],
  displayName: string,
  ownIds: string[],
): Promise<Omit<EnsureApiKeyResult, 'replacedOrphans'> | undefined> {
  for (const key of owned) {
    if (key.spec.displayName !== displayName || UNUSABLE_KEY_STATES.has(key.state)) continue;
    if (!(await secrets.has(apiKeySecretName(key.id)))) continue;
    const ours = key.asyncOperationId !== undefined && ownIds.includes(key.asyncOperationId);
    return {
      keyId: key.id,
      asyncOperationId: key.asyncOperationId,
      secretRef: secretRefOf(secrets, key.id),
      outcome: ours ? 'created' : 'adopted',
    };
  }
  return undefined;
}

// The token goes from the create response straight into the sink; only the reference is returned.
async function store(
  secrets: SecretSink,
  keyId: string,
  token: string,
  spec: CreateApiKeyRequest['spec'],
  metadata = {},
) {
  return secrets.put(apiKeySecretName(keyId), token, {
    ...metadata,
    keyId,
    displayName: spec.displayName,
    ownerId: spec.ownerId,
    ownerType: spec.ownerType,
    expiryTime: spec.expiryTime,
  });
}

/**
 * One create under a client-chosen operation id. A repeat of an id that committed is answered with
 * the key it made (no token: shown once), or — by a server that refuses reused ids — with a client error
 * (any code), in which case the key is the owner's key whose latest operation is that id. Undefined: the
 * operation committed but its key is gone (its create failed, or it was deleted since).
 */
async function createOnce(
  client: OpsApiClient,
  spec: CreateApiKeyRequest['spec'],
  asyncOperationId: string,
): Promise<{ keyId: string; token?: string; asyncOperationId: string } | undefined> {
  try {
    const created = await client.createApiKey({ spec, asyncOperationId });
    return { keyId: created.keyId, asyncOperationId, ...(created.token ? { token: created.token } : {}) };
  } catch (err) {
    if (!(await isOwnRepeat(err, client, asyncOperationId))) throw err;
    const owned = await listAll(client, 'listApiKeys', {
      ownerId: spec.ownerId,
      ownerType: spec.ownerType,
    });
    const key = owned.find((k) => k.asyncOperationId === asyncOperationId);
    return key ? { keyId: key.id, asyncOperationId } : undefined;
  }
}
