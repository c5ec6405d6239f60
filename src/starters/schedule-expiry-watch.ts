// npm run schedule-expiry-watch -- --interval 1d --thresholds 30,14,7,1     create or update (idempotent)
// npm run schedule-expiry-watch -- --describe | --pause | --unpause | --trigger-now | --delete
import { EXPIRY_WATCH_SCHEDULE_ID, scheduledWatchId, watchExpiryKind } from '../catalog';
import { watchFlags, watchInput } from '../catalog/watch-expiry';
import type { FlagSpecs, FlagValues } from './flags';
import { actionFlags, kindTarget, scheduleEntry, timingFlags, type ScheduleCommand } from './schedule';

export const scheduleFlags = {
  ...timingFlags({
    what: 'watch',
    run: 'watch',
    cronExample: '0 6 * * *',
    interval: { name: 'interval', description: 'or every DURATION, e.g. 12h (default 1d)' },
    defaultScheduleId: EXPIRY_WATCH_SCHEDULE_ID,
  }),
  ...watchFlags,
  ...actionFlags('watch'),
} as const satisfies FlagSpecs;

const command: ScheduleCommand<typeof scheduleFlags> = {
  name: 'schedule-expiry-watch',
  summary:
    'Creates or updates the Temporal Schedule that runs the expiry watch (default: daily): it rotates the ' +
    'service-account keys it may and reports every other API key and accepted CA certificate once per threshold ' +
    'crossed, to the signed webhook (EXPIRY_WEBHOOK_URL on the worker), the portal and `npm run expiring`. ' +
    'Idempotent ("unchanged" when nothing differs). --trigger-now runs one watch that knows what the last one ' +
    'reported.',
  flags: scheduleFlags,
  examples: [
    'npm run schedule-expiry-watch -- --interval 1d',
    'npm run schedule-expiry-watch -- --cron "0 6 * * *" --thresholds 30,20,10 --rotate-service-accounts ci,deployer',
    'npm run schedule-expiry-watch -- --describe --json',
  ],
  intervalFlag: 'interval',
  defaultIntervalMs: 86_400_000,
  kindLabel: 'expiry watch',
  run: 'watch',
  target: kindTarget<FlagValues<typeof scheduleFlags>>({
    kind: watchExpiryKind,
    defaultScheduleId: EXPIRY_WATCH_SCHEDULE_ID,
    inputFlags: watchFlags,
    input: watchInput,
    workflowId: scheduledWatchId,
  }),
  describeInput: (input) => ({ watch: input }),
};

export const main = scheduleEntry(command, module);
