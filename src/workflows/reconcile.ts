import {
  ApplicationFailure,
  ChildWorkflowFailure,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { AccountIds } from '../activities/reconcile';
import type { NamespaceChanges } from '../shared/resources';
import { hasChanges, type Change, type Plan } from '../desired-state/plan';
import {
  desiredStateSchema,
  referenceProblems,
  type DesiredState,
  type DesiredStateInput,
} from '../desired-state/schema';
import type { AccountRole } from '../ops-api/types';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import { z } from 'zod';
import { namespaceName, parseDurationMs, validate, type InputProblem } from '../shared/validation';
import { rotateApiKeyWorkflowId } from '../shared/workflow-ids';
import {
  deleteResource,
  describeError,
  invalidInput,
  operationKey,
  waitForOperation,
  waitUntilGone,
} from './common';
import { rotateApiKey } from './rotate-api-key';
import { forEachLimited } from '../shared/concurrency';
import { approvalRequirement, type Approval, type ApprovalRequirement } from '../shared/approval';
import {
  approveSignal,
  DecisionGate,
  rejectSignal,
  type ApproveDecision,
  type Decision,
  type DecisionStatus,
  type RejectDecision,
} from './approvals';

const { planReconcile, notifyDrift } = proxyActivities<Activities>(opsApiPaging);
const { updateNamespaceSpec, setNamespaceAccess, setAccountRole, ensureUser } =
  proxyActivities<Activities>(opsApiCall);
const { ensureNamespace, ensureServiceAccount, ensureApiKey } = proxyActivities<Activities>(opsApiPaging);

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

export type ApproveReconcile = ApproveDecision;
export type RejectReconcile = RejectDecision;

export interface AppliedChange {
  kind: Change['kind'];
  name: string;
  action: Change['action'];
  outcome: 'done' | 'skipped' | 'failed';
  detail?: string;
}

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
export const approveReconcileSignal = approveSignal;
export const rejectReconcileSignal = rejectSignal;

const DAY_MS = 86_400_000;
const KIND_ORDER: Record<Change['kind'], number> = { namespace: 0, serviceAccount: 1, user: 1, apiKey: 2 };

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
  let decision: Decision | undefined;

  const { desired, approvalTimeoutMs, concurrency, approval } = validInput(input, status);
  // Nobody approves their own request, however the signal is sent; with the policy's answer, only its approvers.
  const gate = new DecisionGate(approval, status);
  const base = {
    name: input.name,
    mode: input.mode,
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
  };

  try {
    status.step = 'planning';
    let { plan, ids } = await planReconcile({ desired, now: Date.now() });
    status.plan = plan;
    // Drift: the account differs from the file, whether or not every difference can be applied.
    const drift = plan.changes.length > 0;
    if (input.mode === 'plan') {
      const notified = drift && input.notifyDrift ? await notifyDrift({ name: input.name, plan }) : undefined;
      status.step = 'completed';
      return {
        ...base,
        outcome: drift ? 'planned' : 'no-changes',
        plan,
        drift,
        applied: [],
        ...(notified ? { notified: notified.outcome } : {}),
      };
    }
    if (plan.problems.length > 0) {
      throw ApplicationFailure.create({
        type: 'ReconcilePlanProblems',
        message: `the file cannot be applied: ${plan.problems.join('; ')}. Nothing was changed`,
        nonRetryable: true,
      });
    }
    if (!hasChanges(plan)) {
      status.step = 'completed';
      return { ...base, outcome: 'no-changes', plan, drift, applied: skippedAll(plan, 'cannot be applied') };
    }

    // Destructive changes wait for a decision on exactly this plan.
    while (plan.changes.some((c) => c.destructive && !c.blocked) && (gate.required() || !input.autoApprove)) {
      decision = undefined;
      status.step = 'awaiting-approval';
      status.awaitingApproval = {
        fingerprint: plan.fingerprint,
        destructive: plan.changes
          .filter((c) => c.destructive && !c.blocked)
          .map((c) => `${c.action} ${c.kind} ${c.name}`),
        ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
        deadline: new Date(Date.now() + approvalTimeoutMs).toISOString(),
      };
      const decided = await gate.wait(approvalTimeoutMs);
      decision = decided?.decision;
      if (!decided) {
        status.step = 'completed';
        delete status.awaitingApproval;
        return {
          ...base,
          outcome: 'approval-timed-out',
          plan,
          drift,
          applied: skippedAll(plan, 'no decision in time'),
        };
      }
      if (decided.decision.decision === 'rejected') {
        status.step = 'rejected';
        delete status.awaitingApproval;
        return {
          ...base,
          outcome: 'rejected',
          plan,
          drift,
          applied: skippedAll(plan, `rejected by ${decided.decision.by}`),
          approval: decided.decision,
        };
      }
      // The account may have changed while it waited: the approved plan must still be the plan.
      status.step = 'planning';
      ({ plan, ids } = await planReconcile({ desired, now: Date.now() }));
      status.plan = plan;
      const approvedPlan = decided.fingerprint ?? status.awaitingApproval.fingerprint;
      delete status.awaitingApproval;
      if (plan.fingerprint === approvedPlan) break;
    }

    status.step = 'applying';
    const applied = await applyPlan(plan, desired, ids, { ...input, concurrency }, status);
    const failed = applied.filter((a) => a.outcome === 'failed');
    status.step = failed.length > 0 ? 'failed' : 'completed';
    const result: ReconcileResult = {
      ...base,
      outcome: 'applied',
      plan,
      drift,
      applied,
      ...(decision ? { approval: decision } : {}),
    };
    if (failed.length > 0) {
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
    return result;
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
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

/** Every change of the plan, in dependency order, each phase with bounded concurrency. */
async function applyPlan(
  plan: Plan,
  desired: DesiredState,
  ids: AccountIds,
  input: ReconcileInput,
  status: ReconcileStatus,
): Promise<AppliedChange[]> {
  const applied = status.applied;
  const concurrency = input.concurrency ?? 4;
  const wait = DEFAULT_ASYNC_WAIT;
  const nsIds = { ...ids.namespaces };
  const saIds = { ...ids.serviceAccounts };
  const failedNames = new Set<string>();
  const record = (c: Change, outcome: AppliedChange['outcome'], detail?: string): void => {
    applied.push({ kind: c.kind, name: c.name, action: c.action, outcome, ...(detail ? { detail } : {}) });
  };
  const access = (grants: Record<string, string>) => ({
    namespaceAccesses: Object.fromEntries(
      Object.entries(grants).map(([ns, permission]) => [nsIds[ns]!, { permission: permission as 'read' }]),
    ),
  });

  const run = async (change: Change) => {
    if (change.blocked) return record(change, 'skipped', change.blocked);
    const dependsOn = dependencies(change, desired).find((d) => failedNames.has(d));
    if (dependsOn) return record(change, 'skipped', `depends on ${dependsOn}, which failed`);
    try {
      const detail = await execute(change);
      if (detail instanceof Skipped) record(change, 'skipped', detail.reason);
      else record(change, 'done', detail);
    } catch (err) {
      // Cancelling the apply stops it: it is not a failure of this change.
      if (isCancellation(err)) throw err;
      failedNames.add(`${change.kind}:${change.name}`);
      record(change, 'failed', describeError(err));
    }
  };

  const key = (c: Change, step = '') =>
    operationKey(`apply/${c.kind}/${c.name}/${c.action}${step ? `/${step}` : ''}`);

  async function execute(c: Change): Promise<string | Skipped | undefined> {
    switch (c.kind) {
      case 'namespace':
        return namespace(c);
      case 'serviceAccount':
        return serviceAccount(c);
      case 'user':
        return user(c);
      case 'apiKey':
        return apiKey(c);
    }
  }

  async function namespace(c: Change) {
    const want = desired.namespaces.find((n) => n.name === c.name);
    if (c.action === 'delete') return remove(c, 'namespace');
    if (c.action === 'create') {
      const apiKeyAuth = fieldTo(c, 'apiKeyAuth');
      const made = await ensureNamespace({
        spec: {
          name: want!.name,
          region: want!.region,
          retentionDays: want!.retentionDays,
          ...(want!.codecServer ? { codecServer: want!.codecServer } : {}),
          ...(want!.mtlsAuth ? { mtlsAuth: want!.mtlsAuth } : {}),
          ...(apiKeyAuth !== undefined ? { apiKeyAuth: { enabled: apiKeyAuth === true } } : {}),
        },
        operationKey: key(c),
      });
      nsIds[c.name] = made.namespace;
      if (made.state !== 'active' || made.outcome === 'created') {
        await waitForOperation(
          made.asyncOperationId,
          { kind: 'namespace', id: made.namespace, until: 'ready' },
          wait,
        );
      }
      return made.outcome === 'adopted' ? 'existed already with this spec: adopted' : undefined;
    }
    const changes: NamespaceChanges = {};
    for (const f of c.fields) {
      if (f.field === 'region') continue; // blocked changes never get here
      (changes as Record<string, unknown>)[f.field] =
        f.field === 'apiKeyAuth' ? f.to === true : (f.to ?? null);
    }
    const { asyncOperationId } = await updateNamespaceSpec({
      namespaceId: c.targetId!,
      changes,
      operationKey: key(c),
    });
    await waitForOperation(asyncOperationId, { kind: 'namespace', id: c.targetId!, until: 'ready' }, wait);
    return undefined;
  }

  async function serviceAccount(c: Change) {
    if (c.action === 'delete') {
      return remove(c, 'serviceAccount');
    }
    const want = desired.serviceAccounts.find((s) => s.name === c.name)!;
    if (c.action === 'create') {
      const scoped = want.namespaceScoped;
      const role = want.accountRole && want.accountRole !== 'none' ? want.accountRole : undefined;
      const made = await ensureServiceAccount({
        name: want.name,
        ...(scoped
          ? {
              namespaceScopedAccess: {
                namespace: nsIds[scoped]!,
                access: { permission: want.access[scoped]! },
              },
            }
          : { access: { ...(role ? { accountAccess: { role } } : {}), ...access(want.access) } }),
        operationKey: key(c),
      });
      saIds[c.name] = made.serviceAccountId;
      if (made.asyncOperationId) {
        await waitForOperation(
          made.asyncOperationId,
          { kind: 'serviceAccount', id: made.serviceAccountId, until: 'ready' },
          wait,
        );
      }
      return made.outcome === 'adopted' ? 'existed already with this access: adopted' : undefined;
    }
    await setRole(c, 'serviceAccount', 'accountRole');
    return setAccess(c, 'serviceAccount', c.targetId!);
  }

  async function user(c: Change) {
    if (c.action === 'delete') {
      return remove(c, 'user');
    }
    const want = desired.users.find((u) => u.email.toLowerCase() === c.name.toLowerCase())!;
    if (c.action === 'create') {
      const made = await ensureUser({
        email: want.email,
        access: {
          ...(want.role !== 'none' ? { accountAccess: { role: want.role } } : {}),
          ...access(want.access),
        },
        operationKey: key(c),
      });
      if (made.asyncOperationId) {
        await waitForOperation(
          made.asyncOperationId,
          { kind: 'user', id: made.userId, until: 'ready' },
          wait,
        );
      }
      return made.outcome === 'adopted' ? 'existed already: adopted' : undefined;
    }
    await setRole(c, 'user', 'role');
    return setAccess(c, 'user', c.targetId!);
  }

  /** The principal's account role, when the change has one. */
  async function setRole(c: Change, kind: 'user' | 'serviceAccount', field: 'role' | 'accountRole') {
    const role = c.fields.find((f) => f.field === field);
    if (!role) return;
    const { asyncOperationId } = await setAccountRole({
      kind,
      principalId: c.targetId!,
      role: role.to as AccountRole,
      operationKey: key(c, 'role'),
    });
    await waitForOperation(asyncOperationId, { kind, id: c.targetId!, until: 'ready' }, wait);
  }

  /** One namespace at a time: a grant never rewrites the principal's other grants. */
  async function setAccess(c: Change, kind: 'user' | 'serviceAccount', principalId: string) {
    for (const f of c.fields.filter((x) => x.field.startsWith('access.'))) {
      const ns = f.field.slice('access.'.length);
      const namespaceId = nsIds[ns];
      if (!namespaceId)
        throw ApplicationFailure.create({
          type: FailureType.NotFound,
          message: `namespace ${ns} does not exist`,
          nonRetryable: true,
        });
      const { asyncOperationId } = await setNamespaceAccess({
        kind,
        principalId,
        namespaceId,
        permission: (f.to as 'read' | null) ?? null,
        operationKey: key(c, f.field),
      });
      await waitForOperation(asyncOperationId, { kind, id: principalId, until: 'ready' }, wait);
    }
    return undefined;
  }

  async function apiKey(c: Change) {
    if (c.action === 'delete') {
      return remove(c, 'apiKey');
    }
    const [saName, displayName] = splitKeyName(c.name);
    const want = desired.serviceAccounts
      .find((s) => s.name === saName)!
      .apiKeys.find((k) => k.displayName === displayName)!;
    const ownerId = saIds[saName];
    if (!ownerId)
      throw ApplicationFailure.create({
        type: FailureType.NotFound,
        message: `service account ${saName} does not exist`,
        nonRetryable: true,
      });
    if (c.action === 'rotate') {
      try {
        const child = await startChild(rotateApiKey, {
          workflowId: rotateApiKeyWorkflowId('service-account', ownerId),
          args: [{ keyId: c.targetId!, expiryDays: want.expiryDays, gracePeriod: want.rotationGracePeriod }],
          parentClosePolicy: 'ABANDON',
        });
        const rotated = await child.result();
        return `replaced by ${rotated.newKeyId} (${rotated.secretRef ?? 'no secret'})`;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return new Skipped('a rotation of this account is already running; the next apply looks again');
        throw err instanceof ChildWorkflowFailure && err.cause ? err.cause : err;
      }
    }
    const key2 = await ensureApiKey({
      displayName,
      ownerId,
      ownerType: 'service-account',
      expiryTime: new Date(Date.now() + want.expiryDays * DAY_MS).toISOString(),
      operationKey: key(c),
      metadata: { desiredState: input.name },
    });
    if (key2.asyncOperationId) {
      await waitForOperation(key2.asyncOperationId, { kind: 'apiKey', id: key2.keyId, until: 'ready' }, wait);
    }
    await waitUntilGone(key2.replacedOrphans, wait);
    return `${key2.keyId}, token in ${key2.secretRef}`;
  }

  async function remove(c: Change, kind: 'namespace' | 'serviceAccount' | 'user' | 'apiKey') {
    const res = await deleteResource({ kind, id: c.targetId! }, key(c), wait);
    return res.outcome === 'already-gone' ? 'was gone already' : undefined;
  }

  // Creates and updates: namespaces, then accounts and users, then keys. Deletes: the reverse.
  const forward = plan.changes.filter((c) => c.action !== 'delete');
  const deletes = plan.changes.filter((c) => c.action === 'delete');
  for (const phase of [0, 1, 2]) {
    await forEachLimited(
      forward.filter((c) => KIND_ORDER[c.kind] === phase),
      concurrency,
      run,
    );
  }
  for (const phase of [2, 1, 0]) {
    await forEachLimited(
      deletes.filter((c) => KIND_ORDER[c.kind] === phase),
      concurrency,
      run,
    );
  }
  return applied;
}

/** A change left alone for a reason (not a failure). */
class Skipped {
  constructor(readonly reason: string) {}
}

/** `<account>/<key name>` (a key name may itself contain a slash). */
function splitKeyName(name: string): [string, string] {
  const at = name.indexOf('/');
  return [name.slice(0, at), name.slice(at + 1)];
}

function fieldTo(c: Change, field: string): unknown {
  return c.fields.find((f) => f.field === field)?.to;
}

/** What must have succeeded before this change can be made. */
function dependencies(c: Change, desired: DesiredState): string[] {
  if (c.action === 'delete') return [];
  if (c.kind === 'apiKey') return [`serviceAccount:${splitKeyName(c.name)[0]}`];
  if (c.kind === 'serviceAccount' || c.kind === 'user') {
    const grants =
      c.kind === 'serviceAccount'
        ? desired.serviceAccounts.find((s) => s.name === c.name)?.access
        : desired.users.find((u) => u.email.toLowerCase() === c.name.toLowerCase())?.access;
    return Object.keys(grants ?? {}).map((ns) => `namespace:${ns}`);
  }
  return [];
}
