import {
  ApplicationFailure,
  defineQuery,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { User } from '../ops-api/types';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import { offboardUserInput, parseDurationMs, type OffboardUserInput } from '../shared/validation';
import type { DeleteResult } from '../activities/util';
import { deleteResource, describeError, failureType, operationKey, validInputOrFail } from './common';
import {
  approveSignal,
  DecisionGate,
  rejectSignal,
  type ApproveDecision,
  type Decision,
  type DecisionStatus,
  type RejectDecision,
} from './approvals';
import { stopAndDeleteKeys, type StoppedKey } from './offboard-keys';

const { getUser } = proxyActivities<Activities>(opsApiCall);
const { findUsersByEmail, listApiKeysByOwner } = proxyActivities<Activities>(opsApiPaging);

export interface PlannedKey {
  id: string;
  displayName: string;
  state: string;
  expiryTime: string;
}

export interface OffboardPlan {
  user: { id: string; email: string; state: string };
  apiKeys: PlannedKey[];
  deleteUser: boolean;
}

export interface RemovedItem {
  kind: 'apiKey' | 'user';
  id: string;
  name: string;
}

export interface SkippedItem extends RemovedItem {
  reason: string;
}

export type { Decision };

export interface OffboardReport {
  outcome: 'completed' | 'dry-run' | 'rejected' | 'approval-timed-out';
  /** False unless something was actually deleted or revoked. */
  changed: boolean;
  request: {
    email?: string;
    userId?: string;
    dryRun: boolean;
    requireApproval: boolean;
    deleteUser: boolean;
  };
  plan: OffboardPlan;
  removed: RemovedItem[];
  skipped: SkippedItem[];
  /** When each of the leaver's keys stopped working: disabled (the real API) or deleted, by this run. */
  keysStopped: StoppedKey[];
  approval?: Decision;
  startedAt: string;
  completedAt: string;
}

export interface OffboardStatus extends DecisionStatus {
  step:
    | 'validating'
    | 'resolving'
    | 'planning'
    | 'awaiting-approval'
    | 'deleting-api-keys'
    | 'deleting-user'
    | 'completed'
    | 'failed';
  plan?: OffboardPlan;
  keysDone: number;
  keysFailed: number;
  /** Keys this run disabled before deleting them (the real API can disable a key at once). */
  keysDisabled: number;
  lastError?: string;
}

export type ApproveOffboarding = ApproveDecision;
export type RejectOffboarding = RejectDecision;

export const offboardStatusQuery = defineQuery<OffboardStatus>('status');
/** Decisions go through the shared gate (./approvals.ts): never the requester's, only the policy's approvers. */
export const approveOffboardingSignal = approveSignal;
export const rejectOffboardingSignal = rejectSignal;

/**
 * Removes a user's access: resolves the user, lists the API keys they own, and (after an optional
 * approval) deletes the keys with bounded parallelism and then the user, waiting for each operation.
 * Everything already gone counts as done, so a re-run after a partial run simply finishes the job.
 */
export async function offboardUser(rawInput: OffboardUserInput): Promise<OffboardReport> {
  const status: OffboardStatus = { step: 'validating', keysDone: 0, keysFailed: 0, keysDisabled: 0 };
  let decision: Decision | undefined;
  setHandler(offboardStatusQuery, () => status);

  const input = validInputOrFail(offboardUserInput, rawInput, status);
  const gate = new DecisionGate(input.approval, status);
  const wait = DEFAULT_ASYNC_WAIT;
  const startedAt = workflowInfo().startTime.toISOString();
  const removed: RemovedItem[] = [];
  const skipped: SkippedItem[] = [];
  const keysStopped: StoppedKey[] = [];
  // The audit says "removed" only for what this run's own delete removed, proven by its operation id,
  // including when that delete's response was lost or the worker died after sending it.
  const record = (item: RemovedItem, res: DeleteResult) => {
    if (res.byThisRun) removed.push(item);
    else if (res.outcome === 'already-gone') skipped.push({ ...item, reason: 'already gone' });
    else skipped.push({ ...item, reason: `deleted by another operation (${res.asyncOperationId})` });
  };

  try {
    status.step = 'resolving';
    const user = await resolveUser(input.email, input.userId);

    status.step = 'planning';
    const keys = await listApiKeysByOwner({ ownerId: user.id, ownerType: 'user' });
    const plan: OffboardPlan = {
      user: { id: user.id, email: user.spec.email, state: user.state },
      apiKeys: keys.map((k) => ({
        id: k.id,
        displayName: k.spec.displayName,
        state: k.state,
        expiryTime: k.spec.expiryTime,
      })),
      deleteUser: input.deleteUser,
    };
    status.plan = plan;
    const userItem: RemovedItem = { kind: 'user', id: user.id, name: user.spec.email };
    const report = (outcome: OffboardReport['outcome']): OffboardReport => {
      status.step = 'completed';
      if (!input.deleteUser) skipped.push({ ...userItem, reason: 'kept: deleteUser is false' });
      return {
        outcome,
        changed: removed.length > 0,
        request: {
          ...(input.email ? { email: input.email } : {}),
          ...(input.userId ? { userId: input.userId } : {}),
          dryRun: input.dryRun,
          requireApproval: gate.required(input.requireApproval),
          deleteUser: input.deleteUser,
        },
        plan,
        removed,
        skipped,
        keysStopped,
        ...(decision ? { approval: decision } : {}),
        startedAt,
        completedAt: new Date().toISOString(),
      };
    };
    const skipEverything = (reason: string) => {
      for (const k of plan.apiKeys) skipped.push({ kind: 'apiKey', id: k.id, name: k.displayName, reason });
      if (input.deleteUser) skipped.push({ ...userItem, reason });
    };

    if (input.dryRun) {
      skipEverything('dry run');
      return report('dry-run');
    }

    if (gate.required(input.requireApproval)) {
      status.step = 'awaiting-approval';
      decision = (await gate.wait(parseDurationMs(input.approvalTimeout)!))?.decision;
      if (!decision) {
        skipEverything(`no approval within ${input.approvalTimeout}`);
        return report('approval-timed-out');
      }
      if (decision?.decision === 'rejected') {
        skipEverything(`rejected by ${decision.by}`);
        return report('rejected');
      }
    }

    status.step = 'deleting-api-keys';
    const keyPhase = await stopAndDeleteKeys(
      plan.apiKeys,
      { concurrency: input.concurrency, wait },
      (key, res) => record({ kind: 'apiKey', id: key.id, name: key.displayName }, res),
      status,
    );
    keysStopped.push(...keyPhase.stopped);
    const failures = keyPhase.failures;
    if (failures.length > 0) {
      // The user stays while any of their keys could not be removed; a re-run picks up from here.
      throw ApplicationFailure.create({
        type: 'OffboardingIncomplete',
        message: `could not delete ${failures.length} of ${plan.apiKeys.length} API keys of ${user.spec.email} (user kept): ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; …' : ''}`,
        nonRetryable: true,
        details: [{ removed, skipped, failures }],
      });
    }

    if (input.deleteUser) {
      status.step = 'deleting-user';
      const res = await deleteResource({ kind: 'user', id: user.id }, operationKey('delete-user'), wait);
      record(userItem, res);
    }
    return report('completed');
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
}

/** Exactly one user, or a non-retryable failure that says what matched. */
async function resolveUser(email: string | undefined, userId: string | undefined): Promise<User> {
  const refuse = (message: string) =>
    ApplicationFailure.create({ type: FailureType.NotFound, message, nonRetryable: true });
  if (userId) {
    return getUser(userId).catch((err: unknown) => {
      throw failureType(err) === FailureType.NotFound ? refuse(`no user with id ${userId}`) : err;
    });
  }
  const matches = await findUsersByEmail(email!);
  if (matches.length === 0) throw refuse(`no user with email ${email}`);
  if (matches.length > 1) {
    throw ApplicationFailure.create({
      type: 'AmbiguousUser',
      message: `${matches.length} users have the email ${email} (${matches.map((u) => u.id).join(', ')}); offboard one by userId`,
      nonRetryable: true,
    });
  }
  return matches[0]!;
}
