// npm run schedule-key-rotation -- --interval 1d --lead-days 14            create or update (idempotent)
// npm run schedule-key-rotation -- --describe | --pause | --unpause | --trigger-now | --delete
import { KEY_ROTATION_SCHEDULE_ID, rotateExpiringKeysKind, scheduledSweepId } from '../catalog';
import { sweepFlags, sweepInput } from '../catalog/rotate-expiring-keys';
import type { FlagSpecs, FlagValues } from './flags';
import { actionFlags, kindTarget, scheduleEntry, timingFlags, type ScheduleCommand } from './schedule';

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
  target: kindTarget<FlagValues<typeof scheduleFlags>>({
    kind: rotateExpiringKeysKind,
    defaultScheduleId: KEY_ROTATION_SCHEDULE_ID,
    inputFlags: sweepFlags,
    input: sweepInput,
    workflowId: scheduledSweepId,
  }),
  describeInput: (input) => ({ sweep: input }),
};

export const main = scheduleEntry(command, module);
