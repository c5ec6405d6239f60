// A run's timeline on the request page: each kind's steps in order, labelled for a person (src/catalog, `steps`,
// typed against the workflows' own step unions), and where the run is among them. A workflow type the catalog does
// not know still shows its current step by name.
import { kindOf, type Outcome } from '../catalog';

/** Steps that end a run or undo it: shown as the outcome, not as a place on the way. */
const TERMINAL = new Set(['completed', 'failed', 'rolling-back', 'aborting', 'aborted', 'rejected']);

/** A person's name for a workflow type ("Namespace", "Offboarding"); unknown types as they are. */
export function kindTitle(workflowType: string): string {
  return kindOf(workflowType)?.title ?? workflowType;
}

/** The label of a step, or the step itself when the catalog does not know it. */
export function stepLabel(workflowType: string, step: string): string {
  const steps = kindOf(workflowType)?.steps;
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

/** How a completed run ended, from its result: the steps it skipped and the words for it. */
export function outcomeOf(workflowType: string, result: unknown): Outcome {
  return kindOf(workflowType)?.outcome?.(result ?? {}) ?? { label: 'Completed' };
}

/**
 * The steps of a run with where it is: everything before the current step done, the current one marked, the rest
 * upcoming. A completed run has all done but what it skipped; a failed one is done up to the step it failed in
 * (when known).
 */
export function timeline({ workflowType, status, step, result, failedStep }: TimelineInput): TimelineEntry[] {
  const kind = kindOf(workflowType);
  const entry = (s: string, state: TimelineState, label = stepLabel(workflowType, s)): TimelineEntry => ({
    step: s,
    label,
    state,
  });
  if (!kind) return step ? [entry(step, status === 'RUNNING' ? 'current' : 'done')] : [];
  const path = Object.keys(kind.steps).filter((s) => !TERMINAL.has(s));
  if (status === 'COMPLETED') {
    const outcome = outcomeOf(workflowType, result);
    const last = outcome.stoppedAfter ? path.indexOf(outcome.stoppedAfter) : path.length - 1;
    return [
      ...path.map((s, i) => entry(s, i <= last && !outcome.skipped?.includes(s) ? 'done' : 'skipped')),
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
