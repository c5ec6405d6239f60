// Making a resource from a workflow step: create-or-adopt under the step's operation key, then wait until it is
// ready. One piece per resource, shared by provisioning, rotation and reconcile.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NamespaceSpec } from '../ops-api/types';
import type { EnsureApiKeyInput, EnsureApiKeyResult } from '../activities/api-keys';
import type { ResourceKind } from '../activities/async-operations';
import type { EnsureNamespaceInput, EnsureNamespaceResult } from '../activities/namespaces';
import type { EnsureServiceAccountInput, EnsureServiceAccountResult } from '../activities/service-accounts';
import type { EnsureUserInput, EnsureUserResult } from '../activities/users';
import { opsApiCall, opsApiPaging, type AsyncWaitOptions } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import { failureType, waitForOperation, waitUntilGone } from './common';

const { ensureNamespace, ensureServiceAccount, ensureApiKey } = proxyActivities<Activities>(opsApiPaging);
const { ensureUser } = proxyActivities<Activities>(opsApiCall);

type Wait = Required<AsyncWaitOptions>;

/** What a caller learns while a resource is made (provisioning records it and registers its undo). */
export interface MadeHooks<R = unknown> {
  /** It exists (made by this step, or adopted): called with what the step answered, before the wait for it. */
  made?(made: { id: string; outcome: 'created' | 'adopted'; asyncOperationId?: string }, answer: R): void;
  /** Its create operation failed: nothing of it is left, so a NOT_FOUND for it is the truth. */
  createFailed?(id: string): void;
}

const DAY_MS = 24 * 60 * 60_000;

/** An API key's expiry time `days` from now (workflow time). */
export function expiryInDays(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString();
}

/** What a namespace needs of a request or a file entry; API-key auth only when the caller manages it. */
export function namespaceSpec(
  want: Pick<NamespaceSpec, 'name' | 'region' | 'retentionDays' | 'codecServer' | 'mtlsAuth'>,
  apiKeyAuth?: boolean,
): NamespaceSpec {
  return {
    name: want.name,
    region: want.region,
    retentionDays: want.retentionDays,
    ...(want.codecServer ? { codecServer: want.codecServer } : {}),
    ...(want.mtlsAuth ? { mtlsAuth: want.mtlsAuth } : {}),
    ...(apiKeyAuth !== undefined ? { apiKeyAuth: { enabled: apiKeyAuth } } : {}),
  };
}

type Made = { kind: ResourceKind; id: string; outcome: 'created' | 'adopted'; asyncOperationId?: string };

/** A resource step: ensure, then (unless it is `settled` as found) wait until it is ready. */
function madeReady<I, R>(ensure: (input: I) => Promise<R>, made: (answer: R) => Made & { settled: boolean }) {
  return async (input: I, wait: Wait, hooks: MadeHooks<R> = {}): Promise<R> => {
    const answer = await ensure(input);
    await readyAfter(made(answer), answer, wait, hooks);
    return answer;
  };
}

/** A namespace, created or adopted, once active and readable. */
export const namespaceReady = madeReady<EnsureNamespaceInput, EnsureNamespaceResult>(
  ensureNamespace,
  (ns) => ({
    kind: 'namespace',
    id: ns.namespace,
    ...ns,
    settled: ns.state === 'active' && ns.outcome !== 'created',
  }),
);

/** A service account, created or adopted, once active and readable. */
export const serviceAccountReady = madeReady<EnsureServiceAccountInput, EnsureServiceAccountResult>(
  ensureServiceAccount,
  (sa) => ({ kind: 'serviceAccount', id: sa.serviceAccountId, ...sa, settled: !sa.asyncOperationId }),
);

/** A user, invited or adopted, once the change is done. */
export const userReady = madeReady<EnsureUserInput, EnsureUserResult>(ensureUser, (user) => ({
  kind: 'user',
  id: user.userId,
  ...user,
  settled: !user.asyncOperationId,
}));

const keyReady = madeReady<EnsureApiKeyInput, EnsureApiKeyResult>(ensureApiKey, (key) => ({
  kind: 'apiKey',
  id: key.keyId,
  ...key,
  settled: !key.asyncOperationId,
}));

/**
 * An API key, found or created with its token in the secret sink, once active; keys this step made whose token was
 * lost are waited for until gone, so the owner ends with exactly the keys the run meant.
 */
export async function apiKeyReady(
  input: EnsureApiKeyInput,
  wait: Wait,
  hooks: MadeHooks<EnsureApiKeyResult> = {},
): Promise<EnsureApiKeyResult> {
  const key = await keyReady(input, wait, hooks);
  await waitUntilGone(key.replacedOrphans, wait);
  return key;
}

async function readyAfter<R>(
  made: Made & { settled: boolean },
  answer: R,
  wait: Wait,
  hooks: MadeHooks<R>,
): Promise<void> {
  const { id, outcome, asyncOperationId } = made;
  hooks.made?.({ id, outcome, ...(asyncOperationId ? { asyncOperationId } : {}) }, answer);
  if (made.settled) return;
  try {
    await waitForOperation(made.asyncOperationId, { kind: made.kind, id: made.id, until: 'ready' }, wait);
  } catch (err) {
    if (failureType(err) === FailureType.AsyncOperationFailed) hooks.createFailed?.(made.id);
    throw err;
  }
}
