import { ApplicationFailure, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PlannedReconcile } from '../activities/reconcile';
import { hasChanges, type Plan } from '../desired-state/plan';
import {
  desiredStateSchema,
  referenceProblems,
  type DesiredState,
  type DesiredStateInput,
} from '../desired-state/schema';
import { DEFAULT_ASYNC_WAIT, opsApiPaging } from '../shared/activity-options';
import { z } from 'zod';
import { namespaceName, parseDurationMs, validate, type InputProblem } from '../shared/validation';
import { describeError, invalidInput } from './common';
import { applyPlan, type AppliedChange } from './apply';
import { approvalRequirement, type Approval, type ApprovalRequirement } from '../shared/approval';
import { DecisionGate, type Decision, type DecisionStatus } from './approvals';

const { planReconcile, notifyDrift } = proxyActivities<Activities>(opsApiPaging);

export interface ReconcileInput {
  /** The desired state's name (its workflow id is made from it). */
  name: string;
  /** The file's content, as read (validated again here, before anything is called). */
  desired: DesiredStateInput;
  /** `plan` reads and reports; `apply` makes the account match. */
  mode: 'plan' | 'apply';
  /** Apply destructive changes without waiting for the `approve` signal. */
  autoApprove?: boolean;
  /** How long an apply waits for a decision on destructive changes; default 24h. */
  approvalTimeout?: string;
  /** Changes made at once within a phase; default 4. */
  concurrency?: number;
  /** Who asked (recorded; nobody approves their own request). */
  requestedBy?: string;
  /** Post a signed drift summary to the configured webhook when the plan is not empty. */
  notifyDrift?: boolean;
  /**
   * Who asked and who may approve, from the approval policy (set by the starter): when it says `required`,
   * destructive changes wait for an approver whatever `autoApprove` says.
   */
  approval?: ApprovalRequirement;
}

export type { AppliedChange } from './apply';

export interface ReconcileStatus extends DecisionStatus {
  /** Lets a generic page find it among waiting runs. */
  kind: 'reconcile';
  step: 'validating' | 'planning' | 'awaiting-approval' | 'applying' | 'completed' | 'rejected' | 'failed';
  plan?: Plan;
  /** While awaiting approval: the destructive changes waiting for it. */
  awaitingApproval?: { fingerprint: string; destructive: string[]; requestedBy?: string; deadline: string };
  applied: AppliedChange[];
  lastError?: string;
}

export interface ReconcileResult {
  name: string;
  mode: 'plan' | 'apply';
  outcome: 'no-changes' | 'planned' | 'applied' | 'rejected' | 'approval-timed-out';
  plan: Plan;
  /** The account differs from the file (a plan with changes). */
  drift: boolean;
  applied: AppliedChange[];
  approval?: Decision;
  requestedBy?: string;
  notified?: string;
}

export const reconcileStatusQuery = defineQuery<ReconcileStatus>('status');
/** Decisions go through the shared gate (./approvals.ts): never the requester's, only the policy's approvers. */
export {
  approveSignal as approveReconcileSignal,
  rejectSignal as rejectReconcileSignal,
  type ApproveDecision as ApproveReconcile,
  type RejectDecision as RejectReconcile,
} from './approvals';

/** One reconcile as it goes: the checked input, its status, its decisions, and what every result carries. */
interface Reconciling {
  input: ReconcileInput;
  checked: ReturnType<typeof validInput>;
  status: ReconcileStatus;
  gate: DecisionGate;
  base: Pick<ReconcileResult, 'name' | 'mode' | 'requestedBy'>;
}

/**
 * Desired state as code: plans the file against the live account (no state file) and, in apply mode,
 * makes the account match — namespaces first, then the accounts and users that reach them, then keys;
 * deletes last, in reverse. Destructive changes wait for `approve`, and the plan that was approved is the
 * plan that runs: if the account changed in between, it plans again and asks again. Every change is
 * idempotent, so a crash, a restart or a second apply converges without duplicates.
 */
export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  const status: ReconcileStatus = { kind: 'reconcile', step: 'validating', applied: [] };
  setHandler(reconcileStatusQuery, () => status);
  const checked = validInput(input, status);
  const run: Reconciling = {
    input,
    checked,
    status,
    // Nobody approves their own request, however the signal is sent; with the policy's answer, only its approvers.
    gate: new DecisionGate(checked.approval, status),
    base: {
      name: input.name,
      mode: input.mode,
      ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
    },
  };

  try {
    const planned = await planAgain(run);
    // Drift: the account differs from the file, whether or not every difference can be applied.
    const drift = planned.plan.changes.length > 0;
    if (input.mode === 'plan') return await planOnly(run, planned.plan, drift);
    const { plan } = planned;
    if (plan.problems.length > 0) {
      throw ApplicationFailure.create({
        type: 'ReconcilePlanProblems',
        message: `the file cannot be applied: ${plan.problems.join('; ')}. Nothing was changed`,
        nonRetryable: true,
      });
    }
    if (!hasChanges(plan)) {
      status.step = 'completed';
      return {
        ...run.base,
        outcome: 'no-changes',
        plan,
        drift,
        applied: skippedAll(plan, 'cannot be applied'),
      };
    }
    const approved = await approvedPlan(run, planned, drift);
    return 'outcome' in approved ? approved : await applyApproved(run, approved, drift);
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
}

/** Reads the account and plans the file against it; the plan shows in the status. */
async function planAgain(run: Reconciling): Promise<PlannedReconcile> {
  run.status.step = 'planning';
  const planned = await planReconcile({ desired: run.checked.desired, now: Date.now() });
  run.status.plan = planned.plan;
  return planned;
}

/** Plan mode: reports (and, when asked, posts the drift) without changing anything. */
async function planOnly(run: Reconciling, plan: Plan, drift: boolean): Promise<ReconcileResult> {
  const { input } = run;
  const notified = drift && input.notifyDrift ? await notifyDrift({ name: input.name, plan }) : undefined;
  run.status.step = 'completed';
  return {
    ...run.base,
    outcome: drift ? 'planned' : 'no-changes',
    plan,
    drift,
    applied: [],
    ...(notified ? { notified: notified.outcome } : {}),
  };
}

/**
 * Destructive changes wait for a decision on exactly this plan: the plan to apply (with the approval, if one was
 * given), or the result of a rejection or of no decision in time. The account may change while it waits: the plan
 * is made again, and when it differs from the one approved, asked for again.
 */
async function approvedPlan(
  run: Reconciling,
  planned: PlannedReconcile,
  drift: boolean,
): Promise<(PlannedReconcile & { decision?: Decision }) | ReconcileResult> {
  const { input, status, gate, base } = run;
  const { approvalTimeoutMs } = run.checked;
  let decision: Decision | undefined;
  const awaiting = (p: Plan) => p.changes.filter((c) => c.destructive && !c.blocked);
  while (awaiting(planned.plan).length > 0 && (gate.required() || !input.autoApprove)) {
    const { plan } = planned;
    decision = undefined;
    status.step = 'awaiting-approval';
    status.awaitingApproval = {
      fingerprint: plan.fingerprint,
      destructive: awaiting(plan).map((c) => `${c.action} ${c.kind} ${c.name}`),
      ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
      deadline: new Date(Date.now() + approvalTimeoutMs).toISOString(),
    };
    const decided = await gate.wait(approvalTimeoutMs);
    decision = decided?.decision;
    if (!decided || decided.decision.decision === 'rejected') {
      status.step = decided ? 'rejected' : 'completed';
      delete status.awaitingApproval;
      if (!decided)
        return {
          ...base,
          outcome: 'approval-timed-out',
          plan,
          drift,
          applied: skippedAll(plan, 'no decision in time'),
        };
      const rejected = skippedAll(plan, `rejected by ${decided.decision.by}`);
      return { ...base, outcome: 'rejected', plan, drift, applied: rejected, approval: decided.decision };
    }
    planned = await planAgain(run);
    const approvedFingerprint = decided.fingerprint ?? status.awaitingApproval.fingerprint;
    delete status.awaitingApproval;
    if (planned.plan.fingerprint === approvedFingerprint) break;
  }
  return { ...planned, ...(decision ? { decision } : {}) };
}

/** Applies the approved plan; any change that failed fails the run, listing them (a second apply finishes). */
async function applyApproved(
  run: Reconciling,
  approved: PlannedReconcile & { decision?: Decision },
  drift: boolean,
): Promise<ReconcileResult> {
  const { input, status } = run;
  const { plan, ids, decision } = approved;
  status.step = 'applying';
  const ctx = {
    name: input.name,
    desired: run.checked.desired,
    nsIds: { ...ids.namespaces },
    saIds: { ...ids.serviceAccounts },
    userIds: { ...ids.users },
    groupIds: { ...ids.userGroups },
    roleIds: { ...ids.customRoles },
    wait: DEFAULT_ASYNC_WAIT,
  };
  const applied = await applyPlan(plan, ctx, run.checked.concurrency, status.applied);
  const failed = applied.filter((a) => a.outcome === 'failed');
  status.step = failed.length > 0 ? 'failed' : 'completed';
  const result: ReconcileResult = {
    ...run.base,
    outcome: 'applied',
    plan,
    drift,
    applied,
    ...(decision ? { approval: decision } : {}),
  };
  if (failed.length === 0) return result;
  status.lastError = `${failed.length} change(s) failed`;
  throw ApplicationFailure.create({
    type: 'ReconcileIncomplete',
    message: `${failed.length} of ${applied.length} changes failed (${failed
      .slice(0, 5)
      .map((f) => `${f.action} ${f.kind} ${f.name}: ${f.detail}`)
      .join('; ')}); apply again to finish: every change is idempotent`,
    nonRetryable: true,
    details: [result],
  });
}

function validInput(
  input: ReconcileInput,
  status: ReconcileStatus,
): { desired: DesiredState; approvalTimeoutMs: number; concurrency: number; approval?: Approval } {
  const problems: InputProblem[] = [];
  const options = validate(reconcileOptions, input);
  if (!options.ok) problems.push(...options.problems.filter((p) => !p.field.startsWith('desired')));
  const checked = validate(desiredStateSchema, input?.desired);
  if (!checked.ok) problems.push(...checked.problems.map((p) => ({ ...p, field: `desired.${p.field}` })));
  else
    problems.push(
      ...referenceProblems(checked.value).map((p) => ({ field: `desired.${p.path}`, message: p.message })),
    );
  if (problems.length > 0 || !checked.ok || !options.ok) {
    status.step = 'failed';
    throw invalidInput(problems);
  }
  const { approval, requestedBy } = options.value;
  return {
    desired: checked.value,
    approvalTimeoutMs: parseDurationMs(options.value.approvalTimeout)!,
    concurrency: options.value.concurrency,
    // Started without the policy's answer (an operator, a schedule): still never the requester's own approval.
    ...(approval || requestedBy
      ? { approval: approval ?? { requestedBy: requestedBy!, approvers: '*', required: false, reasons: [] } }
      : {}),
  };
}

/** Everything of the input but the desired state, which has its own schema. */
const reconcileOptions = z.strictObject({
  name: namespaceName,
  desired: z.unknown(),
  mode: z.enum(['plan', 'apply'], { error: 'must be plan or apply' }),
  autoApprove: z.boolean().optional(),
  approvalTimeout: z
    .string()
    .refine((t) => (parseDurationMs(t) ?? 0) > 0, { error: 'must be a duration such as 24h or 2d' })
    .default('24h'),
  concurrency: z.number().int().min(1).max(20).default(4),
  requestedBy: z.string().min(1).max(200).optional(),
  notifyDrift: z.boolean().optional(),
  approval: approvalRequirement.optional(),
});

function skippedAll(plan: Plan, why: string): AppliedChange[] {
  return plan.changes.map((c) => ({
    kind: c.kind,
    name: c.name,
    action: c.action,
    outcome: 'skipped',
    detail: c.blocked ?? why,
  }));
}
