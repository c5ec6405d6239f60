// npm run schedule-key-rotation -- --interval 1d --lead-days 14            create or update (idempotent)
// npm run schedule-key-rotation -- --describe | --pause | --unpause | --trigger-now | --delete
import { rotateExpiringKeysInput, validate } from '../shared/validation';
import { DEFAULT_TASK_QUEUE, KEY_ROTATION_SCHEDULE_ID } from '../shared/workflow-ids';
import { ExitCode, flagForField, type FlagSpecs, type FlagValues, type StarterIO } from './cli';
import { sweepFlags, sweepInput } from './rotate-expiring-keys';
import {
  actionFlags,
  runScheduleCommand,
  runScheduleMain,
  timingFlags,
  type ScheduleCommand,
} from './schedule';

const {
  cron,
  overlap,
  'schedule-id': scheduleId,
} = timingFlags({
  what: 'sweep',
  run: 'sweep',
  cronExample: '0 3 * * *',
  defaultScheduleId: KEY_ROTATION_SCHEDULE_ID,
});

export const scheduleFlags = {
  cron,
  interval: {
    type: 'string',
    valueName: 'DURATION',
    description: 'or every DURATION, e.g. 12h (default 1d)',
  },
  overlap,
  'schedule-id': scheduleId,
  ...sweepFlags,
  ...actionFlags('sweep'),
} as const satisfies FlagSpecs;

const command: ScheduleCommand<typeof scheduleFlags> = {
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
  intervalFlag: 'interval',
  defaultIntervalMs: 86_400_000,
  workflowType: 'rotateExpiringKeys',
  kindLabel: 'key-rotation sweep',
  run: 'sweep',
  async target(values, { action, env, problems }) {
    const v = values as FlagValues<typeof scheduleFlags> & { 'task-queue'?: string };
    const id = v['schedule-id'] ?? KEY_ROTATION_SCHEDULE_ID;
    if (action) return { scheduleId: id };
    const input = sweepInput(v);
    const checked = validate(rotateExpiringKeysInput, input);
    if (!checked.ok) {
      for (const p of checked.problems) {
        const flag = flagForField(sweepFlags, p.field);
        problems.push(
          flag ? { flag, message: p.message } : { flag: '', message: `${p.field}: ${p.message}` },
        );
      }
    }
    return {
      scheduleId: id,
      workflow: {
        workflowType: 'rotateExpiringKeys',
        // The schedule appends the scheduled time, so each sweep has its own id.
        workflowId: `${id}/sweep`,
        taskQueue: v['task-queue'] ?? (env.TASK_QUEUE || DEFAULT_TASK_QUEUE),
        input,
      },
    };
  },
  describeInput: (input) => ({ sweep: input }),
};

export const main = (argv: readonly string[], io?: StarterIO): Promise<ExitCode> =>
  runScheduleCommand(command, argv, io);

if (require.main === module) runScheduleMain(command);
