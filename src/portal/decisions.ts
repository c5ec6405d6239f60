// The contract by which a run asks a person to decide, read from its `status` query alone (docs/portal.md).
import { approvalRequirement, deciderRefusal } from '../shared/approval';
import { validate } from '../shared/validation';

export type DecisionAction = 'approve' | 'reject' | 'confirm-cutover' | 'abort';

export interface PendingDecision {
  kind: 'approval' | 'cutover';
  /** What the buttons say, in order: the go-ahead first. */
  actions: readonly DecisionAction[];
  /** When the run stops waiting on its own (ISO), if it says. */
  deadline?: string;
}

export const ACTION_LABELS: Record<DecisionAction, string> = {
  approve: 'Approve',
  reject: 'Reject',
  'confirm-cutover': 'Confirm cut-over',
  abort: 'Abort rotation',
};

/** What the run does when nobody decides before the deadline. */
export const DEADLINE_LABELS: Record<PendingDecision['kind'], string> = {
  approval: 'Gives up (changing nothing) at',
  cutover: 'Cuts over on its own at',
};

const isoOrUndefined = (v: unknown) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? v : undefined;

/** The decision a run is waiting for, from its status; undefined when it waits for none. */
export function pendingDecision(status: unknown): PendingDecision | undefined {
  if (!status || typeof status !== 'object') return undefined;
  const s = status as Record<string, unknown>;
  // An approval asked for in another step (an extension of granted access) says `awaitingApproval`.
  if (s.step === 'awaiting-approval' || s.awaitingApproval === true) {
    const deadline = isoOrUndefined(s.approvalDeadline);
    return { kind: 'approval', actions: ['approve', 'reject'], ...(deadline ? { deadline } : {}) };
  }
  if (s.step === 'grace-period' && s.cutoverConfirmed !== true && s.abortRequested !== true) {
    const deadline = isoOrUndefined(s.graceEndsAt);
    // Without an end the grace period is zero: the run is already moving on.
    if (!deadline) return undefined;
    return { kind: 'cutover', actions: ['confirm-cutover', 'abort'], deadline };
  }
  return undefined;
}

/** The signal (name and arguments) that carries `action`, by `user`, with an optional comment. */
export function decisionSignal(
  action: DecisionAction,
  user: string,
  comment: string | undefined,
): { name: string; args: unknown[] } {
  const note = comment ? { comment } : {};
  switch (action) {
    case 'approve':
      return { name: 'approve', args: [{ approver: user, ...note }] };
    case 'reject':
      return { name: 'reject', args: [{ approver: user, ...(comment ? { reason: comment } : {}) }] };
    case 'confirm-cutover':
      return { name: 'confirmCutover', args: [{ by: user, ...note }] };
    case 'abort':
      return {
        name: 'abort',
        args: [{ by: user, reason: comment ? `${comment} (aborted by ${user})` : `aborted by ${user}` }],
      };
  }
}

/** Whether `action` answers the decision the run waits for. */
export function actionFits(decision: PendingDecision | undefined, action: DecisionAction): boolean {
  return Boolean(decision?.actions.includes(action));
}

export interface DeciderRules {
  /** Lower-cased users who may decide, or '*' for everyone signed in. */
  approvers: readonly string[] | '*';
}

/** Why `user` may not decide on this run, or undefined when they may. */
export function refusal(
  rules: DeciderRules,
  user: string,
  run: { requestedBy?: string; approval?: unknown; progress?: Record<string, unknown> },
): string | undefined {
  // What the run recorded at start (its input), else what its status says it recorded.
  const recorded = validate(approvalRequirement, run.approval ?? run.progress?.approval);
  const requestedBy = recorded.ok ? recorded.value.requestedBy.toLowerCase() : run.requestedBy;
  // Who asked for the decision the run waits for, when not its requester (an extension), as the run checks it.
  const askedBy = run.progress?.approvalAskedBy;
  if (typeof askedBy === 'string' && askedBy.toLowerCase() === user) {
    return 'you asked for this yourself: another approver has to decide';
  }
  if (recorded.ok) {
    // The run's own answer (what it will check itself), in the second person.
    if (requestedBy === user) return 'you requested this yourself: another approver has to decide';
    if (recorded.value.beneficiaries?.some((b) => b.toLowerCase() === user)) {
      return 'this request is for you: another approver has to decide';
    }
    return (
      deciderRefusal(recorded.value, user) &&
      'you are not among the approvers the policy allows for this request'
    );
  }
  if (rules.approvers !== '*' && !rules.approvers.includes(user)) {
    return 'you are not an approver (PORTAL_APPROVERS)';
  }
  if (requestedBy && requestedBy === user) {
    return 'you requested this yourself: another approver has to decide';
  }
  return undefined;
}
