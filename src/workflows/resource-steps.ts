// Making a resource from a workflow step: create-or-adopt under the step's operation key, then wait until it is
// ready. One piece per resource, shared by provisioning, rotation and reconcile.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
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

/** A namespace, created or adopted, once active and readable. */
export async function namespaceReady(
  input: EnsureNamespaceInput,
  wait: Wait,
  hooks: MadeHooks<EnsureNamespaceResult> = {},
): Promise<EnsureNamespaceResult> {
  const ns = await ensureNamespace(input);
  const settled = ns.state === 'active' && ns.outcome !== 'created';
  await readyAfter({ kind: 'namespace', id: ns.namespace, ...ns, settled }, ns, wait, hooks);
  return ns;
}

/** A service account, created or adopted, once active and readable. */
export async function serviceAccountReady(
  input: EnsureServiceAccountInput,
  wait: Wait,
  hooks: MadeHooks<EnsureServiceAccountResult> = {},
): Promise<EnsureServiceAccountResult> {
  const sa = await ensureServiceAccount(input);
  const made = { kind: 'serviceAccount' as const, id: sa.serviceAccountId, ...sa };
  await readyAfter({ ...made, settled: !sa.asyncOperationId }, sa, wait, hooks);
  return sa;
}

/** A user, invited or adopted, once the change is done. */
export async function userReady(input: EnsureUserInput, wait: Wait): Promise<EnsureUserResult> {
  const user = await ensureUser(input);
  const made = { kind: 'user' as const, id: user.userId, ...user };
  await readyAfter({ ...made, settled: !user.asyncOperationId }, user, wait, {});
  return user;
}

/**
 * An API key, found or created with its token in the secret sink, once active; keys this step made whose token was
 * lost are waited for until gone, so the owner ends with exactly the keys the run meant.
 */
export async function apiKeyReady(
  input: EnsureApiKeyInput,
  wait: Wait,
  hooks: MadeHooks<EnsureApiKeyResult> = {},
): Promise<EnsureApiKeyResult> {
  const key = await ensureApiKey(input);
  const made = { kind: 'apiKey' as const, id: key.keyId, ...key };
  await readyAfter({ ...made, settled: !key.asyncOperationId }, key, wait, hooks);
  await waitUntilGone(key.replacedOrphans, wait);
  return key;
}

async function readyAfter<R>(
  made: {
    kind: ResourceKind;
    id: string;
    outcome: 'created' | 'adopted';
    asyncOperationId?: string;
    settled: boolean;
  },
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
