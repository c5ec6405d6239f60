// The generic part of a schedule command (schedule-key-rotation, schedule-reconcile): the timing flags
// (cron / interval / overlap / schedule id), create-or-update with a fingerprint in the memo ("unchanged"
// when nothing differs), and --describe / --pause / --unpause / --trigger-now / --delete. A command only says
// which schedule it means and what workflow the schedule starts.
import type {
  Client,
  ScheduleDescription,
  ScheduleHandle,
  ScheduleOverlapPolicy,
  WorkflowHandle,
} from '@temporalio/client';
import type { ConnectedClient } from '../client';
import { parseDurationMs } from '../shared/validation';
import {
  COMMON_FLAGS,
  ExitCode,
  exitWith,
  helpText,
  parseFlags,
  type FlagProblem,
  type FlagSpecs,
  type HelpDefinition,
  type StarterIO,
} from './cli';

export const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};
export const SCHEDULE_ACTIONS = ['describe', 'pause', 'unpause', 'trigger-now', 'delete'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

/** `--cron`, `--overlap`, `--schedule-id`; the interval flag is the command's own (see `intervalFlag`). */
export function timingFlags(o: {
  /** "sweep": "when to sweep". */
  what: string;
  /** One run: "when a sweep is still running". */
  run: string;
  cronExample: string;
  defaultScheduleId: string;
}) {
  return {
    cron: {
      type: 'string',
      valueName: 'EXPR',
      description: `when to ${o.what}, as a cron expression (UTC), e.g. "${o.cronExample}"`,
    },
    overlap: {
      type: 'string',
      valueName: 'POLICY',
      description: `when a ${o.run} is still running: ${Object.keys(OVERLAP).join('|')} (default skip)`,
    },
    'schedule-id': {
      type: 'string',
      valueName: 'ID',
      description: `schedule id (default ${o.defaultScheduleId})`,
    },
  } as const satisfies FlagSpecs;
}

/** The actions on an existing schedule. */
export function actionFlags(run: string) {
  return {
    describe: { type: 'boolean', description: 'show the schedule: spec, state, recent and next runs' },
    pause: { type: 'boolean', description: 'pause the schedule' },
    unpause: { type: 'boolean', description: 'resume the schedule' },
    'trigger-now': { type: 'boolean', description: `run one ${run} now (the overlap policy applies)` },
    delete: { type: 'boolean', description: `delete the schedule (running ${run}s are not stopped)` },
    note: { type: 'string', valueName: 'TEXT', description: 'note recorded with --pause/--unpause' },
  } as const satisfies FlagSpecs;
}

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

/** The schedule a command means; `workflow` only when creating or updating. */
export interface ScheduleTarget {
  scheduleId: string;
  workflow?: ScheduledWorkflow;
}

export interface ScheduleCommand<F extends FlagSpecs> extends HelpDefinition {
  /** Every flag: the command's own, `timingFlags`, its interval flag and `actionFlags`. */
  flags: F;
  /** The command's name for the interval flag (`interval`, `every`). */
  intervalFlag: keyof F & string;
  /** Interval when neither cron nor interval is given. */
  defaultIntervalMs: number;
  /** Workflow type the schedule must start, and how to name it ("key-rotation sweep"). */
  workflowType: string;
  kindLabel: string;
  /** One run, for messages ("a sweep starts now"). */
  run: string;
  /**
   * Flag values → the schedule (and, without an action, what it starts). Flag problems go to `problems`; a
   * returned exit code stops the command (the command has reported why).
   */
  target(
    values: Record<string, unknown>,
    ctx: {
      action: ScheduleAction | undefined;
      env: Record<string, string | undefined>;
      problems: FlagProblem[];
      io: StarterIO;
      json: boolean;
    },
  ): Promise<ScheduleTarget | ExitCode>;
  /** What --describe shows of the scheduled input, e.g. `{ sweep: input }`. */
  describeInput(input: unknown): Record<string, unknown>;
  /** What --describe adds to a recent run (its status, what it found); default nothing. */
  describeRun?(run: WorkflowHandle): Promise<Record<string, unknown>>;
  /** How a changed memo input reads in "updated: ..."; default `input: old → new`. */
  describeInputChange?(previous: unknown, wanted: unknown): string[];
}

interface Desired {
  spec: { cronExpressions: string[] } | { intervals: Array<{ every: number }> };
  workflow: ScheduledWorkflow;
  overlap: ScheduleOverlapPolicy;
  /** Compared with the memo of the existing schedule's action; what makes a re-run a no-op. */
  fingerprint: string;
}

export async function runScheduleCommand<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  argv: readonly string[],
  io: StarterIO = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<ExitCode> {
  const json = argv.includes('--json');
  const say = (line: string) => io.stderr.write(`${cmd.name}: ${line}\n`);
  const out = (doc: Record<string, unknown>, text: string) =>
    io.stdout.write(json ? `${JSON.stringify(doc)}\n` : `${text}\n`);

  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(helpText(cmd));
    return ExitCode.Ok;
  }
  const { values, problems } = await parseFlags(cmd.flags, argv, cmd.commonFlags ?? COMMON_FLAGS);
  const v = values as Record<string, unknown>;
  const actions = SCHEDULE_ACTIONS.filter((a) => v[a]);
  if (actions.length > 1)
    problems.push({ flag: `--${actions[1]}`, message: `cannot be combined with --${actions[0]}` });
  const action: ScheduleAction | undefined = actions[0];
  const spec = action ? undefined : desiredSpec(cmd, v, problems);
  const overlap = OVERLAP[(v.overlap as string | undefined) ?? 'skip'];
  if (!action && !overlap)
    problems.push({ flag: '--overlap', message: `must be one of ${Object.keys(OVERLAP).join(', ')}` });
  const target = await cmd.target(v, { action, env: io.env, problems, io, json });
  if (typeof target === 'number') return target;
  if (problems.length) {
    for (const p of problems) say(p.flag ? `${p.flag}: ${p.message}` : p.message);
    io.stderr.write('Run with --help for usage.\n');
    if (json) io.stdout.write(`${JSON.stringify({ ok: false, error: { kind: 'usage', problems } })}\n`);
    return ExitCode.Usage;
  }
  const { scheduleId } = target;
  const desired =
    spec && overlap && target.workflow
      ? {
          spec,
          workflow: target.workflow,
          overlap,
          fingerprint: JSON.stringify({
            spec,
            input: target.workflow.memoInput ?? target.workflow.input,
            taskQueue: target.workflow.taskQueue,
            overlap,
          }),
        }
      : undefined;

  let connected: ConnectedClient;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const connect = io.connect ?? (require('../client') as typeof import('../client')).connectClient;
    connected = await connect({ env: io.env });
  } catch (err) {
    say((err as Error).message);
    if (json)
      io.stdout.write(
        `${JSON.stringify({ ok: false, error: { kind: 'temporal', message: (err as Error).message } })}\n`,
      );
    return ExitCode.Temporal;
  }
  try {
    const handle = connected.client.schedule.getHandle(scheduleId);
    const existing = await handle.describe().catch((err: unknown) => {
      if ((err as Error).name === 'ScheduleNotFoundError') return undefined;
      throw err;
    });
    if (!desired) {
      if (!existing) {
        say(`no schedule ${scheduleId}; create it first (run without --${action})`);
        if (json)
          io.stdout.write(`${JSON.stringify({ ok: false, scheduleId, error: { kind: 'not-found' } })}\n`);
        return ExitCode.WorkflowFailed;
      }
      return await act(
        cmd,
        action!,
        connected.client,
        handle,
        existing,
        v.note as string | undefined,
        out,
        scheduleId,
      );
    }
    if (!existing) {
      await connected.client.schedule.create({
        scheduleId,
        spec: desired.spec,
        action: startAction(desired),
        policies: { overlap: desired.overlap },
        state: { note: `created by ${cmd.name}` },
      });
      out(
        { ok: true, scheduleId, outcome: 'created' },
        `schedule ${scheduleId} created (${describeSpec(desired)})`,
      );
      return ExitCode.Ok;
    }
    const changes = differences(cmd, existing, desired);
    if (changes.length === 0) {
      out({ ok: true, scheduleId, outcome: 'unchanged' }, `schedule ${scheduleId} unchanged`);
      return ExitCode.Ok;
    }
    // Pause state and notes stay as they are; only what this command manages is replaced.
    await handle.update((prev) => ({
      ...prev,
      spec: desired.spec,
      action: startAction(desired),
      policies: { ...prev.policies, overlap: desired.overlap },
      state: { paused: prev.state.paused, ...(prev.state.note ? { note: prev.state.note } : {}) },
    }));
    out(
      { ok: true, scheduleId, outcome: 'updated', changes },
      `schedule ${scheduleId} updated: ${changes.join('; ')}`,
    );
    return ExitCode.Ok;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    say(`Temporal call failed: ${message}`);
    if (json)
      io.stdout.write(`${JSON.stringify({ ok: false, scheduleId, error: { kind: 'temporal', message } })}\n`);
    return ExitCode.Temporal;
  } finally {
    await connected.close().catch(() => undefined);
  }
}

/** Process entry point of a schedule command. */
export function runScheduleMain<F extends FlagSpecs>(cmd: ScheduleCommand<F>): void {
  exitWith(cmd.name, () => runScheduleCommand(cmd, process.argv.slice(2)));
}

function desiredSpec<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  v: Record<string, unknown>,
  problems: FlagProblem[],
): Desired['spec'] {
  const cron = v.cron as string | undefined;
  const interval = v[cmd.intervalFlag] as string | undefined;
  if (cron !== undefined && interval !== undefined)
    problems.push({ flag: '--cron', message: `cannot be combined with --${cmd.intervalFlag}` });
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
        flag: `--${cmd.intervalFlag}`,
        message: 'must be a duration of at least 1m, e.g. 1d or 12h',
      });
    else return { intervals: [{ every }] };
  }
  return { intervals: [{ every: cmd.defaultIntervalMs }] };
}

function startAction(desired: Desired) {
  const w = desired.workflow;
  return {
    type: 'startWorkflow' as const,
    workflowType: w.workflowType,
    workflowId: w.workflowId,
    taskQueue: w.taskQueue,
    args: [w.input],
    memo: { desiredSchedule: desired.fingerprint },
  };
}

/** What differs between the existing schedule and the desired one, as `field: old → new`; empty when nothing. */
function differences<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  existing: ScheduleDescription,
  desired: Desired,
): string[] {
  const a = existing.action;
  if (a.type !== 'startWorkflow' || a.workflowType !== cmd.workflowType)
    return [`action: not a ${cmd.kindLabel}`];
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(String(a.memo?.desiredSchedule ?? '{}')) as Record<string, unknown>;
  } catch {
    // Not written by us: everything counts as changed.
  }
  const wanted = JSON.parse(desired.fingerprint) as Record<string, unknown>;
  const changed = new Set(
    Object.keys(wanted).filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(wanted[k])),
  );
  // Edits made elsewhere (Web UI, temporal CLI) that the memo cannot know about. Cron strings come back
  // as calendars, so a cron spec is compared through the memo alone.
  if ((existing.policies.overlap ?? 'SKIP') !== desired.overlap) changed.add('overlap');
  if (a.taskQueue !== desired.workflow.taskQueue) changed.add('taskQueue');
  if (JSON.stringify(a.args ?? []) !== JSON.stringify([desired.workflow.input])) changed.add('input');
  if ('intervals' in desired.spec) {
    const every = (existing.spec.intervals ?? []).map((i) => i.every);
    if (JSON.stringify(every) !== JSON.stringify(desired.spec.intervals.map((i) => i.every)))
      changed.add('spec');
  }
  return [...changed].flatMap((k) =>
    k === 'input' && cmd.describeInputChange
      ? cmd.describeInputChange(previous[k], wanted[k])
      : [`${k}: ${JSON.stringify(previous[k] ?? null)} → ${JSON.stringify(wanted[k])}`],
  );
}

function describeSpec(desired: Desired): string {
  return 'intervals' in desired.spec
    ? `every ${desired.spec.intervals[0]!.every / 60_000} min`
    : `cron "${desired.spec.cronExpressions[0]}"`;
}

async function act<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  action: ScheduleAction,
  client: Client,
  handle: ScheduleHandle,
  existing: ScheduleDescription,
  note: string | undefined,
  out: (doc: Record<string, unknown>, text: string) => void,
  scheduleId: string,
): Promise<ExitCode> {
  switch (action) {
    case 'describe': {
      const summary = {
        scheduleId,
        paused: existing.state.paused,
        note: existing.state.note,
        spec: existing.spec,
        overlap: existing.policies.overlap,
        ...(existing.action.type === 'startWorkflow' ? cmd.describeInput(existing.action.args?.[0]) : {}),
        taskQueue: existing.action.type === 'startWorkflow' ? existing.action.taskQueue : undefined,
        actionsTaken: existing.info.numActionsTaken,
        running: existing.info.runningActions.map((r) => r.workflow.workflowId),
        recent: await Promise.all(
          existing.info.recentActions.map(async (r) => {
            const workflowId = r.action.type === 'startWorkflow' ? r.action.workflow.workflowId : undefined;
            return {
              scheduledAt: r.scheduledAt.toISOString(),
              workflowId,
              ...(workflowId && cmd.describeRun
                ? await cmd.describeRun(client.workflow.getHandle(workflowId)).catch(() => ({}))
                : {}),
            };
          }),
        ),
        next: existing.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      };
      out({ ok: true, ...summary }, JSON.stringify(summary, null, 2));
      return ExitCode.Ok;
    }
    case 'pause':
      await handle.pause(note ?? `paused by ${cmd.name}`);
      out({ ok: true, scheduleId, outcome: 'paused' }, `schedule ${scheduleId} paused`);
      return ExitCode.Ok;
    case 'unpause':
      await handle.unpause(note ?? `unpaused by ${cmd.name}`);
      out({ ok: true, scheduleId, outcome: 'unpaused' }, `schedule ${scheduleId} unpaused`);
      return ExitCode.Ok;
    case 'trigger-now':
      await handle.trigger();
      out(
        { ok: true, scheduleId, outcome: 'triggered' },
        `schedule ${scheduleId} triggered: a ${cmd.run} starts now`,
      );
      return ExitCode.Ok;
    case 'delete':
      await handle.delete();
      out({ ok: true, scheduleId, outcome: 'deleted' }, `schedule ${scheduleId} deleted`);
      return ExitCode.Ok;
  }
}
