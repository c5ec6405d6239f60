// npm run schedule-key-rotation -- --interval 1d --lead-days 14            create or update (idempotent)
// npm run schedule-key-rotation -- --describe | --pause | --unpause | --trigger-now | --delete
import { KEY_ROTATION_SCHEDULE_ID, rotateExpiringKeysKind, scheduledSweepId } from '../catalog';
import { sweepFlags, sweepInput } from '../catalog/rotate-expiring-keys';
import { validate } from '../shared/validation';
import { taskQueueOf } from './cli';
import { toFlagProblems, type FlagSpecs, type FlagValues } from './flags';
import { actionFlags, scheduleEntry, timingFlags, type ScheduleCommand } from './schedule';

export const scheduleFlags = {
  ...timingFlags({
    what: 'sweep',
    run: 'sweep',
    cronExample: '0 3 * * *',
    interval: { name: 'interval', description: 'or every DURATION, e.g. 12h (default 1d)' },
    defaultScheduleId: KEY_ROTATION_SCHEDULE_ID,
  }),
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
  kindLabel: 'key-rotation sweep',
  run: 'sweep',
  async target(values, { action, env, problems }) {
    const v = values as FlagValues<typeof scheduleFlags> & { 'task-queue'?: string };
    const scheduleId = v['schedule-id'] ?? KEY_ROTATION_SCHEDULE_ID;
    if (action) return { scheduleId };
    const input = sweepInput(v);
    const checked = validate(rotateExpiringKeysKind.schema!, input);
    if (!checked.ok) problems.push(...toFlagProblems(sweepFlags, checked.problems));
    return {
      scheduleId,
      workflow: {
        workflowType: rotateExpiringKeysKind.workflowType,
        workflowId: scheduledSweepId(scheduleId),
        taskQueue: taskQueueOf(v, env),
        input,
      },
    };
  },
  describeInput: (input) => ({ sweep: input }),
};

export const main = scheduleEntry(command, module);
