// rotateNamespaceCa: an mTLS CA rollover, the procedure Temporal's certificate guide describes by hand — add the new
// CA beside the old, let clients move, remove the old — as one durable run.
import { defineQuery, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CaChange, CaSummary, NamespaceCaInspection } from '../activities/namespace-ca';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import {
  parseDurationMs,
  rotateNamespaceCaInput,
  type RotateNamespaceCaInput,
  type RotateNamespaceCaRequest,
} from '../shared/validation';
import { openDecidingRun, type DecisionGate, type Decision } from './approvals';
import { operationKey, waitForOperation } from './common';
import { Compensation } from './compensation';
import {
  awaitCutoverApproval,
  gracePeriod,
  listenForCutover,
  rotationFailure,
  type CutoverStatus,
  type GraceEnd,
} from './cutover';

const { changeNamespaceCa, readNamespaceCa } = proxyActivities<Activities>(opsApiCall);
const { inspectNamespaceCa } = proxyActivities<Activities>(opsApiPaging);

export type CaRotationStep =
  | 'validating'
  | 'inspecting'
  | 'adding-new-ca'
  | 'waiting-for-new-ca'
  | 'awaiting-approval'
  | 'grace-period'
  | 'removing-old-ca'
  | 'restoring'
  | 'completed'
  | 'aborted'
  | 'failed';

/** The Ops API says nothing of the connections a namespace serves, so who still presents the old CA is unknown. */
export const CLIENTS_ON_OLD_CA = {
  measurable: false,
  note:
    'not measurable via the Ops API: it reports no connections or client certificates; check your clients ' +
    '(or the namespace’s metrics and logs) before confirming the cut-over',
} as const;

export interface CaRotationStatus extends CutoverStatus {
  step: CaRotationStep;
  /** The namespace's id, once read. */
  namespace?: string;
  /** The CAs accepted when the run started, and as of its last change. */
  acceptedAtStart?: CaSummary[];
  accepted?: CaSummary[];
  newCas?: CaSummary[];
  /** The CAs the cut-over removes. */
  oldCas?: CaSummary[];
  /** New CAs the namespace accepted already when the run started (nothing to add for them). */
  alreadyAccepted?: string[];
  /** Whether clients still present the old CA, where that can be measured. */
  clientsOnOldCa: typeof CLIENTS_ON_OLD_CA;
  lastError?: string;
}

export interface RotateNamespaceCaResult {
  /** `unchanged`: the new CA was accepted already and no other CA was left to remove. */
  outcome: 'rotated' | 'aborted' | 'unchanged';
  namespace: string;
  /** The new CAs this run added (those accepted already are in `alreadyAccepted`). */
  added: CaSummary[];
  alreadyAccepted: string[];
  removed: CaSummary[];
  /** What the namespace accepts at the end. */
  accepted: CaSummary[];
  /** The bundle as the run found it (base64 of PEM). */
  bundleAsFound: string;
  graceEndedBy: GraceEnd | 'nothing-to-remove';
  /** On abort: whether the bundle found was put back (false: this run had not changed it). */
  restored?: boolean;
  abortReason?: string;
  /** The decision on the cut-over, when the policy asked for one. */
  approval?: Decision;
  startedAt: string;
  completedAt: string;
}

/** Its signals are the key rotation's: `confirmCutover` (clients have moved) and `abort` (put the bundle back). */
export const caRotationStatusQuery = defineQuery<CaRotationStatus>('status');

interface CaRotation {
  input: RotateNamespaceCaRequest;
  status: CaRotationStatus;
  gate: DecisionGate;
  found?: NamespaceCaInspection;
  /** Holds the restore of the bundle while this run may still undo its change. */
  undo: Compensation;
  restored?: boolean;
  abortReason?: string;
  approval?: Decision;
}

type Ending = Pick<RotateNamespaceCaResult, 'outcome' | 'graceEndedBy' | 'removed'>;

/**
 * Adds the new CA(s) to the namespace's accepted bundle (keeping every other setting), waits a grace period or a
 * `confirmCutover`, then removes the old CA(s). An abort, a rejection or a failure before the removal puts the
 * bundle back as the run found it.
 */
export async function rotateNamespaceCa(rawInput: RotateNamespaceCaInput): Promise<RotateNamespaceCaResult> {
  const status: CaRotationStatus = {
    step: 'validating',
    cutoverConfirmed: false,
    abortRequested: false,
    clientsOnOldCa: CLIENTS_ON_OLD_CA,
  };
  const run: CaRotation = {
    ...openDecidingRun(caRotationStatusQuery, status, rotateNamespaceCaInput, rawInput),
    undo: new Compensation(),
  };
  // confirmCutover ends the grace period early; abort (until the old CA is being removed) puts the bundle back.
  listenForCutover(run, {
    steps: ['removing-old-ca', 'completed'],
    why: 'the old CA was already being removed',
  });
  const startedAt = workflowInfo().startTime.toISOString();
  try {
    status.step = 'inspecting';
    const found = await inspect(run);
    const ending = await rollOver(run, found);
    return {
      ...ending,
      namespace: found.namespace,
      added: found.incoming.filter((c) => !found.alreadyAccepted.includes(c.fingerprint)),
      alreadyAccepted: found.alreadyAccepted,
      accepted: status.accepted ?? found.accepted,
      bundleAsFound: found.bundleAsFound,
      ...(run.restored !== undefined ? { restored: run.restored } : {}),
      ...(run.abortReason ? { abortReason: run.abortReason } : {}),
      ...(run.approval ? { approval: run.approval } : {}),
      startedAt,
      completedAt: new Date().toISOString(),
    };
  } catch (err) {
    throw await rotationFailed(run, err);
  }
}

/** The steps after the inspection: add, approval, grace period, then the cut-over or the abort. */
async function rollOver(run: CaRotation, found: NamespaceCaInspection): Promise<Ending> {
  const { status, input } = run;
  const nothingToAdd = found.alreadyAccepted.length === found.incoming.length;
  if (nothingToAdd && found.replaced.length === 0) {
    status.step = 'completed';
    return { outcome: 'unchanged', graceEndedBy: 'nothing-to-remove', removed: [] };
  }
  await change(run, 'add', { kind: 'add', certificates: input.newCa }, 'adding-new-ca');
  if (found.replaced.length === 0 && !status.abortRequested) {
    status.step = 'completed';
    return { outcome: 'rotated', graceEndedBy: 'nothing-to-remove', removed: [] };
  }
  await awaitCutoverApproval(run);
  const graceEndedBy = await gracePeriod(run, parseDurationMs(input.gracePeriod) ?? 0);
  if (status.abortRequested) {
    await abort(run);
    return { outcome: 'aborted', graceEndedBy, removed: [] };
  }
  // From here on the rotation only moves forward: an abort can no longer bring the old CA back.
  run.undo.clear();
  const keep = found.incoming.map((c) => c.fingerprint);
  await change(run, 'remove-old', { kind: 'remove', fingerprints: found.replaced, keep }, 'removing-old-ca');
  status.step = 'completed';
  return { outcome: 'rotated', graceEndedBy, removed: status.oldCas ?? [] };
}

/** The namespace and the CAs, checked before anything changes; the status shows them. */
async function inspect(run: CaRotation): Promise<NamespaceCaInspection> {
  const { input, status } = run;
  const found = await inspectNamespaceCa({
    namespace: input.namespace,
    newCa: input.newCa,
    ...(input.replace ? { replace: input.replace } : {}),
  });
  run.found = found;
  status.namespace = found.namespace;
  status.acceptedAtStart = found.accepted;
  status.accepted = found.accepted;
  status.newCas = found.incoming;
  status.oldCas = found.accepted.filter((c) => found.replaced.includes(c.fingerprint));
  if (found.alreadyAccepted.length > 0) status.alreadyAccepted = found.alreadyAccepted;
  return found;
}

/**
 * One change of the bundle under this step's operation key, waited for, then the bundle read back into the status.
 * The add registers its undo (the bundle put back) once it is proven this run's: its own operation changed it.
 */
async function change(
  run: CaRotation,
  step: string,
  what: CaChange,
  label: 'adding-new-ca' | 'removing-old-ca' | 'restoring',
): Promise<void> {
  const { status } = run;
  const namespace = run.found!.namespace;
  status.step = label;
  const res = await changeNamespaceCa({ namespace, change: what, operationKey: operationKey(step) });
  if (res.changed) {
    if (what.kind === 'add') {
      run.undo.add(`accepted CAs of ${namespace}`, async () => {
        const { bundleAsFound: bundle, incoming, alreadyAccepted } = run.found!;
        const added = incoming.map((c) => c.fingerprint).filter((fp) => !alreadyAccepted.includes(fp));
        await change(run, 'restore', { kind: 'restore', bundle, added }, 'restoring');
      });
      status.step = 'waiting-for-new-ca';
    }
    await waitForOperation(
      res.asyncOperationId,
      { kind: 'namespace', id: namespace, until: 'ready' },
      DEFAULT_ASYNC_WAIT,
    );
  }
  status.accepted = await readNamespaceCa(namespace);
}

/** The bundle goes back as found (when this run changed it); a restore that fails fails the run. */
async function abort(run: CaRotation): Promise<void> {
  run.restored = run.undo.pending;
  const failures = await run.undo.run();
  if (failures.length > 0) throw failures[0]!.error;
  run.status.step = 'aborted';
}

/** The failure to report, after putting the bundle back when this run had changed it (even while cancelled). */
function rotationFailed(run: CaRotation, err: unknown): Promise<unknown> {
  const { status } = run;
  const failedAt = status.step;
  return rotationFailure(run, err, {
    type: 'CaRotationFailed',
    kept: [FailureType.NotFound, FailureType.InvalidInput, FailureType.CaBundleUnreadable],
    undone: ' The accepted CAs were put back as the run found them.',
    undoFailed: (why) =>
      ` Putting the accepted CAs back failed too (${why}); check ${status.namespace} by hand.`,
    details: () => ({ namespace: status.namespace, step: failedAt }),
  });
}
