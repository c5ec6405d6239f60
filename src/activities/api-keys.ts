import { Context } from '@temporalio/activity';
import { listAll } from '../ops-api';
import type {
  ApiKey,
  AsyncOperationResponse,
  CreateApiKeyRequest,
  ListApiKeysParams,
  ListApiKeysResponse,
  OwnerType,
} from '../ops-api';
import type { SecretRef } from '../secrets';
import type { ActivityDeps } from './deps';
import { deleteIfExists, isAtOrAfter, type DeleteResult } from './util';

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
  requestedAt: number;
  /** Recorded with the secret, e.g. the namespace it is for. */
  metadata?: Record<string, string>;
}

export interface EnsureApiKeyResult extends CreatedApiKey {
  outcome: 'created' | 'adopted';
  /** Keys with this display name whose token was lost (never reached the sink); deleted and replaced. */
  replacedOrphans: string[];
}

export function createApiKeyActivities({ client, secrets }: ActivityDeps) {
  // The token goes from the create response straight into the sink; only the reference is returned.
  async function createAndStore(request: CreateApiKeyRequest, metadata: Record<string, string> = {}) {
    const { keyId, token, asyncOperationId } = await client.createApiKey(request);
    const secretRef = await secrets.put(apiKeySecretName(keyId), token, {
      ...metadata,
      keyId,
      displayName: request.spec.displayName,
      ownerId: request.spec.ownerId,
      ownerType: request.spec.ownerType,
      expiryTime: request.spec.expiryTime,
    });
    return { keyId, asyncOperationId, secretRef };
  }

  const deleteKey = (keyId: string) => deleteIfExists(`API key ${keyId}`, () => client.deleteApiKey(keyId));

  return {
    async listApiKeys(params: ListApiKeysParams = {}): Promise<ListApiKeysResponse> {
      return client.listApiKeys(params);
    },
    /** The thin create: unlike the HTTP call it returns a secret reference, never the token. */
    async createApiKey(input: { request: CreateApiKeyRequest }): Promise<CreatedApiKey> {
      return createAndStore(input.request);
    },
    async getApiKey(keyId: string): Promise<ApiKey> {
      return client.getApiKey(keyId);
    },
    async deleteApiKey(keyId: string): Promise<AsyncOperationResponse> {
      return client.deleteApiKey(keyId);
    },

    async listApiKeysByOwner(input: { ownerId: string; ownerType?: OwnerType }): Promise<ApiKey[]> {
      return listAll(client, 'listApiKeys', input);
    },

    /**
     * Find-or-create by owner and display name. A key found with its token in the sink is adopted; one
     * without (created, then the response or the sink write was lost) is unusable, so it is deleted and
     * replaced rather than left behind.
     */
    async ensureApiKey(input: EnsureApiKeyInput): Promise<EnsureApiKeyResult> {
      const owned = await listAll(client, 'listApiKeys', {
        ownerId: input.ownerId,
        ownerType: input.ownerType,
      });
      const candidates = owned.filter(
        (k) => k.spec.displayName === input.displayName && k.state !== 'deleting',
      );
      const replacedOrphans: string[] = [];
      for (const key of candidates) {
        if (await secrets.has(apiKeySecretName(key.id))) {
          return {
            keyId: key.id,
            asyncOperationId: key.asyncOperationId,
            secretRef: `${secrets.kind}:${apiKeySecretName(key.id)}`,
            outcome: isAtOrAfter(key.createdTime, input.requestedAt) ? 'created' : 'adopted',
            replacedOrphans,
          };
        }
      }
      for (const orphan of candidates) {
        await deleteKey(orphan.id);
        replacedOrphans.push(orphan.id);
        Context.current().log.warn('Replaced API key whose token was lost', { keyId: orphan.id });
      }
      const created = await createAndStore(
        {
          spec: {
            displayName: input.displayName,
            ownerId: input.ownerId,
            ownerType: input.ownerType,
            expiryTime: input.expiryTime,
          },
        },
        input.metadata,
      );
      return { ...created, outcome: 'created', replacedOrphans };
    },

    /** Deletes the key and, with `deleteSecret`, its token from the sink. */
    async deleteApiKeyIfExists(input: { keyId: string; deleteSecret?: boolean }): Promise<DeleteResult> {
      const result = await deleteKey(input.keyId);
      if (input.deleteSecret) await secrets.delete(apiKeySecretName(input.keyId));
      return result;
    },
  };
}
