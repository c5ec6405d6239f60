import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { asyncOperationIdFor, listAll } from '../ops-api';
import type {
  ApiKey,
  CreateApiKeyRequest,
  ListApiKeysParams,
  ListApiKeysResponse,
  OwnerType,
} from '../ops-api';
import type { SecretRef } from '../secrets';
import { FailureType } from '../shared/failure-types';
import type { ActivityDeps } from './deps';
import {
  changedSince,
  deleteIfExists,
  findOwnOperation,
  isConfirmedNotFound,
  isOwnRepeat,
  type DeleteInput,
  type DeleteResult,
} from './util';

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

export interface DisableResult {
  /** `disabling`: this step's disable (its operation, to wait on); the others: nothing to disable. */
  outcome: 'disabling' | 'already-disabled' | 'already-gone';
  asyncOperationId?: string;
}

/** How many times one step may lose a new key's token before it gives up (each loss is deleted again). */
export const MAX_KEY_CREATES_PER_STEP = 10;

/** A key in one of these states cannot be handed out as the one a request asked for. */
const UNUSABLE_KEY_STATES: ReadonlySet<string> = new Set(['deleting', 'deleted', 'expired', 'suspended']);

const generationKey = (operationKey: string, generation: number) =>
  generation === 1 ? operationKey : `${operationKey}#${generation}`;

export function createApiKeyActivities({ client, secrets }: ActivityDeps) {
  const secretRefOf = (keyId: string): SecretRef => `${secrets.kind}:${apiKeySecretName(keyId)}`;

  // The token goes from the create response straight into the sink; only the reference is returned.
  async function store(keyId: string, token: string, spec: CreateApiKeyRequest['spec'], metadata = {}) {
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

  const deleteKey = (keyId: string, operationKey: string, absentIsGone = false) =>
    deleteIfExists(
      `API key ${keyId}`,
      client,
      operationKey,
      () => client.getApiKey(keyId),
      (params) => client.deleteApiKey(keyId, params),
      absentIsGone,
    );

  return {
    async listApiKeys(params: ListApiKeysParams = {}): Promise<ListApiKeysResponse> {
      return client.listApiKeys(params);
    },
    async getApiKey(keyId: string): Promise<ApiKey> {
      return client.getApiKey(keyId);
    },

    async listApiKeysByOwner(input: { ownerId: string; ownerType?: OwnerType }): Promise<ApiKey[]> {
      return listAll(client, 'listApiKeys', input);
    },

    /**
     * Find-or-create by owner and display name, exactly once. A key with this name whose token is in the
     * sink is reused. Otherwise the step creates under its own operation id: a retry after a lost
     * response, or after a create that committed late, gets the same key back instead of a second one.
     * A key this step made whose token never reached the sink is unusable: it is deleted (it is provably
     * this step's own) and the next create uses the next id of the step, so no key is ever left active
     * without its token and the owner ends with one key.
     */
    async ensureApiKey(input: EnsureApiKeyInput): Promise<EnsureApiKeyResult> {
      const spec = {
        displayName: input.displayName,
        ownerId: input.ownerId,
        ownerType: input.ownerType,
        expiryTime: input.expiryTime,
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
      for (const key of owned) {
        if (key.spec.displayName !== input.displayName || UNUSABLE_KEY_STATES.has(key.state)) continue;
        if (!(await secrets.has(apiKeySecretName(key.id)))) continue;
        const ours = key.asyncOperationId !== undefined && ownIds.includes(key.asyncOperationId);
        return {
          keyId: key.id,
          asyncOperationId: key.asyncOperationId,
          secretRef: secretRefOf(key.id),
          outcome: ours ? 'created' : 'adopted',
          replacedOrphans,
        };
      }

      for (let generation = 1; generation <= MAX_KEY_CREATES_PER_STEP; generation++) {
        const key = generationKey(input.operationKey, generation);
        const created = await createOnce(spec, ownIds[generation - 1]!);
        if (!created) continue;
        const result = (secretRef: SecretRef): EnsureApiKeyResult => ({
          keyId: created.keyId,
          asyncOperationId: created.asyncOperationId,
          secretRef,
          outcome: 'created',
          replacedOrphans,
        });
        if (created.token) return result(await store(created.keyId, created.token, spec, input.metadata));
        // The sink write of an earlier attempt may have succeeded before the attempt itself failed.
        if (await secrets.has(apiKeySecretName(created.keyId))) return result(secretRefOf(created.keyId));
        const removed = await deleteKey(created.keyId, `${key}/delete-tokenless`);
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
    },

    /** Whether this API can disable a key (the real API's updateApiKey; the given document has no such operation). */
    async canDisableApiKeys(): Promise<boolean> {
      return client.supports('updateApiKey');
    },

    /**
     * Disables a key in one call (the key as read, `disabled: true`, its resourceVersion): it stops working
     * at once and could be enabled again. Under this step's operation id, so a retry after a lost answer is
     * the same change: the step's operation found means it was sent. A refusal of a key that moved on since
     * the read (any client error) is retried on a fresh read.
     */
    async disableApiKey(input: { keyId: string; operationKey: string }): Promise<DisableResult> {
      const asyncOperationId = asyncOperationIdFor(input.operationKey);
      if (await findOwnOperation(client, asyncOperationId)) return { outcome: 'disabling', asyncOperationId };
      const read = () => client.getApiKey(input.keyId);
      const key = await read().catch(async (err: unknown) => {
        if (await isConfirmedNotFound(err, client)) return undefined;
        throw err;
      });
      if (!key || UNUSABLE_KEY_STATES.has(key.state)) return { outcome: 'already-gone' };
      if (key.spec.disabled) return { outcome: 'already-disabled' };
      try {
        const spec = { ...key.spec, disabled: true };
        const request = { keyId: key.id, resourceVersion: key.resourceVersion, spec, asyncOperationId };
        return { outcome: 'disabling', ...(await client.updateApiKey(request)) };
      } catch (err) {
        if (await isOwnRepeat(err, client, asyncOperationId))
          return { outcome: 'disabling', asyncOperationId };
        if (await isConfirmedNotFound(err, client)) return { outcome: 'already-gone' };
        if (await changedSince(err, key, read)) {
          throw ApplicationFailure.create({
            type: FailureType.ResourceNotReady,
            message: `API key ${key.id} changed while it was being disabled (${(err as Error).message}); reading it again`,
            nextRetryDelay: 1_000,
            category: ApplicationFailureCategory.BENIGN,
          });
        }
        throw err;
      }
    },

    /** Deletes the key and, with `deleteSecret`, its token from the sink. */
    async deleteApiKeyIfExists(
      input: { keyId: string; deleteSecret?: boolean } & DeleteInput,
    ): Promise<DeleteResult> {
      const result = await deleteKey(input.keyId, input.operationKey, input.absentIsGone);
      // A key not known to be gone may still work: its token stays where its owner finds it.
      if (input.deleteSecret && result.outcome !== 'unreadable')
        await secrets.delete(apiKeySecretName(input.keyId));
      return result;
    },
  };
}
