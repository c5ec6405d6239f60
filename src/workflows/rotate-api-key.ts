import { ApplicationFailure, defineQuery, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ApiKey, OwnerType } from '../ops-api/types';
import type { EnsureApiKeyResult } from '../activities/api-keys';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { rotatedDisplayName } from '../shared/api-key-names';
import { FailureType } from '../shared/failure-types';
import {
  parseDurationMs,
  rotateApiKeyInput,
  type RotateApiKeyInput,
  type RotateApiKeyRequest,
} from '../shared/validation';
import { failureType, operationKey, deleteResource, waitForOperation } from './common';
import { Compensation } from './compensation';
import { apiKeyReady, expiryInDays } from './resource-steps';
import { newestFirst } from '../shared/resources';
import { DecisionGate, openDecidingRun, type Decision } from './approvals';
import {
  awaitCutoverApproval,
  gracePeriod,
  listenForCutover,
  rotationFailure,
  type CutoverStatus,
  type GraceEnd,
} from './cutover';

export {
  abortRotationSignal,
  confirmCutoverSignal,
  type AbortRotation,
  type ConfirmCutover,
} from './cutover';

const { getApiKey, getUser, getServiceAccount } = proxyActivities<Activities>(opsApiCall);
const { listApiKeysByOwner } = proxyActivities<Activities>(opsApiPaging);

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

export interface RotateStatus extends CutoverStatus {
  step: RotateStep;
  ownerId?: string;
  ownerType?: OwnerType;
  oldKeyId?: string;
  newKeyId?: string;
  secretRef?: string;
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
  graceEndedBy: GraceEnd;
  abortReason?: string;
  /** The decision on the cut-over, when the policy asked for one. */
  approval?: Decision;
  startedAt: string;
  newKeyActiveAt: string;
  graceEndedAt: string;
  completedAt: string;
}

export const rotateStatusQuery = defineQuery<RotateStatus>('status');

/** One rotation as it goes: its input, its status, its decisions and how to undo its new key. */
interface Rotation {
  input: RotateApiKeyRequest;
  status: RotateStatus;
  gate: DecisionGate;
  wait: typeof DEFAULT_ASYNC_WAIT;
  /** Holds the new key's removal while this run may still undo its half of the rotation. */
  undo: Compensation;
  abortReason?: string;
  approval?: Decision;
}

/**
 * Replaces an API key: creates the new key for the same owner (token straight into the secret sink),
 * waits until it is active, keeps both valid for a grace period, then deletes the old one. An abort or
 * a failure before the old key is touched removes the new key again, so the owner is never left with
 * neither.
 */
export async function rotateApiKey(rawInput: RotateApiKeyInput): Promise<RotateApiKeyResult> {
  const status: RotateStatus = { step: 'validating', cutoverConfirmed: false, abortRequested: false };
  // The cut-over deletes the old key: when the policy asks, it waits for an approver, and ending the grace period
  // early or aborting are decisions checked the same way.
  const run: Rotation = {
    ...openDecidingRun(rotateStatusQuery, status, rotateApiKeyInput, rawInput),
    wait: DEFAULT_ASYNC_WAIT,
    undo: new Compensation(),
  };
  const { input } = run;
  // confirmCutover ends the grace period early; abort (until the old key is being deleted) undoes the rotation.
  listenForCutover(run, {
    steps: ['deleting-old-key', 'completed'],
    why: 'the old key was already being deleted',
  });
  const startedAt = workflowInfo().startTime;

  try {
    status.step = 'resolving';
    const old = await resolveOldKey(run);
    status.step = 'creating-new-key';
    const newKeyExpiryTime = expiryInDays(input.expiryDays);
    const key = await createNewKey(run, old, newKeyExpiryTime);
    const newKeyActiveAt = new Date().toISOString();
    await awaitCutoverApproval(run);
    const graceEndedBy = await gracePeriod(run, parseDurationMs(input.gracePeriod) ?? 0);
    const base = {
      ownerId: old.spec.ownerId,
      ownerType: old.spec.ownerType,
      oldKeyId: old.id,
      newKeyId: key.keyId,
      newKeyExpiryTime,
      graceEndedBy,
      startedAt: startedAt.toISOString(),
      newKeyActiveAt,
      graceEndedAt: new Date().toISOString(),
      ...(run.approval ? { approval: run.approval } : {}),
    };
    return status.abortRequested
      ? await abort(run, base)
      : await cutOver(run, base, key.secretRef, old.resourceVersion);
  } catch (err) {
    throw await rotationFailed(run, err);
  }
}

/** The key to replace, recorded in the status; one still activating is let finish first (else it cannot be deleted). */
async function resolveOldKey(run: Rotation): Promise<ApiKey> {
  const old = await resolveKey(run.input);
  run.status.oldKeyId = old.id;
  run.status.ownerId = old.spec.ownerId;
  run.status.ownerType = old.spec.ownerType;
  if (old.state === 'activating' && old.asyncOperationId) {
    await waitForOperation(old.asyncOperationId, { kind: 'apiKey', id: old.id, until: 'ready' }, run.wait);
  }
  return old;
}

/**
 * The replacement key, once active. Only a key this run made is undone on abort or failure (one reused from an
 * earlier run stays); its create operation having failed proves a NOT_FOUND for it true (nothing to delete).
 */
async function createNewKey(run: Rotation, old: ApiKey, expiryTime: string): Promise<EnsureApiKeyResult> {
  const { status } = run;
  let createFailed = false;
  return apiKeyReady(
    {
      displayName: replacementName(old, workflowInfo().workflowId),
      ownerId: old.spec.ownerId,
      ownerType: old.spec.ownerType,
      expiryTime,
      // What the old key says it is for goes on with its replacement (the real API's description).
      ...(typeof old.spec.preserved?.description === 'string'
        ? { description: old.spec.preserved.description }
        : {}),
      operationKey: operationKey('create-new-key'),
      metadata: { rotatedFrom: old.id },
    },
    run.wait,
    {
      made({ id, outcome }, key) {
        if (outcome === 'created')
          run.undo.add(`API key ${id}`, () =>
            deleteResource({ kind: 'apiKey', id }, operationKey('delete-new-key'), {
              ...run.wait,
              createdByThisRun: true,
              createFailed,
            }).then(() => undefined),
          );
        status.newKeyId = id;
        status.secretRef = key.secretRef;
        status.step = 'waiting-for-new-key';
      },
      createFailed: () => (createFailed = true),
    },
  );
}

type RotationBase = Omit<RotateApiKeyResult, 'outcome' | 'oldKeyDeleted' | 'completedAt' | 'secretRef'>;

/** The new key goes again (when this run made it); the old one stays. */
async function abort(run: Rotation, base: RotationBase): Promise<RotateApiKeyResult> {
  run.status.step = 'aborting';
  const failures = await run.undo.run();
  if (failures.length > 0) throw failures[0]!.error;
  run.status.step = 'aborted';
  return {
    ...base,
    outcome: 'aborted',
    oldKeyDeleted: false,
    ...(run.abortReason ? { abortReason: run.abortReason } : {}),
    completedAt: new Date().toISOString(),
  };
}

/** The old key is deleted (when asked): from here on the rotation only moves forward. */
async function cutOver(
  run: Rotation,
  base: RotationBase,
  secretRef: string,
  oldKeyVersion: string,
): Promise<RotateApiKeyResult> {
  let oldKeyDeleted = false;
  if (run.input.deleteOldKey) {
    // An abort can no longer bring the old key back.
    run.status.step = 'deleting-old-key';
    run.undo.clear();
    // Sent with the version the rotation read at its start: a key changed since is read again first.
    const old = { kind: 'apiKey' as const, id: base.oldKeyId, resourceVersion: oldKeyVersion };
    await deleteResource(old, operationKey('delete-old-key'), run.wait);
    oldKeyDeleted = true;
  }
  run.status.step = 'completed';
  return { ...base, outcome: 'rotated', secretRef, oldKeyDeleted, completedAt: new Date().toISOString() };
}

/** The failure to report, after undoing this run's half of the rotation (even while cancelled); the old key stays. */
function rotationFailed(run: Rotation, err: unknown): Promise<unknown> {
  const { status } = run;
  const newKeyId = status.newKeyId;
  return rotationFailure(run, err, {
    type: 'RotationFailed',
    kept: [FailureType.NotFound, FailureType.InvalidInput],
    undoing: 'aborting',
    undone: ` The new key ${newKeyId} was deleted again; the old key is unchanged.`,
    undoFailed: (why) => ` Deleting the new key ${newKeyId} failed too (${why}); delete it by hand.`,
    details: () => ({ oldKeyId: status.oldKeyId, newKeyId: status.newKeyId, step: 'failed' }),
  });
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
