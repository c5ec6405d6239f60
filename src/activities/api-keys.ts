import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { asyncOperationIdFor, listAll } from '../ops-api';
import type { ApiKey, OpsApiClient, OwnerType } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import {
  ensureApiKey,
  UNUSABLE_KEY_STATES,
  apiKeySecretName,
  type EnsureApiKeyInput,
} from './api-key-create';

export {
  apiKeySecretName,
  MAX_KEY_CREATES_PER_STEP,
  type CreatedApiKey,
  type EnsureApiKeyInput,
  type EnsureApiKeyResult,
  type ReplacedOrphan,
} from './api-key-create';
import type { ActivityDeps } from './deps';
import { deleteKind } from './resource-kinds';
import {
  attemptNumber,
  findOwnOperation,
  isConfirmedNotFound,
  isOwnRepeat,
  judgeRefusal,
  type DeleteInput,
  type DeleteResult,
  clientCalls,
} from './util';

export interface DisableResult {
  /** `disabling`: this step's disable (its operation, to wait on); the others: nothing to disable. */
  outcome: 'disabling' | 'already-disabled' | 'already-gone';
  asyncOperationId?: string;
}

export function createApiKeyActivities(deps: ActivityDeps) {
  const { client, secrets } = deps;
  return {
    ...clientCalls(client, 'listApiKeys', 'getApiKey'),
    async listApiKeysByOwner(input: { ownerId: string; ownerType?: OwnerType }): Promise<ApiKey[]> {
      return listAll(client, 'listApiKeys', input);
    },
    ensureApiKey: (input: EnsureApiKeyInput) => ensureApiKey(deps, input),

    /** Whether this API can disable a key (the real API's updateApiKey; the given document has no such operation). */
    async canDisableApiKeys(): Promise<boolean> {
      return client.supports('updateApiKey');
    },
    disableApiKey: (input: { keyId: string; operationKey: string }) => disableApiKey(client, input),

    /** Deletes the key and, with `deleteSecret`, its token from the sink. */
    async deleteApiKeyIfExists(
      input: { keyId: string; deleteSecret?: boolean } & DeleteInput,
    ): Promise<DeleteResult> {
      const result = await deleteKind(client, 'apiKey', input.keyId, input);
      // A key not known to be gone may still work: its token stays where its owner finds it.
      if (input.deleteSecret && result.outcome !== 'unreadable')
        await secrets.delete(apiKeySecretName(input.keyId));
      return result;
    },
  };
}

/**
 * Disables a key in one call (the key as read, `disabled: true`, its resourceVersion): it stops working
 * at once and could be enabled again. Under this step's operation id, so a retry after a lost answer is
 * the same change: the step's operation found means it was sent. A refusal of a key that moved on since
 * the read (any client error) is retried on a fresh read.
 */
async function disableApiKey(
  client: OpsApiClient,
  input: { keyId: string; operationKey: string },
): Promise<DisableResult> {
  const asyncOperationId = asyncOperationIdFor(input.operationKey);
  // Only an earlier attempt can have sent this step's disable (the first one's update is deduplicated anyway).
  if (attemptNumber() > 1 && (await findOwnOperation(client, asyncOperationId)))
    return { outcome: 'disabling', asyncOperationId };
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
    if (await isOwnRepeat(err, client, asyncOperationId)) return { outcome: 'disabling', asyncOperationId };
    if (await isConfirmedNotFound(err, client)) return { outcome: 'already-gone' };
    const verdict = await judgeRefusal(err, key, read, (now) => now.spec.disabled === true);
    if (verdict === 'as-wanted') return { outcome: 'already-disabled' };
    if (verdict === 'moved') {
      throw ApplicationFailure.create({
        type: FailureType.ResourceNotReady,
        message: `API key ${key.id} changed while it was being disabled (${(err as Error).message}); reading it again`,
        nextRetryDelay: 1_000,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    throw err;
  }
}
