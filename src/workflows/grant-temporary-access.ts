// grantTemporaryAccess: a user or service account gets a permission on one namespace for a while, once someone
// other than the requester (and other than whom it is for) approves it; when the time is up the run undoes exactly
// what it changed — the lower permission it found comes back, a grant it found is never taken away, and a grant
// someone else has changed since is left as it is. `extend` (approved again) and `revokeNow` signal the run.
import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AccessChangeResult, AccessTarget } from '../activities/temporary-access';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { ANY_APPROVER, type Approval } from '../shared/approval';
import { parseDurationMs } from '../shared/validation';
import {
  grantTemporaryAccessInput,
  type AccessPermission,
  type GrantTemporaryAccessInput,
  type GrantTemporaryAccessRequest,
} from '../shared/temporary-access';
import { DecisionGate, type Decision, type DecisionStatus } from './approvals';
import { describeError, operationKey, validInputOrFail, waitForOperation } from './common';
import { extensionRefusal, holdUntilEnd, type ExtensionRecord, type ExtensionRequest } from './access-hold';

const { resolveAccessTarget } = proxyActivities<Activities>(opsApiPaging);
const { changeNamespaceAccess } = proxyActivities<Activities>(opsApiCall);

/** What is asked, as the run resolved it: shown while it waits for approval and in the access list. */
export interface AccessSubject {
  principal: string;
  principalKind: AccessTarget['kind'];
  principalId: string;
  namespace: string;
  namespaceId: string;
  permission: AccessPermission;
  duration: string;
  reason: string;
  /** Its permission there when the request was checked (null: none). */
  had: AccessPermission | null;
}

export interface RevokeRequest {
  by: string;
  reason?: string;
  at: string;
}

export interface AccessStatus extends DecisionStatus {
  step:
    | 'validating'
    | 'resolving'
    | 'awaiting-approval'
    | 'granting'
    | 'granted'
    | 'revoking'
    | 'completed'
    | 'failed';
  access?: AccessSubject;
  /** Who approved the access (absent where the policy asked for no approval). */
  approvedBy?: string;
  /** What this run changed; absent while it has changed nothing. */
  changed?: { from: AccessPermission | null; to: AccessPermission };
  grantedAt?: string;
  /** When the access ends unless extended or revoked first. */
  endsAt?: string;
  /** An extension waiting for approval; `awaitingApproval` is true while it waits. */
  extension?: ExtensionRequest;
  awaitingApproval?: boolean;
  extensions: ExtensionRecord[];
  revokeRequested?: RevokeRequest;
  /** A run that failed or was cancelled after granting: how taking its grant back went. */
  undoneOnFailure?: UndoOutcome;
  lastError?: string;
}

/**
 * How the end went: `removed` or `restored` (the permission found before came back) by this run; `nothing-to-undo`
 * (the run changed nothing); `already-as-found` (someone else undid it first); `left-as-is` (someone else changed the
 * grant since: not clobbered, see `foundAtEnd`); `principal-gone` (the user or account was deleted, grants with it).
 */
export type UndoOutcome =
  'removed' | 'restored' | 'nothing-to-undo' | 'already-as-found' | 'left-as-is' | 'principal-gone';

export interface AccessResult {
  /** `already-had`: the principal had the permission (or more) already; nothing was changed or undone. */
  outcome: 'ended' | 'already-had' | 'rejected' | 'approval-timed-out' | 'withdrawn';
  access: AccessSubject;
  approval?: Decision;
  /** Its permission right before the grant (null: none). */
  found?: AccessPermission | null;
  changed?: { from: AccessPermission | null; to: AccessPermission };
  grantedAt?: string;
  endedAt?: string;
  endedBy?: 'expiry' | 'revoke-now';
  revokeRequested?: RevokeRequest;
  undo?: UndoOutcome;
  /** What the grant was at the end when it was left as is. */
  foundAtEnd?: AccessPermission | null;
  extensions: ExtensionRecord[];
}

export interface ExtendAccess {
  by: string;
  /** How much longer: 15m to 30d, from the current end. */
  duration: string;
  reason?: string;
}
export interface RevokeAccessNow {
  by: string;
  reason?: string;
}

export const accessStatusQuery = defineQuery<AccessStatus>('status');
export const extendAccessSignal = defineSignal<[ExtendAccess]>('extend');
export const revokeAccessNowSignal = defineSignal<[RevokeAccessNow?]>('revokeNow');
export { approveSignal as approveAccessSignal, rejectSignal as rejectAccessSignal } from './approvals';

/** One request as it goes. */
export interface AccessRun {
  input: GrantTemporaryAccessRequest;
  status: AccessStatus;
  gate: DecisionGate;
  /** Whether every decision waits for an approver (the policy's answer; always, for a run started without one). */
  approvalNeeded: boolean;
  target?: AccessTarget;
  decision?: Decision;
  found?: AccessPermission | null;
  endsAtMs: number;
  /** The revoke has been started (by the end, or by the failure path): never twice. */
  revoking?: boolean;
}

const WAIT = DEFAULT_ASYNC_WAIT;
/** Attempts to grant when the grant keeps changing under the run (someone else editing it at the same time). */
const GRANT_ATTEMPTS = 3;
const RANK: Record<AccessPermission, number> = { read: 1, write: 2, admin: 3 };
const rank = (p: AccessPermission | null) => (p ? RANK[p] : 0);
const nowIso = () => new Date().toISOString();

export async function grantTemporaryAccess(rawInput: GrantTemporaryAccessInput): Promise<AccessResult> {
  const status: AccessStatus = { step: 'validating', extensions: [] };
  setHandler(accessStatusQuery, () => status);
  const input = validInputOrFail(grantTemporaryAccessInput, rawInput, status);
  const run: AccessRun = {
    input,
    status,
    gate: new DecisionGate(approvalOf(input), status),
    // Without the policy's answer (a run started by hand), access still waits for someone else's approval.
    approvalNeeded: input.approval?.required ?? true,
    endsAtMs: 0,
  };
  listen(run);
  try {
    status.step = 'resolving';
    const target = await resolveAccessTarget({ principal: input.principal, namespace: input.namespace });
    run.target = target;
    status.access = subjectOf(input, target);
    const refused = await approvalRefused(run);
    if (refused) return result(run, refused);
    if (!(await grant(run, target))) return result(run, 'already-had');
    await holdUntilEnd(run);
    status.step = 'revoking';
    run.revoking = true;
    const end = await undo(run, target);
    return result(run, 'ended', end);
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    await undoAfterFailure(run);
    throw err;
  }
}

/**
 * Access never outlives its run: a run that fails or is cancelled after granting takes its grant back (its own,
 * proven by the grant's operation id; compare-and-set, so a grant changed since is left), even while cancelled.
 */
async function undoAfterFailure(run: AccessRun): Promise<void> {
  const { status, target } = run;
  if (!status.changed || !target || run.revoking) return;
  run.revoking = true;
  try {
    const end = await CancellationScope.nonCancellable(() => undo(run, target));
    status.undoneOnFailure = end.undo;
  } catch (undoErr) {
    status.lastError += `; the access it granted may still be in place: ${describeError(undoErr)}`;
  }
}

/** The policy's answer, with whom the access is for added to those who may not approve it. */
function approvalOf(input: GrantTemporaryAccessRequest): Approval {
  const principal = input.principal.toLowerCase();
  const base: Approval = input.approval ?? {
    requestedBy: principal,
    approvers: ANY_APPROVER,
    required: true,
    reasons: ['temporary access needs an approval'],
  };
  const person = principal.includes('@') ? [principal] : [];
  const beneficiaries = [...new Set([...(base.beneficiaries ?? []), ...person])];
  return { ...base, ...(beneficiaries.length ? { beneficiaries } : {}) };
}

function subjectOf(input: GrantTemporaryAccessRequest, target: AccessTarget): AccessSubject {
  return {
    principal: target.principalName,
    principalKind: target.kind,
    principalId: target.principalId,
    namespace: input.namespace,
    namespaceId: target.namespaceId,
    permission: input.permission,
    duration: input.duration,
    reason: input.reason,
    had: target.current,
  };
}

/** `revokeNow` from anyone who names themselves (ending access early only takes away); `extend` as a request. */
function listen(run: AccessRun): void {
  const { status, gate } = run;
  setHandler(revokeAccessNowSignal, (req) => {
    const by = req?.by?.trim();
    if (!by) return gate.refuse('revokeNow', by, 'a revocation must name who asks for it');
    // Already ending (its time is up, or it was asked before): nothing more to do.
    if (status.revokeRequested || ['revoking', 'completed', 'failed'].includes(status.step)) return;
    const reason = req?.reason?.trim().slice(0, 500);
    status.revokeRequested = { by, ...(reason ? { reason } : {}), at: nowIso() };
  });
  setHandler(extendAccessSignal, (req) => {
    const refusal = extensionRefusal(run, req);
    if (refusal) return gate.refuse('extend', req?.by, refusal);
    const reason = req.reason?.trim().slice(0, 500);
    status.extension = {
      duration: req.duration.trim(),
      ...(reason ? { reason } : {}),
      requestedBy: req.by.trim(),
      requestedAt: nowIso(),
    };
  });
}

/** Waits for the approval where needed: the outcome when it was refused, did not come, or was called off. */
async function approvalRefused(
  run: AccessRun,
): Promise<'rejected' | 'approval-timed-out' | 'withdrawn' | undefined> {
  const { status, gate, input } = run;
  if (status.revokeRequested) return 'withdrawn';
  if (!run.approvalNeeded) return undefined;
  status.step = 'awaiting-approval';
  const answer = await gate.wait(parseDurationMs(input.approvalTimeout)!, {
    until: () => status.revokeRequested !== undefined,
  });
  run.decision = answer?.decision;
  if (!run.decision) return status.revokeRequested ? 'withdrawn' : 'approval-timed-out';
  if (run.decision.decision === 'rejected') return 'rejected';
  status.approvedBy = run.decision.by;
  return undefined;
}

/**
 * Grants the permission unless the principal has it (or more) already: false then, and nothing is changed. The
 * grant is compare-and-set against what the run last saw; if someone changes it meanwhile, the run looks again.
 */
async function grant(run: AccessRun, target: AccessTarget): Promise<boolean> {
  const { status, input } = run;
  status.step = 'granting';
  let found = target.current;
  for (let attempt = 1; ; attempt++) {
    run.found = found;
    if (rank(found) >= rank(input.permission)) return false;
    const res = await change(target, found, input.permission, 'grant');
    if (res.outcome === 'as-wanted') {
      run.found = input.permission;
      return false;
    }
    if (res.outcome === 'principal-gone') throw gone(target);
    if (res.outcome === 'changed') {
      // Recorded before the wait: if the wait fails, the failure path still knows what to take back.
      status.changed = { from: found, to: input.permission };
      await waitForOperation(
        res.asyncOperationId,
        { kind: target.kind, id: target.principalId, until: 'ready' },
        WAIT,
      );
      break;
    }
    if (attempt === GRANT_ATTEMPTS) {
      throw ApplicationFailure.create({
        type: 'AccessChangedMeanwhile',
        message: `the access of ${target.principalName} to ${input.namespace} kept changing while it was being granted; nothing was changed`,
        nonRetryable: true,
      });
    }
    found = res.current;
  }
  status.step = 'granted';
  status.grantedAt = nowIso();
  run.endsAtMs = Date.now() + parseDurationMs(input.duration)!;
  status.endsAt = new Date(run.endsAtMs).toISOString();
  return true;
}

/** Undoes this run's change, only while the grant is still what the run set. */
async function undo(
  run: AccessRun,
  target: AccessTarget,
): Promise<{ undo: UndoOutcome; foundAtEnd?: AccessPermission | null }> {
  const changed = run.status.changed!;
  const res = await change(target, changed.to, changed.from, 'revoke');
  switch (res.outcome) {
    case 'changed':
      // The operation's end is the revoke's: a read of the principal after it could meet an offboarding that
      // deleted the user meanwhile (its grants go with it), and a "not found" then would read as lag.
      await waitForOperation(res.asyncOperationId, undefined, WAIT);
      return { undo: changed.from === null ? 'removed' : 'restored' };
    case 'as-wanted':
      return { undo: 'already-as-found' };
    case 'principal-gone':
      return { undo: 'principal-gone' };
    case 'differs':
      return { undo: 'left-as-is', foundAtEnd: res.current };
  }
}

function change(
  target: AccessTarget,
  from: AccessPermission | null,
  to: AccessPermission | null,
  step: 'grant' | 'revoke',
): Promise<AccessChangeResult> {
  const { kind, principalId, namespaceId } = target;
  return changeNamespaceAccess({
    kind,
    principalId,
    namespaceId,
    from,
    to,
    operationKey: operationKey(step),
  });
}

const gone = (target: AccessTarget) =>
  ApplicationFailure.create({
    type: 'PrincipalGone',
    message: `${target.kind === 'user' ? 'user' : 'service account'} ${target.principalName} no longer exists; nothing was changed`,
    nonRetryable: true,
  });

function result(
  run: AccessRun,
  outcome: AccessResult['outcome'],
  end?: { undo: UndoOutcome; foundAtEnd?: AccessPermission | null },
): AccessResult {
  const { status } = run;
  status.step = 'completed';
  const ended = outcome === 'ended';
  return {
    outcome,
    access: status.access!,
    ...(run.decision ? { approval: run.decision } : {}),
    ...(run.found !== undefined ? { found: run.found } : {}),
    ...(status.changed ? { changed: status.changed } : {}),
    ...(status.grantedAt ? { grantedAt: status.grantedAt } : {}),
    ...(ended ? { endedAt: nowIso(), endedBy: status.revokeRequested ? 'revoke-now' : 'expiry' } : {}),
    ...(status.revokeRequested ? { revokeRequested: status.revokeRequested } : {}),
    ...(end ?? (outcome === 'already-had' ? { undo: 'nothing-to-undo' as const } : {})),
    extensions: status.extensions,
  };
}
