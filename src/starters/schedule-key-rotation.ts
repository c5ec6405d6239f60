// npm run schedule-key-rotation -- --interval 1d --lead-days 14            create or update (idempotent)
// npm run schedule-key-rotation -- --describe | --pause | --unpause | --trigger-now | --delete
import type { ScheduleDescription, ScheduleHandle, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ConnectedClient } from '../client';
import {
  parseDurationMs,
  rotateExpiringKeysInput,
  validate,
  type RotateExpiringKeysInput,
} from '../shared/validation';
import { DEFAULT_TASK_QUEUE, KEY_ROTATION_SCHEDULE_ID } from '../shared/workflow-ids';
import {
  ExitCode,
  flagForField,
  helpText,
  parseFlags,
  type FlagProblem,
  type FlagSpecs,
  type StarterIO,
  exitWith,
} from './cli';
import { sweepFlags, sweepInput } from './rotate-expiring-keys';

const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};
const ACTIONS = ['describe', 'pause', 'unpause', 'trigger-now', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export const scheduleFlags = {
  cron: {
    type: 'string',
    valueName: 'EXPR',
    description: 'when to sweep, as a cron expression (UTC), e.g. "0 3 * * *"',
  },
  interval: {
    type: 'string',
    valueName: 'DURATION',
    description: 'or every DURATION, e.g. 12h (default 1d)',
  },
  overlap: {
    type: 'string',
    valueName: 'POLICY',
    description: `when a sweep is still running: ${Object.keys(OVERLAP).join('|')} (default skip)`,
  },
  'schedule-id': {
    type: 'string',
    valueName: 'ID',
    description: `schedule id (default ${KEY_ROTATION_SCHEDULE_ID})`,
  },
  ...sweepFlags,
  describe: { type: 'boolean', description: 'show the schedule: spec, state, recent and next runs' },
  pause: { type: 'boolean', description: 'pause the schedule' },
  unpause: { type: 'boolean', description: 'resume the schedule' },
  'trigger-now': { type: 'boolean', description: 'run one sweep now (the overlap policy applies)' },
  delete: { type: 'boolean', description: 'delete the schedule (running sweeps are not stopped)' },
  note: { type: 'string', valueName: 'TEXT', description: 'note recorded with --pause/--unpause' },
} as const satisfies FlagSpecs;

const definition = {
  name: 'schedule-key-rotation',
  summary:
    'Creates or updates the Temporal Schedule that runs the rotate-expiring-keys sweep (default: daily). ' +
    'Idempotent: the desired schedule is compared with the existing one and only a difference is written ' +
    '("unchanged" otherwise). --describe/--pause/--unpause/--trigger-now/--delete act on the existing schedule.',
  flags: scheduleFlags,
  examples: [
    'npm run schedule-key-rotation -- --interval 1d --lead-days 14 --concurrency 5',
    'npm run schedule-key-rotation -- --cron "0 3 * * 1-5" --overlap buffer-one --grace 1h',
    'npm run schedule-key-rotation -- --describe --json',
  ],
};

interface Desired {
  spec: { cronExpressions: string[] } | { intervals: Array<{ every: number }> };
  input: RotateExpiringKeysInput;
  taskQueue: string;
  overlap: ScheduleOverlapPolicy;
  /** Compared with the memo of the existing schedule's action; what makes a re-run a no-op. */
  fingerprint: string;
}

export async function main(
  argv: readonly string[],
  io: StarterIO = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<ExitCode> {
  const json = argv.includes('--json');
  const say = (line: string) => io.stderr.write(`${definition.name}: ${line}\n`);
  const out = (doc: Record<string, unknown>, text: string) =>
    io.stdout.write(json ? `${JSON.stringify(doc)}\n` : `${text}\n`);

  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(helpText(definition));
    return ExitCode.Ok;
  }
  const { values: v, problems } = await parseFlags(scheduleFlags, argv);
  const actions = ACTIONS.filter((a) => v[a]);
  if (actions.length > 1)
    problems.push({ flag: `--${actions[1]}`, message: `cannot be combined with --${actions[0]}` });
  const action: Action | undefined = actions[0];
  const scheduleId = v['schedule-id'] ?? KEY_ROTATION_SCHEDULE_ID;
  const desired = action ? undefined : desiredSchedule(v, io.env, problems);
  if (problems.length) {
    for (const p of problems) say(p.flag ? `${p.flag}: ${p.message}` : p.message);
    io.stderr.write('Run with --help for usage.\n');
    if (json) io.stdout.write(`${JSON.stringify({ ok: false, error: { kind: 'usage', problems } })}\n`);
    return ExitCode.Usage;
  }

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
      return await act(action!, handle, existing, v.note, out, scheduleId);
    }
    if (!existing) {
      await connected.client.schedule.create({
        scheduleId,
        spec: desired.spec,
        action: sweepAction(scheduleId, desired),
        policies: { overlap: desired.overlap },
        state: { note: 'created by schedule-key-rotation' },
      });
      out(
        { ok: true, scheduleId, outcome: 'created' },
        `schedule ${scheduleId} created (${describeSpec(desired)})`,
      );
      return ExitCode.Ok;
    }
    const changes = differences(existing, desired);
    if (changes.length === 0) {
      out({ ok: true, scheduleId, outcome: 'unchanged' }, `schedule ${scheduleId} unchanged`);
      return ExitCode.Ok;
    }
    // Pause state and notes stay as they are; only what this command manages is replaced.
    await handle.update((prev) => ({
      ...prev,
      spec: desired.spec,
      action: sweepAction(scheduleId, desired),
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

function desiredSchedule(
  v: Awaited<ReturnType<typeof parseFlags<typeof scheduleFlags>>>['values'],
  env: Record<string, string | undefined>,
  problems: FlagProblem[],
): Desired | undefined {
  if (v.cron !== undefined && v.interval !== undefined)
    problems.push({ flag: '--cron', message: 'cannot be combined with --interval' });
  let spec: Desired['spec'] = { intervals: [{ every: 86_400_000 }] };
  if (v.cron !== undefined) {
    if (v.cron.trim().split(/\s+/).length !== 5 && !v.cron.trim().startsWith('@'))
      problems.push({
        flag: '--cron',
        message: 'must have 5 fields (minute hour day-of-month month day-of-week)',
      });
    spec = { cronExpressions: [v.cron.trim()] };
  } else if (v.interval !== undefined) {
    const every = parseDurationMs(v.interval);
    if (every === undefined || every < 60_000)
      problems.push({ flag: '--interval', message: 'must be a duration of at least 1m, e.g. 1d or 12h' });
    else spec = { intervals: [{ every }] };
  }
  const overlap = OVERLAP[v.overlap ?? 'skip'];
  if (!overlap)
    problems.push({ flag: '--overlap', message: `must be one of ${Object.keys(OVERLAP).join(', ')}` });
  const input = sweepInput(v);
  const checked = validate(rotateExpiringKeysInput, input);
  if (!checked.ok) {
    for (const p of checked.problems) {
      const flag = flagForField(sweepFlags, p.field);
      problems.push(flag ? { flag, message: p.message } : { flag: '', message: `${p.field}: ${p.message}` });
    }
  }
  if (!overlap) return undefined;
  const taskQueue = v['task-queue'] ?? (env.TASK_QUEUE || DEFAULT_TASK_QUEUE);
  const fingerprint = JSON.stringify({ spec, input, taskQueue, overlap });
  return { spec, input, taskQueue, overlap, fingerprint };
}

function sweepAction(scheduleId: string, desired: Desired) {
  return {
    type: 'startWorkflow' as const,
    workflowType: 'rotateExpiringKeys',
    // The schedule appends the scheduled time, so each sweep has its own id.
    workflowId: `${scheduleId}/sweep`,
    taskQueue: desired.taskQueue,
    args: [desired.input],
    memo: { desiredSchedule: desired.fingerprint },
  };
}

/** What differs between the existing schedule and the desired one, as `field: old → new`; empty when nothing. */
function differences(existing: ScheduleDescription, desired: Desired): string[] {
  const a = existing.action;
  if (a.type !== 'startWorkflow' || a.workflowType !== 'rotateExpiringKeys')
    return ['action: not a key-rotation sweep'];
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
  if (a.taskQueue !== desired.taskQueue) changed.add('taskQueue');
  if (JSON.stringify(a.args ?? []) !== JSON.stringify([desired.input])) changed.add('input');
  if ('intervals' in desired.spec) {
    const every = (existing.spec.intervals ?? []).map((i) => i.every);
    if (JSON.stringify(every) !== JSON.stringify(desired.spec.intervals.map((i) => i.every)))
      changed.add('spec');
  }
  return [...changed].map(
    (k) => `${k}: ${JSON.stringify(previous[k] ?? null)} → ${JSON.stringify(wanted[k])}`,
  );
}

function describeSpec(desired: Desired): string {
  return 'intervals' in desired.spec
    ? `every ${desired.spec.intervals[0]!.every / 60_000} min`
    : `cron "${desired.spec.cronExpressions[0]}"`;
}

async function act(
  action: Action,
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
        sweep: existing.action.type === 'startWorkflow' ? existing.action.args?.[0] : undefined,
        taskQueue: existing.action.type === 'startWorkflow' ? existing.action.taskQueue : undefined,
        actionsTaken: existing.info.numActionsTaken,
        running: existing.info.runningActions.map((r) => r.workflow.workflowId),
        recent: existing.info.recentActions.map((r) => ({
          scheduledAt: r.scheduledAt.toISOString(),
          workflowId: r.action.type === 'startWorkflow' ? r.action.workflow.workflowId : undefined,
        })),
        next: existing.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      };
      out({ ok: true, ...summary }, JSON.stringify(summary, null, 2));
      return ExitCode.Ok;
    }
    case 'pause':
      await handle.pause(note ?? 'paused by schedule-key-rotation');
      out({ ok: true, scheduleId, outcome: 'paused' }, `schedule ${scheduleId} paused`);
      return ExitCode.Ok;
    case 'unpause':
      await handle.unpause(note ?? 'unpaused by schedule-key-rotation');
      out({ ok: true, scheduleId, outcome: 'unpaused' }, `schedule ${scheduleId} unpaused`);
      return ExitCode.Ok;
    case 'trigger-now':
      await handle.trigger();
      out(
        { ok: true, scheduleId, outcome: 'triggered' },
        `schedule ${scheduleId} triggered: a sweep starts now`,
      );
      return ExitCode.Ok;
    case 'delete':
      await handle.delete();
      out({ ok: true, scheduleId, outcome: 'deleted' }, `schedule ${scheduleId} deleted`);
      return ExitCode.Ok;
  }
}

if (require.main === module) exitWith(definition.name, () => main(process.argv.slice(2)));
