// The decision gate every workflow that waits for a person shares. The run records, from its input, who asked and
// who may decide (the approval policy's answer, filled in by the front door or a starter), and checks every decision
// against that itself: a decision by the requester, by someone the policy does not allow, or by nobody named is
// refused and shown in the run's status, whoever sent the signal (portal, starter, `temporal workflow signal`).
import { condition, defineSignal, setHandler, type QueryDefinition } from '@temporalio/workflow';
import type { z } from 'zod';
import { deciderRefusal, type Approval } from '../shared/approval';
import { validInputOrFail } from './common';

export interface ApproveDecision {
  approver: string;
  comment?: string;
  /** The plan the approver saw (reconcile): if the account changed since, the run asks again. */
  fingerprint?: string;
}
export interface RejectDecision {
  approver?: string;
  reason?: string;
}

export const approveSignal = defineSignal<[ApproveDecision]>('approve');
export const rejectSignal = defineSignal<[RejectDecision?]>('reject');

export interface Decision {
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  comment?: string;
}

export interface RefusedDecision {
  /** The signal: approve, reject, confirmCutover, abort. */
  action: string;
  by: string;
  reason: string;
  at: string;
}

/** What a run shows of its decisions in its `status` query. */
export interface DecisionStatus {
  /** Who asked, who may decide, whether an approval is needed and why (absent for runs started without one). */
  approval?: Approval;
  /** While waiting: when the wait gives up (ISO). */
  approvalDeadline?: string;
  /** The latest decisions the run refused, newest last. */
  refusedDecisions?: RefusedDecision[];
  /** While waiting: who asked for this decision when it is not the requester (an extension); they cannot approve. */
  approvalAskedBy?: string;
}

/** How long a wait for approval lasts unless the workflow's input says otherwise. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 60 * 60_000;
const KEPT_REFUSALS = 10;

export class DecisionGate {
  private offered: (Decision & { fingerprint?: string }) | undefined;
  private waiting = false;
  /** Who asked for the decision being waited for (an extension), when not the run's requester. */
  private askedBy: string | undefined;

  constructor(
    private readonly approval: Approval | undefined,
    private readonly status: DecisionStatus,
  ) {
    if (approval) status.approval = approval;
    setHandler(approveSignal, (req) =>
      this.offer('approve', req?.approver, {
        decision: 'approved',
        ...(req?.comment ? { comment: req.comment } : {}),
        ...(req?.fingerprint ? { fingerprint: req.fingerprint } : {}),
      }),
    );
    setHandler(rejectSignal, (req) =>
      this.offer('reject', req?.approver, {
        decision: 'rejected',
        ...(req?.reason ? { comment: req.reason } : {}),
      }),
    );
  }

  /** Whether the run waits for an approval before its destructive step (the policy's, or the input's own ask). */
  required(alsoAsked = false): boolean {
    return alsoAsked || this.approval?.required === true;
  }

  /**
   * Whether `by` may take `action` on this run (a `withdrawal` — reject, abort — may also be the requester's). Runs
   * started without an approval requirement (by an operator with access to the namespace, or a schedule) take
   * anyone's decision, as before. A refusal is kept in the status.
   */
  admit(action: string, by: string | undefined, withdrawal = false): boolean {
    const who = by?.trim().toLowerCase();
    const asker = !withdrawal && who !== undefined && who === this.askedBy;
    const reason = asker
      ? `${who} asked for this and cannot approve it: another approver has to`
      : this.approval
        ? deciderRefusal(this.approval, by, withdrawal)
        : undefined;
    if (reason) this.refuse(action, by, reason);
    return reason === undefined;
  }

  /**
   * Waits up to `timeoutMs` for an admitted approve or reject; undefined when none came in time, or `until` became
   * true first. `fingerprint` is what an approver said they saw (reconcile's plan). `askedBy`: who asked for this
   * decision (an extension of access), who may not approve it either.
   */
  async wait(
    timeoutMs: number,
    options: { until?: () => boolean; askedBy?: string } = {},
  ): Promise<{ decision: Decision; fingerprint?: string } | undefined> {
    this.offered = undefined;
    this.waiting = true;
    this.askedBy = options.askedBy?.trim().toLowerCase();
    if (this.askedBy) this.status.approvalAskedBy = this.askedBy;
    this.status.approvalDeadline = new Date(Date.now() + timeoutMs).toISOString();
    const until = options.until ?? (() => false);
    try {
      await condition(() => this.offered !== undefined || until(), timeoutMs);
      const offered = this.offered as (Decision & { fingerprint?: string }) | undefined;
      if (!offered) return undefined;
      const { fingerprint, ...decision } = offered;
      return { decision, ...(fingerprint ? { fingerprint } : {}) };
    } finally {
      this.waiting = false;
      this.askedBy = undefined;
      delete this.status.approvalAskedBy;
      delete this.status.approvalDeadline;
    }
  }

  private offer(
    action: string,
    by: string | undefined,
    decision: Omit<Decision, 'by' | 'at'> & { fingerprint?: string },
  ): void {
    if (!this.waiting || this.offered) {
      this.refuse(action, by, 'the run is not waiting for a decision');
      return;
    }
    if (!this.admit(action, by, decision.decision === 'rejected')) return;
    this.offered = { ...decision, by: by?.trim() || 'unknown', at: new Date().toISOString() };
  }

  /** Records a refused decision (or request) in the status, newest last. */
  refuse(action: string, by: string | undefined, reason: string): void {
    const list = (this.status.refusedDecisions ??= []);
    list.push({ action, by: by?.trim() || 'unknown', reason, at: new Date().toISOString() });
    if (list.length > KEPT_REFUSALS) list.splice(0, list.length - KEPT_REFUSALS);
  }
}

/**
 * The start of a run that may wait for a person: its status answers the `status` query, its input is checked whole
 * before anything else (InvalidInput otherwise), and its decisions go through one gate set up from that input.
 */
export function openDecidingRun<
  S extends { step: string } & DecisionStatus,
  Schema extends z.ZodType<{ approval?: Approval }>,
>(
  query: QueryDefinition<S>,
  status: S,
  schema: Schema,
  rawInput: unknown,
): { input: z.output<Schema>; status: S; gate: DecisionGate } {
  setHandler(query, () => status);
  const input = validInputOrFail(schema, rawInput, status);
  return { input, status, gate: new DecisionGate(input.approval, status) };
}
