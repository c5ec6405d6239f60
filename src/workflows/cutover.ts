// The cut-over the rotations share (an API key's, an mTLS CA's): once old and new are both valid, an approval when the
// policy asks for one, then a grace period on a durable timer that `confirmCutover` ends early; `abort` calls the
// rotation off until the old one starts going. Decisions are checked by the run's gate, whoever sends them. And how a
// rotation fails: after undoing its half.
import {
  ApplicationFailure,
  condition,
  defineSignal,
  isCancellation,
  patched,
  setHandler,
} from '@temporalio/workflow';
import {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  type Decision,
  type DecisionGate,
  type DecisionStatus,
} from './approvals';
import { describeError, failureType } from './common';
import type { Compensation } from './compensation';

export interface AbortRotation {
  reason?: string;
  /** Who aborts; checked like any decision when the run records its approvers. */
  by?: string;
}
export interface ConfirmCutover {
  /** Who confirms; checked like any decision when the run records its approvers. */
  by?: string;
}

/** The new one is in use: end the grace period now. */
export const confirmCutoverSignal = defineSignal<[ConfirmCutover?]>('confirmCutover');
/** Stop: undo the new one, keep the old. Ignored once the old one is going. */
export const abortRotationSignal = defineSignal<[AbortRotation?]>('abort');

/** What a rotation's status shows of its cut-over. */
export interface CutoverStatus extends DecisionStatus {
  step: string;
  /** When the grace period ends on its own (ISO); set once it has started. */
  graceEndsAt?: string;
  cutoverConfirmed: boolean;
  abortRequested: boolean;
  /** Set when an abort came too late to matter (the old one was already going). */
  abortIgnored?: string;
}

/** A rotation as its cut-over sees it. */
export interface Cutover {
  status: CutoverStatus;
  gate: DecisionGate;
  abortReason?: string;
  approval?: Decision;
}

export type GraceEnd = 'timer' | 'confirmCutover' | 'abort' | 'no-grace';

/** confirmCutover ends the grace period early; abort, until the run is at one of `tooLate.steps`, calls it off. */
export function listenForCutover(run: Cutover, tooLate: { steps: readonly string[]; why: string }): void {
  const { gate, status } = run;
  setHandler(confirmCutoverSignal, (req) => {
    if (gate.admit('confirmCutover', req?.by)) status.cutoverConfirmed = true;
  });
  setHandler(abortRotationSignal, (req) => {
    if (tooLate.steps.includes(status.step)) {
      status.abortIgnored = tooLate.why;
      return;
    }
    if (!gate.admit('abort', req?.by, true)) return;
    status.abortRequested = true;
    run.abortReason = req?.reason;
  });
}

/** When the policy asks, the cut-over waits for an approver; rejected or not decided, the rotation aborts. */
export async function awaitCutoverApproval(run: Cutover): Promise<void> {
  const { gate, status } = run;
  if (!gate.required() || status.abortRequested) return;
  status.step = 'awaiting-approval';
  // An abort (the requester may call it off) ends the wait at once rather than after a decision or the timeout;
  // patched, so a run that was waiting when this came in replays as it ran.
  const abortEnds = patched('cutover-abort-ends-approval-wait');
  const until = () => abortEnds && status.abortRequested === true;
  const approval = (await gate.wait(DEFAULT_APPROVAL_TIMEOUT_MS, { until }))?.decision;
  if (status.abortRequested && !approval) return;
  run.approval = approval;
  if (approval?.decision === 'approved') return;
  status.abortRequested = true;
  run.abortReason = approval
    ? `rejected by ${approval.by}${approval.comment ? ` (${approval.comment})` : ''}`
    : `no approval within ${DEFAULT_APPROVAL_TIMEOUT_MS / 3_600_000}h`;
}

/** Old and new both stay valid on a durable timer until it ends, confirmCutover comes or the rotation is aborted. */
export async function gracePeriod(run: Cutover, graceMs: number): Promise<GraceEnd> {
  const { status } = run;
  status.step = 'grace-period';
  const ended = () => status.cutoverConfirmed || status.abortRequested;
  if (graceMs > 0 && !ended()) {
    status.graceEndsAt = new Date(Date.now() + graceMs).toISOString();
    await condition(ended, graceMs);
  }
  if (status.abortRequested) return 'abort';
  if (status.cutoverConfirmed) return 'confirmCutover';
  return graceMs > 0 ? 'timer' : 'no-grace';
}

export interface RotationFailure {
  /** The failure's type, but for those of `kept`, which pass as they are (not found, invalid input, …). */
  type: string;
  kept: readonly string[];
  /** The step shown while undoing, if any. */
  undoing?: string;
  /** The message's end once the undo worked, or failed (with why). */
  undone: string;
  undoFailed(why: string): string;
  details(): Record<string, unknown>;
}

/** The failure a rotation reports, after undoing its half (even while cancelled): what the undo did, in words. */
export async function rotationFailure(
  run: { status: { step: string; lastError?: string }; undo: Compensation },
  err: unknown,
  how: RotationFailure,
): Promise<unknown> {
  const { status } = run;
  status.lastError = describeError(err);
  let cleanup = '';
  if (run.undo.pending) {
    if (how.undoing) status.step = how.undoing;
    const [failed] = await run.undo.run();
    cleanup = failed ? how.undoFailed(describeError(failed.error)) : how.undone;
  }
  const details = how.details();
  status.step = 'failed';
  if (isCancellation(err)) return err;
  const type = failureType(err);
  return ApplicationFailure.create({
    type: type && how.kept.includes(type) ? type : how.type,
    message: `${status.lastError}.${cleanup}`,
    nonRetryable: true,
    details: [details],
  });
}
