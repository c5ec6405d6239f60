// A schedule command's wanted schedule (timing, what it starts, overlap) and how it differs from the existing one.
import type { ScheduleDescription, ScheduleOverlapPolicy } from '@temporalio/client';
import { parseDurationMs } from '../shared/validation';
import type { FlagProblem } from './flags';

export const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

/** What a schedule starts on each tick. */
export interface ScheduledWorkflow {
  workflowType: string;
  /** The schedule appends the scheduled time, so each run has its own id. */
  workflowId: string;
  taskQueue: string;
  input: unknown;
  /** What the memo records of the input, compared on the next run; default the input itself. */
  memoInput?: unknown;
}

export type ScheduleSpec = { cronExpressions: string[] } | { intervals: Array<{ every: number }> };

export interface Desired {
  spec: ScheduleSpec;
  workflow: ScheduledWorkflow;
  overlap: ScheduleOverlapPolicy;
  /** Compared with the memo of the existing schedule's action; what makes a re-run a no-op. */
  fingerprint: string;
}

/** --cron, or the interval flag, or the default interval. */
export function desiredSpec(
  v: Record<string, unknown>,
  intervalFlag: string,
  defaultIntervalMs: number,
  problems: FlagProblem[],
): ScheduleSpec {
  const cron = v.cron as string | undefined;
  const interval = v[intervalFlag] as string | undefined;
  if (cron !== undefined && interval !== undefined)
    problems.push({ flag: '--cron', message: `cannot be combined with --${intervalFlag}` });
  if (cron !== undefined) {
    if (cron.trim().split(/\s+/).length !== 5 && !cron.trim().startsWith('@'))
      problems.push({
        flag: '--cron',
        message: 'must have 5 fields (minute hour day-of-month month day-of-week)',
      });
    return { cronExpressions: [cron.trim()] };
  }
  if (interval !== undefined) {
    const every = parseDurationMs(interval);
    if (every === undefined || every < 60_000)
      problems.push({
        flag: `--${intervalFlag}`,
        message: 'must be a duration of at least 1m, e.g. 1d or 12h',
      });
    else return { intervals: [{ every }] };
  }
  return { intervals: [{ every: defaultIntervalMs }] };
}

export function desired(
  spec: ScheduleSpec,
  overlap: ScheduleOverlapPolicy,
  workflow: ScheduledWorkflow,
): Desired {
  const input = workflow.memoInput ?? workflow.input;
  const fingerprint = JSON.stringify({ spec, input, taskQueue: workflow.taskQueue, overlap });
  return { spec, workflow, overlap, fingerprint };
}

export function startAction(d: Desired) {
  const w = d.workflow;
  return {
    type: 'startWorkflow' as const,
    workflowType: w.workflowType,
    workflowId: w.workflowId,
    taskQueue: w.taskQueue,
    args: [w.input],
    memo: { desiredSchedule: d.fingerprint },
  };
}

/**
 * What differs between the existing schedule and the desired one, as `field: old → new`; empty when nothing.
 * `describeInputChange` words a changed input; `kindLabel` names what the schedule must start.
 */
export function differences(
  existing: ScheduleDescription,
  d: Desired,
  o: { kindLabel: string; describeInputChange?(previous: unknown, wanted: unknown): string[] },
): string[] {
  const a = existing.action;
  if (a.type !== 'startWorkflow' || a.workflowType !== d.workflow.workflowType)
    return [`action: not a ${o.kindLabel}`];
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(String(a.memo?.desiredSchedule ?? '{}')) as Record<string, unknown>;
  } catch {
    // Not written by us: everything counts as changed.
  }
  const wanted = JSON.parse(d.fingerprint) as Record<string, unknown>;
  const changed = new Set(
    Object.keys(wanted).filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(wanted[k])),
  );
  // Edits made elsewhere (Web UI, temporal CLI) that the memo cannot know about. Cron strings come back
  // as calendars, so a cron spec is compared through the memo alone.
  if ((existing.policies.overlap ?? 'SKIP') !== d.overlap) changed.add('overlap');
  if (a.taskQueue !== d.workflow.taskQueue) changed.add('taskQueue');
  if (JSON.stringify(a.args ?? []) !== JSON.stringify([d.workflow.input])) changed.add('input');
  if ('intervals' in d.spec) {
    const every = (existing.spec.intervals ?? []).map((i) => i.every);
    if (JSON.stringify(every) !== JSON.stringify(d.spec.intervals.map((i) => i.every))) changed.add('spec');
  }
  return [...changed].flatMap((k) =>
    k === 'input' && o.describeInputChange
      ? o.describeInputChange(previous[k], wanted[k])
      : [`${k}: ${JSON.stringify(previous[k] ?? null)} → ${JSON.stringify(wanted[k])}`],
  );
}

export function describeSpec(d: Desired): string {
  return 'intervals' in d.spec
    ? `every ${d.spec.intervals[0]!.every / 60_000} min`
    : `cron "${d.spec.cronExpressions[0]}"`;
}
