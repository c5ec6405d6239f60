import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ApiKey, OwnerType } from '../ops-api/types';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { rotatedDisplayName } from '../shared/api-key-names';
import { FailureType } from '../shared/failure-types';
import {
  parseDurationMs,
  rotateApiKeyInput,
  type RotateApiKeyInput,
  type RotateApiKeyRequest,
} from '../shared/validation';
import {
  describeError,
  failureType,
  operationKey,
  validInputOrFail,
  deleteResource,
  waitForOperation,
  waitUntilGone,
} from './common';
import { newestFirst } from '../shared/resources';
import { DecisionGate, DEFAULT_APPROVAL_TIMEOUT_MS, type Decision, type DecisionStatus } from './approvals';

const { getApiKey, getUser, getServiceAccount } = proxyActivities<Activities>(opsApiCall);
const { listApiKeysByOwner, ensureApiKey } = proxyActivities<Activities>(opsApiPaging);

export type RotateStep =
  | 'validating'
  | 'resolving'
  | 'creating-new-key'
  | 'waiting-for-new-key'
  | 'awaiting-approval'
  | 'grace-period'
  | 'deleting-old-key'
  | 'aborting'
  | 'completed'
  | 'aborted'
  | 'failed';

export interface RotateStatus extends DecisionStatus {
  step: RotateStep;
  ownerId?: string;
  ownerType?: OwnerType;
  oldKeyId?: string;
  newKeyId?: string;
  secretRef?: string;
  /** When the grace period ends on its own (ISO); set once it has started. */
  graceEndsAt?: string;
  cutoverConfirmed: boolean;
  abortRequested: boolean;
  /** Set when an abort arrived too late to matter (the old key was already being deleted). */
  abortIgnored?: string;
  lastError?: string;
}

export interface RotateApiKeyResult {
  outcome: 'rotated' | 'aborted';
  ownerId: string;
  ownerType: OwnerType;
  oldKeyId: string;
  /** On `aborted` the new key was deleted again (with its secret); the id is kept for the audit trail. */
  newKeyId: string;
  /** Where the new key's token is; absent when aborted. The token itself is never in a result. */
  secretRef?: string;
  newKeyExpiryTime: string;
  /** Whether this run deleted (or found already gone) the old key. */
  oldKeyDeleted: boolean;
  /** How the grace period ended. */
  graceEndedBy: 'timer' | 'confirmCutover' | 'abort' | 'no-grace';
  abortReason?: string;
  /** The decision on the cut-over, when the policy asked for one. */
  approval?: Decision;
  startedAt: string;
  newKeyActiveAt: string;
  graceEndedAt: string;
  completedAt: string;
}

export interface AbortRotation {
  reason?: string;
  /** Who aborts; checked like any decision when the run records its approvers. */
  by?: string;
}
export interface ConfirmCutover {
  /** Who confirms; checked like any decision when the run records its approvers. */
  by?: string;
}

export const rotateStatusQuery = defineQuery<RotateStatus>('status');
/** Consumers have switched to the new key: end the grace period now. */
export const confirmCutoverSignal = defineSignal<[ConfirmCutover?]>('confirmCutover');
/** Stop: delete the new key (and its secret) and keep the old one. Ignored once the old key is being deleted. */
export const abortRotationSignal = defineSignal<[AbortRotation?]>('abort');

const DAY_MS = 24 * 60 * 60_000;

/**
 * Replaces an API key: creates the new key for the same owner (token straight into the secret sink),
 * waits until it is active, keeps both valid for a grace period, then deletes the old one. An abort or
 * a failure before the old key is touched removes the new key again, so the owner is never left with
 * neither.
 */
export async function rotateApiKey(rawInput: RotateApiKeyInput): Promise<RotateApiKeyResult> {
  const status: RotateStatus = { step: 'validating', cutoverConfirmed: false, abortRequested: false };
  let abortReason: string | undefined;
  setHandler(rotateStatusQuery, () => status);

  const input = validInputOrFail(rotateApiKeyInput, rawInput, status);
  // The cut-over deletes the old key: when the policy asks, it waits for an approver, and ending the grace period
  // early or aborting are decisions checked the same way.
  const gate = new DecisionGate(input.approval, status);
  let approval: Decision | undefined;
  setHandler(confirmCutoverSignal, (req) => {
    if (gate.admit('confirmCutover', req?.by)) status.cutoverConfirmed = true;
  });
  setHandler(abortRotationSignal, (req) => {
    if (status.step === 'deleting-old-key' || status.step === 'completed') {
      status.abortIgnored = 'the old key was already being deleted';
      return;
    }
    if (!gate.admit('abort', req?.by, true)) return;
    status.abortRequested = true;
    abortReason = req?.reason;
  });
  const graceMs = parseDurationMs(input.gracePeriod) ?? 0;
  const wait = DEFAULT_ASYNC_WAIT;
  const startedAt = workflowInfo().startTime;
  let created: { keyId: string; secretRef: string } | undefined;
  // The new key's create operation failed: that proves a NOT_FOUND for it true (nothing to delete).
  let createFailed = false;

  try {
    status.step = 'resolving';
    const old = await resolveKey(input);
    status.oldKeyId = old.id;
    status.ownerId = old.spec.ownerId;
    status.ownerType = old.spec.ownerType;
    // A key still activating cannot be deleted later; let its create finish first.
    if (old.state === 'activating' && old.asyncOperationId) {
      await waitForOperation(old.asyncOperationId, { kind: 'apiKey', id: old.id, until: 'ready' }, wait);
    }

    status.step = 'creating-new-key';
    const newKeyExpiryTime = new Date(Date.now() + input.expiryDays * DAY_MS).toISOString();
    const key = await ensureApiKey({
      displayName: replacementName(old, workflowInfo().workflowId),
      ownerId: old.spec.ownerId,
      ownerType: old.spec.ownerType,
      expiryTime: newKeyExpiryTime,
      operationKey: operationKey('create-new-key'),
      metadata: { rotatedFrom: old.id },
    });
    // Only a key this run made is undone on abort or failure; one reused from an earlier run stays.
    if (key.outcome === 'created') created = { keyId: key.keyId, secretRef: key.secretRef };
    status.newKeyId = key.keyId;
    status.secretRef = key.secretRef;

    status.step = 'waiting-for-new-key';
    if (key.asyncOperationId) {
      await waitForOperation(
        key.asyncOperationId,
        { kind: 'apiKey', id: key.keyId, until: 'ready' },
        wait,
      ).catch((err: unknown) => {
        createFailed = failureType(err) === FailureType.AsyncOperationFailed;
        throw err;
      });
    }
    // Keys whose token was lost are being deleted: the owner ends with the old key and one new one.
    await waitUntilGone(key.replacedOrphans, wait);
    const newKeyActiveAt = new Date().toISOString();

    if (gate.required() && !status.abortRequested) {
      status.step = 'awaiting-approval';
      approval = (await gate.wait(DEFAULT_APPROVAL_TIMEOUT_MS))?.decision;
      if (approval?.decision !== 'approved') {
        // Rejected or not decided: the old key stays, the new one goes.
        status.abortRequested = true;
        abortReason = approval
          ? `rejected by ${approval.by}${approval.comment ? ` (${approval.comment})` : ''}`
          : `no approval within ${DEFAULT_APPROVAL_TIMEOUT_MS / 3_600_000}h`;
      }
    }

    status.step = 'grace-period';
    let graceEndedBy: RotateApiKeyResult['graceEndedBy'] = 'no-grace';
    const ended = () => status.cutoverConfirmed || status.abortRequested;
    if (graceMs > 0 && !ended()) {
      status.graceEndsAt = new Date(Date.now() + graceMs).toISOString();
      await condition(ended, graceMs);
    }
    if (status.abortRequested) graceEndedBy = 'abort';
    else if (status.cutoverConfirmed) graceEndedBy = 'confirmCutover';
    else if (graceMs > 0) graceEndedBy = 'timer';
    const graceEndedAt = new Date().toISOString();
    const base = {
      ownerId: old.spec.ownerId,
      ownerType: old.spec.ownerType,
      oldKeyId: old.id,
      newKeyId: key.keyId,
      newKeyExpiryTime,
      graceEndedBy,
      startedAt: startedAt.toISOString(),
      newKeyActiveAt,
      graceEndedAt,
      ...(approval ? { approval } : {}),
    };

    if (status.abortRequested) {
      status.step = 'aborting';
      if (created) await removeNewKey(created.keyId);
      created = undefined;
      status.step = 'aborted';
      return {
        ...base,
        outcome: 'aborted',
        oldKeyDeleted: false,
        ...(abortReason ? { abortReason } : {}),
        completedAt: new Date().toISOString(),
      };
    }

    let oldKeyDeleted = false;
    if (input.deleteOldKey) {
      // From here on the rotation only moves forward: an abort can no longer bring the old key back.
      status.step = 'deleting-old-key';
      created = undefined;
      await deleteResource({ kind: 'apiKey', id: old.id }, operationKey('delete-old-key'), wait);
      oldKeyDeleted = true;
    }
    status.step = 'completed';
    return {
      ...base,
      outcome: 'rotated',
      secretRef: key.secretRef,
      oldKeyDeleted,
      completedAt: new Date().toISOString(),
    };
  } catch (err) {
    status.lastError = describeError(err);
    let cleanup = '';
    if (created) {
      // Undo our half of the rotation even when the workflow is being cancelled; the old key stays.
      status.step = 'aborting';
      const newKeyId = created.keyId;
      cleanup = await CancellationScope.nonCancellable(() => removeNewKey(newKeyId)).then(
        () => ` The new key ${newKeyId} was deleted again; the old key is unchanged.`,
        (cleanupErr: unknown) =>
          ` Deleting the new key ${newKeyId} failed too (${describeError(cleanupErr)}); delete it by hand.`,
      );
    }
    status.step = 'failed';
    if (isCancellation(err)) throw err;
    const type = failureType(err);
    throw ApplicationFailure.create({
      type: type === FailureType.NotFound || type === FailureType.InvalidInput ? type : 'RotationFailed',
      message: `${status.lastError}.${cleanup}`,
      nonRetryable: true,
      details: [{ oldKeyId: status.oldKeyId, newKeyId: status.newKeyId, step: status.step }],
    });
  }

  async function removeNewKey(keyId: string): Promise<void> {
    await deleteResource({ kind: 'apiKey', id: keyId }, operationKey('delete-new-key'), {
      ...wait,
      createdByThisRun: true,
      createFailed,
    });
  }
}

/** The key to rotate: the given one, or the owner's newest active key. Refuses clearly when there is none. */
async function resolveKey(input: RotateApiKeyRequest): Promise<ApiKey> {
  const refuse = (message: string) =>
    ApplicationFailure.create({ type: FailureType.NotFound, message, nonRetryable: true });
  const isNotFound = (err: unknown) => failureType(err) === FailureType.NotFound;

  if (input.keyId) {
    const keyId = input.keyId;
    const key = await getApiKey(keyId).catch((err: unknown) => {
      throw isNotFound(err) ? refuse(`API key ${keyId} does not exist`) : err;
    });
    if (input.ownerId && (key.spec.ownerId !== input.ownerId || key.spec.ownerType !== input.ownerType)) {
      throw ApplicationFailure.create({
        type: FailureType.InvalidInput,
        message: `API key ${keyId} belongs to ${key.spec.ownerType} ${key.spec.ownerId}, not ${input.ownerType} ${input.ownerId}`,
        nonRetryable: true,
      });
    }
    if (key.state === 'deleting')
      throw refuse(`API key ${keyId} is being deleted; there is nothing to rotate`);
    return key;
  }

  const ownerId = input.ownerId!;
  const ownerType = input.ownerType!;
  const owner = ownerType === 'user' ? getUser(ownerId) : getServiceAccount(ownerId);
  const ownerState = await owner.then(
    (o) => o.state,
    (err: unknown) => {
      throw isNotFound(err) ? refuse(`${ownerType} ${ownerId} does not exist`) : err;
    },
  );
  if (ownerState === 'deleting') throw refuse(`${ownerType} ${ownerId} is being deleted`);
  const owned = await listApiKeysByOwner({ ownerId, ownerType });
  // Newest first: rotating the key most likely in use; ties broken by id so replays agree. An expired
  // key (the real API marks it so) is rotated only when the owner has no active one.
  const newestOf = (state: string) => owned.filter((k) => k.state === state).sort(newestFirst)[0];
  const newest = newestOf('active') ?? newestOf('expired');
  if (!newest) {
    throw refuse(`${ownerType} ${ownerId} has no active API key to rotate; create one instead`);
  }
  return newest;
}

/**
 * The replacement's display name: the old name plus a hash of (workflow id, old key id). Retries and
 * replays of the same rotation find the same key instead of making a second; chains of rotations
 * replace the suffix instead of growing the name.
 */
export function replacementName(old: Pick<ApiKey, 'id' | 'spec'>, workflowId: string): string {
  return rotatedDisplayName(old.spec.displayName, fnv1a(`${workflowId}|${old.id}`));
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
