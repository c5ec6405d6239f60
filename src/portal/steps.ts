// What each workflow's `status.step` means to a person, in the order a run goes through them: the timeline of the
// request page. Typed against the workflows' own step unions, so a step added to a workflow without a label here
// fails the type check. A workflow type not listed (a future one) still shows its current step by name.
import type {
  DecommissionStatus,
  OffboardStatus,
  ProvisionStep,
  ReconcileStatus,
  RotateStep,
  SweepStatus,
  UpdateNamespaceStatus,
} from '../workflows';

/** Steps that end a run or undo it: shown as the outcome, not as a place on the way. */
const TERMINAL = new Set(['completed', 'failed', 'rolling-back', 'aborting', 'aborted', 'rejected']);

const PROVISION: Record<ProvisionStep, string> = {
  validating: 'Check the request',
  'awaiting-approval': 'Wait for approval',
  'creating-namespace': 'Create the namespace',
  'waiting-for-namespace': 'Wait until the namespace is active',
  'creating-service-account': 'Create the service account',
  'waiting-for-service-account': 'Wait until the service account is active',
  'creating-api-key': 'Create the API key',
  'waiting-for-api-key': 'Wait until the API key is active',
  'rolling-back': 'Roll back what this run created',
  completed: 'Completed',
  failed: 'Failed',
};

const ROTATE: Record<RotateStep, string> = {
  validating: 'Check the request',
  resolving: 'Find the key to rotate',
  'creating-new-key': 'Create the new key',
  'waiting-for-new-key': 'Wait until the new key is active',
  'awaiting-approval': 'Wait for approval to delete the old key',
  'grace-period': 'Grace period (both keys valid)',
  'deleting-old-key': 'Delete the old key',
  aborting: 'Abort: delete the new key',
  completed: 'Completed',
  aborted: 'Aborted',
  failed: 'Failed',
};

const OFFBOARD: Record<OffboardStatus['step'], string> = {
  validating: 'Check the request',
  resolving: 'Find the user',
  planning: 'List what will be removed',
  'awaiting-approval': 'Wait for approval',
  'deleting-api-keys': "Delete the user's API keys",
  'deleting-user': 'Delete the user',
  completed: 'Completed',
  failed: 'Failed',
};

const DECOMMISSION: Record<DecommissionStatus['step'], string> = {
  validating: 'Check the request',
  finding: 'Find the namespace',
  'awaiting-approval': 'Wait for approval',
  'deleting-api-keys': "Delete the service accounts' API keys",
  'deleting-service-accounts': 'Delete the service accounts',
  'deleting-namespace': 'Delete the namespace',
  completed: 'Completed',
  failed: 'Failed',
};

const UPDATE: Record<UpdateNamespaceStatus['step'], string> = {
  validating: 'Check the request',
  reading: 'Read the namespace',
  updating: 'Send the change',
  waiting: 'Wait until the change is applied',
  completed: 'Completed',
  failed: 'Failed',
};

const SWEEP: Record<SweepStatus['step'], string> = {
  validating: 'Check the request',
  selecting: 'Select keys due for rotation',
  rotating: 'Rotate the selected keys',
  completed: 'Completed',
  failed: 'Failed',
};

const RECONCILE: Record<ReconcileStatus['step'], string> = {
  validating: 'Check the desired state',
  planning: 'Plan against the account',
  'awaiting-approval': 'Wait for approval of the destructive changes',
  applying: 'Apply the plan',
  completed: 'Completed',
  rejected: 'Rejected',
  failed: 'Failed',
};

const CATALOG: Record<string, { title: string; steps: Record<string, string> }> = {
  provisionNamespace: { title: 'Namespace', steps: PROVISION },
  rotateApiKey: { title: 'API key rotation', steps: ROTATE },
  offboardUser: { title: 'Offboarding', steps: OFFBOARD },
  decommissionNamespace: { title: 'Decommission', steps: DECOMMISSION },
  updateNamespace: { title: 'Namespace update', steps: UPDATE },
  rotateExpiringKeys: { title: 'Key rotation sweep', steps: SWEEP },
  reconcile: { title: 'Desired state', steps: RECONCILE },
};

/** A person's name for a workflow type ("Namespace", "Offboarding"); unknown types as they are. */
export function kindTitle(workflowType: string): string {
  return known(workflowType)?.title ?? workflowType;
}

/** Only the catalog's own entries: a name like `constructor` is not a workflow type. */
const known = (workflowType: string) =>
  Object.hasOwn(CATALOG, workflowType) ? CATALOG[workflowType] : undefined;

/** The label of a step, or the step itself when this portal does not know it. */
export function stepLabel(workflowType: string, step: string): string {
  const steps = known(workflowType)?.steps;
  return steps && Object.hasOwn(steps, step) ? steps[step]! : step;
}

export type TimelineState = 'done' | 'current' | 'upcoming' | 'skipped' | 'failed';

export interface TimelineEntry {
  step: string;
  label: string;
  state: TimelineState;
}

export interface TimelineInput {
  workflowType: string;
  /** The run's execution status: RUNNING, COMPLETED, FAILED, … */
  status: string;
  /** `status.step` from the query, when it answered. */
  step?: string;
  /** A completed run's result: says which steps it skipped (a dry run, a rejection, an abort). */
  result?: unknown;
  /** For a failed run: the step it failed in, when the failure says so. */
  failedStep?: string;
}

interface Outcome {
  /** The last step the run went through; the ones after it were skipped. */
  stoppedAfter?: string;
  label: string;
}

/** How a completed run ended, from its result: the steps it skipped and the words for it. */
export function outcomeOf(workflowType: string, result: unknown): Outcome {
  const r = (result ?? {}) as Record<string, unknown>;
  switch (workflowType) {
    case 'offboardUser': {
      const by = (r.approval as { by?: string } | undefined)?.by;
      if (r.outcome === 'dry-run') return { stoppedAfter: 'planning', label: 'Dry run: nothing changed' };
      if (r.outcome === 'rejected')
        return { stoppedAfter: 'awaiting-approval', label: `Rejected${by ? ` by ${by}` : ''}` };
      if (r.outcome === 'approval-timed-out')
        return { stoppedAfter: 'awaiting-approval', label: 'No decision in time: nothing changed' };
      return { label: 'Completed' };
    }
    case 'rotateApiKey':
      if (r.outcome === 'aborted')
        return { stoppedAfter: 'grace-period', label: 'Aborted: the old key stays' };
      if (r.oldKeyDeleted === false)
        return { stoppedAfter: 'grace-period', label: 'Completed (old key kept)' };
      return { label: 'Completed' };
    case 'provisionNamespace':
      if (r.serviceAccountId === undefined)
        return { stoppedAfter: 'waiting-for-namespace', label: 'Completed' };
      if (r.apiKeyId === undefined)
        return { stoppedAfter: 'waiting-for-service-account', label: 'Completed' };
      return { label: 'Completed' };
    default:
      return { label: 'Completed' };
  }
}

/**
 * The steps of a run with where it is: everything before the current step done, the current one marked, the rest
 * upcoming. A completed run has all done but what it skipped; a failed one is done up to the step it failed in
 * (when known).
 */
export function timeline({ workflowType, status, step, result, failedStep }: TimelineInput): TimelineEntry[] {
  const catalog = known(workflowType);
  const entry = (s: string, state: TimelineState, label = stepLabel(workflowType, s)): TimelineEntry => ({
    step: s,
    label,
    state,
  });
  if (!catalog) return step ? [entry(step, status === 'RUNNING' ? 'current' : 'done')] : [];
  const path = Object.keys(catalog.steps).filter((s) => !TERMINAL.has(s));
  if (status === 'COMPLETED') {
    const outcome = outcomeOf(workflowType, result);
    const last = outcome.stoppedAfter ? path.indexOf(outcome.stoppedAfter) : path.length - 1;
    return [
      ...path.map((s, i) => entry(s, i <= last ? 'done' : 'skipped')),
      entry('completed', 'done', outcome.label),
    ];
  }
  if (status === 'RUNNING') {
    const at = step ? path.indexOf(step) : -1;
    if (step && at < 0) {
      // Rolling back or aborting: the path is behind it.
      return [...path.map((s) => entry(s, 'done')), entry(step, 'current')];
    }
    return path.map((s, i) => entry(s, i < at ? 'done' : i === at ? 'current' : 'upcoming'));
  }
  // Failed, terminated, cancelled, timed out.
  const at = failedStep ? path.indexOf(failedStep) : -1;
  const ending =
    status === 'FAILED' ? 'Failed' : `${status[0]}${status.slice(1).toLowerCase().replace(/_/g, ' ')}`;
  return [
    ...path.map((s, i) => entry(s, i < at ? 'done' : i === at ? 'failed' : 'upcoming')),
    entry('failed', 'failed', ending),
  ];
}
