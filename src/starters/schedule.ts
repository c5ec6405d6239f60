// The generic part of a schedule command (schedule-key-rotation, schedule-reconcile): the timing flags
// (cron / interval / overlap / schedule id), create-or-update with a fingerprint in the memo ("unchanged"
// when nothing differs), and --describe / --pause / --unpause / --trigger-now / --delete. A command only says
// which schedule it means and what workflow the schedule starts.
import type { Client, ScheduleDescription, ScheduleHandle, WorkflowHandle } from '@temporalio/client';
import type { AnyKind } from '../catalog/kind';
import { validate } from '../shared/validation';
import {
  defaultIO,
  ExitCode,
  exitWith,
  reportTemporalFailure,
  taskQueueOf,
  withClient,
  type Output,
  type StarterIO,
} from './cli';
import { runCommand } from './command';
import { COMMON_FLAGS, toFlagProblems, type FlagProblem, type FlagSpecs, type HelpDefinition } from './flags';
import {
  desired,
  desiredSpec,
  describeSpec,
  differences,
  OVERLAP,
  startAction,
  type Desired,
  type ScheduledWorkflow,
} from './schedule-spec';

export type { ScheduledWorkflow } from './schedule-spec';

export const SCHEDULE_ACTIONS = ['describe', 'pause', 'unpause', 'trigger-now', 'delete'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

/** `--cron`, the interval flag (named by the command), `--overlap`, `--schedule-id`. */
export function timingFlags<const I extends string>(o: {
  /** "sweep": "when to sweep". */
  what: string;
  /** One run: "when a sweep is still running". */
  run: string;
  cronExample: string;
  /** The interval flag's name and description. */
  interval: { name: I; description: string };
  defaultScheduleId: string;
}) {
  return {
    cron: {
      type: 'string',
      valueName: 'EXPR',
      description: `when to ${o.what}, as a cron expression (UTC), e.g. "${o.cronExample}"`,
    },
    ...({
      [o.interval.name]: { type: 'string', valueName: 'DURATION', description: o.interval.description },
    } as {
      [K in I]: { type: 'string'; valueName: 'DURATION'; description: string };
    }),
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
  } as const;
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

/** The schedule a command means; `workflow` only when creating or updating. */
export interface ScheduleTarget {
  scheduleId: string;
  workflow?: ScheduledWorkflow;
}

/**
 * The target of a schedule that starts one catalog kind with an input made from the command's flags (the key sweep,
 * the expiry watch): the schedule id as given or the default, the input checked by the kind's schema, each problem
 * named by its flag.
 */
export function kindTarget<V extends Record<string, unknown>>(o: {
  kind: Pick<AnyKind, 'workflowType' | 'schema'>;
  defaultScheduleId: string;
  /** The flags the input is made from, to name a problem by its flag. */
  inputFlags: FlagSpecs;
  input: (values: V) => unknown;
  workflowId: (scheduleId: string) => string;
}): ScheduleCommand<FlagSpecs>['target'] {
  return async (values, { action, env, problems }) => {
    const v = values as V & { 'schedule-id'?: string; 'task-queue'?: string };
    const scheduleId = v['schedule-id'] ?? o.defaultScheduleId;
    if (action) return { scheduleId };
    const input = o.input(v);
    const checked = validate(o.kind.schema!, input);
    if (!checked.ok) problems.push(...toFlagProblems(o.inputFlags, checked.problems));
    return {
      scheduleId,
      workflow: {
        workflowType: o.kind.workflowType,
        workflowId: o.workflowId(scheduleId),
        taskQueue: taskQueueOf(v, env),
        input,
      },
    };
  };
}

export interface ScheduleCommand<F extends FlagSpecs> extends HelpDefinition {
  /** Every flag: the command's own, `timingFlags` and `actionFlags`. */
  flags: F;
  /** The command's name for the interval flag (`interval`, `every`). */
  intervalFlag: keyof F & string;
  /** Interval when neither cron nor interval is given. */
  defaultIntervalMs: number;
  /** How to name what the schedule must start ("key-rotation sweep"). */
  kindLabel: string;
  /** One run, for messages ("a sweep starts now"). */
  run: string;
  /**
   * Flag values → the schedule (and, without an action, what it starts). Flag problems go to `problems`; a
   * returned exit code stops the command (the command has reported why).
   */
  target(
    values: Record<string, unknown>,
    ctx: { action: ScheduleAction | undefined; env: StarterIO['env']; problems: FlagProblem[]; out: Output },
  ): Promise<ScheduleTarget | ExitCode>;
  /** What --describe shows of the scheduled input, e.g. `{ sweep: input }`. */
  describeInput(input: unknown): Record<string, unknown>;
  /** What --describe adds to a recent run (its status, what it found); default nothing. */
  describeRun?(run: WorkflowHandle): Promise<Record<string, unknown>>;
  /** How a changed memo input reads in "updated: ..."; default `input: old → new`. */
  describeInputChange?(previous: unknown, wanted: unknown): string[];
}

/** What the flags ask for: an action on the schedule, or the schedule as it should be. */
interface Wanted {
  scheduleId: string;
  action?: ScheduleAction | undefined;
  desired?: Desired | undefined;
  note?: string | undefined;
}

export async function runScheduleCommand<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  argv: readonly string[],
  io: StarterIO = defaultIO(),
): Promise<ExitCode> {
  let wanted: Wanted | undefined;
  return runCommand({ ...cmd, commonFlags: cmd.commonFlags ?? COMMON_FLAGS }, argv, io, {
    async check(values, problems, out) {
      const v = values as Record<string, unknown>;
      const actions = SCHEDULE_ACTIONS.filter((a) => v[a]);
      if (actions.length > 1)
        problems.push({ flag: `--${actions[1]}`, message: `cannot be combined with --${actions[0]}` });
      const action = actions[0];
      const spec = action ? undefined : desiredSpec(v, cmd.intervalFlag, cmd.defaultIntervalMs, problems);
      const overlap = OVERLAP[(v.overlap as string | undefined) ?? 'skip'];
      if (!action && !overlap)
        problems.push({ flag: '--overlap', message: `must be one of ${Object.keys(OVERLAP).join(', ')}` });
      const target = await cmd.target(v, { action, env: io.env, problems, out });
      if (typeof target === 'number') return target;
      const { scheduleId, workflow } = target;
      const note = v.note as string | undefined;
      wanted = {
        scheduleId,
        action,
        note,
        desired: spec && overlap && workflow && desired(spec, overlap, workflow),
      };
    },
    run: (_values, out) => withClient(io, out, (client) => toSchedule(cmd, client, wanted!, out)),
  });
}

/** Creates, updates or acts on the schedule. */
async function toSchedule<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  client: Client,
  wanted: Wanted,
  out: Output,
): Promise<ExitCode> {
  const { scheduleId, desired: d } = wanted;
  try {
    const handle = client.schedule.getHandle(scheduleId);
    const existing = await handle.describe().catch((err: unknown) => {
      if ((err as Error).name === 'ScheduleNotFoundError') return undefined;
      throw err;
    });
    if (!d) {
      if (existing) return await act(cmd, wanted, client, handle, existing, out);
      out.say(`no schedule ${scheduleId}; create it first (run without --${wanted.action})`);
      out.emit({ ok: false, scheduleId, error: { kind: 'not-found' } });
      return ExitCode.WorkflowFailed;
    }
    if (!existing) {
      await client.schedule.create({
        scheduleId,
        spec: d.spec,
        action: startAction(d),
        policies: { overlap: d.overlap },
        state: { note: `created by ${cmd.name}` },
      });
      out.report(
        { ok: true, scheduleId, outcome: 'created' },
        `schedule ${scheduleId} created (${describeSpec(d)})`,
      );
      return ExitCode.Ok;
    }
    return await update(cmd, handle, existing, d, scheduleId, out);
  } catch (err) {
    reportTemporalFailure(out, err, { scheduleId });
    return ExitCode.Temporal;
  }
}

/** Writes only what differs; pause state and notes stay as they are. */
async function update<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  handle: ScheduleHandle,
  existing: ScheduleDescription,
  d: Desired,
  scheduleId: string,
  out: Output,
): Promise<ExitCode> {
  const changes = differences(existing, d, cmd);
  if (changes.length === 0) {
    out.report({ ok: true, scheduleId, outcome: 'unchanged' }, `schedule ${scheduleId} unchanged`);
    return ExitCode.Ok;
  }
  await handle.update((prev) => ({
    ...prev,
    spec: d.spec,
    action: startAction(d),
    policies: { ...prev.policies, overlap: d.overlap },
    state: { paused: prev.state.paused, ...(prev.state.note ? { note: prev.state.note } : {}) },
  }));
  out.report(
    { ok: true, scheduleId, outcome: 'updated', changes },
    `schedule ${scheduleId} updated: ${changes.join('; ')}`,
  );
  return ExitCode.Ok;
}

/** `export const main = scheduleEntry(command, module)`: run by `npm run <name>`, imported by tests. */
export function scheduleEntry<F extends FlagSpecs>(cmd: ScheduleCommand<F>, entry: NodeJS.Module) {
  const main = (argv: readonly string[], io?: StarterIO) => runScheduleCommand(cmd, argv, io);
  if (require.main === entry) exitWith(cmd.name, () => main(process.argv.slice(2)));
  return main;
}

async function act<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  { scheduleId, action, note }: Wanted,
  client: Client,
  handle: ScheduleHandle,
  existing: ScheduleDescription,
  out: Output,
): Promise<ExitCode> {
  const done = (outcome: string, text: string) => {
    out.report({ ok: true, scheduleId, outcome }, text);
    return ExitCode.Ok;
  };
  switch (action!) {
    case 'describe': {
      const summary = await describe(cmd, client, existing, scheduleId);
      out.report({ ok: true, ...summary }, JSON.stringify(summary, null, 2));
      return ExitCode.Ok;
    }
    case 'pause':
      await handle.pause(note ?? `paused by ${cmd.name}`);
      return done('paused', `schedule ${scheduleId} paused`);
    case 'unpause':
      await handle.unpause(note ?? `unpaused by ${cmd.name}`);
      return done('unpaused', `schedule ${scheduleId} unpaused`);
    case 'trigger-now':
      // The SDK's default is ALLOW_ALL, which ignores the schedule's overlap policy and gives the run no last
      // completion result (the expiry watch's ledger): the schedule's own policy keeps both.
      await handle.trigger(existing.policies.overlap);
      return done('triggered', `schedule ${scheduleId} triggered: a ${cmd.run} starts now`);
    case 'delete':
      await handle.delete();
      return done('deleted', `schedule ${scheduleId} deleted`);
  }
}

/** --describe: the schedule's spec, state, what it starts, its recent runs (with what the command adds) and next. */
async function describe<F extends FlagSpecs>(
  cmd: ScheduleCommand<F>,
  client: Client,
  existing: ScheduleDescription,
  scheduleId: string,
) {
  const started = existing.action.type === 'startWorkflow' ? existing.action : undefined;
  return {
    scheduleId,
    paused: existing.state.paused,
    note: existing.state.note,
    spec: existing.spec,
    overlap: existing.policies.overlap,
    ...(started ? cmd.describeInput(started.args?.[0]) : {}),
    taskQueue: started?.taskQueue,
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
}
