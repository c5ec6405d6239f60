import {
  ApplicationFailure,
  defineQuery,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { User } from '../ops-api/types';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import {
  offboardUserInput,
  parseDurationMs,
  type OffboardUserInput,
  type OffboardUserRequest,
} from '../shared/validation';
import type { DeleteResult } from '../activities/util';
import { deleteResource, describeError, failureType, operationKey } from './common';
import { DecisionGate, openDecidingRun, type Decision, type DecisionStatus } from './approvals';
import { endTemporaryAccess, type AccessRunsSearch, type EndedAccess } from './offboard-access';
import {
  groupsReport,
  leaveGroups,
  planGroups,
  type GroupOutcome,
  type GroupsPlan,
  type GroupsReport,
} from './offboard-groups';
import { stopAndDeleteKeys, type StoppedKey } from './offboard-keys';

/** Runs started before offboarding looked at groups replay without it. */
const GROUPS_PATCH = 'offboard-user-groups';

const { getUser } = proxyActivities<Activities>(opsApiCall);
const { findUsersByEmail, listApiKeysByOwner } = proxyActivities<Activities>(opsApiPaging);

export interface PlannedKey {
  id: string;
  displayName: string;
  /** The API's state: a disabled key is still `active` there, so `disabled` says it stopped working. */
  state: string;
  disabled: boolean;
  expiryTime: string;
  /** As listed (absent in runs planned before it was kept). */
  resourceVersion?: string;
}

export interface OffboardPlan {
  /** `resourceVersion` as read (absent in runs planned before it was kept). */
  user: { id: string; email: string; state: string; resourceVersion?: string };
  apiKeys: PlannedKey[];
  deleteUser: boolean;
  /** The groups and custom roles the user has (absent in runs started before this existed). */
  groups?: GroupsPlan;
}

export interface RemovedItem {
  kind: 'apiKey' | 'user' | 'groupMembership';
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
  /** Their temporary-access runs this offboarding ended (each takes back what it granted). */
  temporaryAccess: EndedAccess[];
  /** How their temporary-access runs were found (absent in runs that ended before it ran, e.g. rejected). */
  temporaryAccessSearch?: AccessRunsSearch;
  /** The groups and custom roles they had, and which groups they left (SCIM / Google ones are reported). */
  groups: GroupsReport;
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
    | 'leaving-groups'
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

export const offboardStatusQuery = defineQuery<OffboardStatus>('status');
/** Decisions go through the shared gate (./approvals.ts): never the requester's, only the policy's approvers. */
export {
  approveSignal as approveOffboardingSignal,
  rejectSignal as rejectOffboardingSignal,
  type ApproveDecision as ApproveOffboarding,
  type RejectDecision as RejectOffboarding,
} from './approvals';

/** One offboarding as it goes: its input, status, decision gate and the audit it is writing. */
interface Offboarding {
  input: OffboardUserRequest;
  status: OffboardStatus;
  gate: DecisionGate;
  startedAt: string;
  removed: RemovedItem[];
  skipped: SkippedItem[];
  keysStopped: StoppedKey[];
  temporaryAccess: EndedAccess[];
  temporaryAccessSearch?: AccessRunsSearch;
  groupOutcomes: GroupOutcome[];
  decision?: Decision;
}

/**
 * Removes a user's access: resolves the user, lists the API keys they own, and (after an optional
 * approval) deletes the keys with bounded parallelism and then the user, waiting for each operation.
 * Everything already gone counts as done, so a re-run after a partial run simply finishes the job.
 */
export async function offboardUser(rawInput: OffboardUserInput): Promise<OffboardReport> {
  const status: OffboardStatus = { step: 'validating', keysDone: 0, keysFailed: 0, keysDisabled: 0 };
  const run: Offboarding = {
    ...openDecidingRun(offboardStatusQuery, status, offboardUserInput, rawInput),
    startedAt: workflowInfo().startTime.toISOString(),
    removed: [],
    skipped: [],
    keysStopped: [],
    temporaryAccess: [],
    groupOutcomes: [],
  };

  const { input } = run;
  try {
    status.step = 'resolving';
    const user = await resolveUser(input.email, input.userId);
    const plan = await planOffboarding(run, user);
    if (input.dryRun) {
      skipEverything(run, plan, 'dry run');
      return report(run, plan, 'dry-run');
    }
    const refused = await approvalRefused(run, plan);
    if (refused) return report(run, plan, refused);

    status.step = 'deleting-api-keys';
    // Their temporary access ends meanwhile: each such run takes back what it granted, or calls its request off.
    const ending = endTemporaryAccess(plan.user, `offboarding ${workflowInfo().workflowId}`);
    try {
      await removeKeys(run, plan);
    } finally {
      const { ended, search } = await ending;
      run.temporaryAccess = ended;
      run.temporaryAccessSearch = search;
    }
    if (plan.groups?.offered) {
      status.step = 'leaving-groups';
      run.groupOutcomes = await leaveGroups(plan.groups, user.id);
      for (const o of run.groupOutcomes) if (o.outcome === 'removed') run.removed.push(groupItem(o));
      const failed = run.groupOutcomes.filter((o) => o.outcome === 'failed');
      if (failed.length > 0)
        // A re-run picks up from here; the user stays while they are still in a group.
        throw incomplete(
          run,
          `could not remove ${plan.user.email} from ${failed.length} of ${run.groupOutcomes.length} groups (user kept): ${failed.map((o) => `${o.displayName}: ${o.note ?? ''}`).join('; ')}`,
          { groups: run.groupOutcomes },
        );
    }
    if (input.deleteUser) {
      status.step = 'deleting-user';
      const { resourceVersion } = plan.user;
      const res = await deleteResource(
        { kind: 'user', id: user.id, ...(resourceVersion ? { resourceVersion } : {}) },
        operationKey('delete-user'),
        DEFAULT_ASYNC_WAIT,
      );
      record(run, userItem(plan), res);
    }
    return report(run, plan, 'completed');
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
}

/** The user and the keys they own: what this run would remove. */
async function planOffboarding(run: Offboarding, user: User): Promise<OffboardPlan> {
  run.status.step = 'planning';
  const keys = await listApiKeysByOwner({ ownerId: user.id, ownerType: 'user' });
  const plan: OffboardPlan = {
    user: { id: user.id, email: user.spec.email, state: user.state, resourceVersion: user.resourceVersion },
    apiKeys: keys.map((k) => ({
      id: k.id,
      displayName: k.spec.displayName,
      state: k.state,
      disabled: k.spec.disabled === true,
      expiryTime: k.spec.expiryTime,
      resourceVersion: k.resourceVersion,
    })),
    deleteUser: run.input.deleteUser,
    ...(patched(GROUPS_PATCH) ? { groups: await planGroups(user.id) } : {}),
  };
  run.status.plan = plan;
  return plan;
}

const userItem = (plan: OffboardPlan): RemovedItem => ({
  kind: 'user',
  id: plan.user.id,
  name: plan.user.email,
});

/**
 * The audit says "removed" only for what this run's own delete removed, proven by its operation id, including when
 * that delete's response was lost or the worker died after sending it.
 */
function record(run: Offboarding, item: RemovedItem, res: DeleteResult): void {
  if (res.byThisRun) run.removed.push(item);
  else if (res.outcome === 'already-gone') run.skipped.push({ ...item, reason: 'already gone' });
  else run.skipped.push({ ...item, reason: `deleted by another operation (${res.asyncOperationId})` });
}

const groupItem = (o: GroupOutcome): RemovedItem => ({
  kind: 'groupMembership',
  id: o.groupId,
  name: o.displayName,
});

function skipEverything(run: Offboarding, plan: OffboardPlan, reason: string): void {
  for (const k of plan.apiKeys) run.skipped.push({ kind: 'apiKey', id: k.id, name: k.displayName, reason });
  if (run.input.deleteUser) run.skipped.push({ ...userItem(plan), reason });
}

/** With approval (by default), waits for a decision: the outcome when it was rejected or did not come in time. */
async function approvalRefused(
  run: Offboarding,
  plan: OffboardPlan,
): Promise<'rejected' | 'approval-timed-out' | undefined> {
  const { input, gate } = run;
  if (!gate.required(input.requireApproval)) return undefined;
  run.status.step = 'awaiting-approval';
  run.decision = (await gate.wait(parseDurationMs(input.approvalTimeout)!))?.decision;
  if (!run.decision) {
    skipEverything(run, plan, `no approval within ${input.approvalTimeout}`);
    return 'approval-timed-out';
  }
  if (run.decision.decision !== 'rejected') return undefined;
  skipEverything(run, plan, `rejected by ${run.decision.by}`);
  return 'rejected';
}

/** Every key stops working and is deleted; the user stays while any of them could not be removed. */
async function removeKeys(run: Offboarding, plan: OffboardPlan): Promise<void> {
  const keyPhase = await stopAndDeleteKeys(
    plan.apiKeys,
    { concurrency: run.input.concurrency, wait: DEFAULT_ASYNC_WAIT },
    (key, res) => record(run, { kind: 'apiKey', id: key.id, name: key.displayName }, res),
    run.status,
  );
  run.keysStopped.push(...keyPhase.stopped);
  const failures = keyPhase.failures;
  if (failures.length === 0) return;
  // A re-run picks up from here.
  throw incomplete(
    run,
    `could not delete ${failures.length} of ${plan.apiKeys.length} API keys of ${plan.user.email} (user kept): ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; …' : ''}`,
    { failures },
  );
}

/** The run stops with the user kept, and carries what it did so far (a re-run picks up from there). */
function incomplete(run: Offboarding, message: string, more: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'OffboardingIncomplete',
    message,
    nonRetryable: true,
    details: [{ removed: run.removed, skipped: run.skipped, ...more }],
  });
}

function report(run: Offboarding, plan: OffboardPlan, outcome: OffboardReport['outcome']): OffboardReport {
  const { input, decision } = run;
  run.status.step = 'completed';
  if (!input.deleteUser) run.skipped.push({ ...userItem(plan), reason: 'kept: deleteUser is false' });
  return {
    outcome,
    changed: run.removed.length > 0,
    request: {
      ...(input.email ? { email: input.email } : {}),
      ...(input.userId ? { userId: input.userId } : {}),
      dryRun: input.dryRun,
      requireApproval: run.gate.required(input.requireApproval),
      deleteUser: input.deleteUser,
    },
    plan,
    removed: run.removed,
    skipped: run.skipped,
    keysStopped: run.keysStopped,
    temporaryAccess: run.temporaryAccess,
    ...(run.temporaryAccessSearch ? { temporaryAccessSearch: run.temporaryAccessSearch } : {}),
    groups: groupsReport(plan.groups, run.groupOutcomes),
    ...(decision ? { approval: decision } : {}),
    startedAt: run.startedAt,
    completedAt: new Date().toISOString(),
  };
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
