// watchExpiry: the expiry watch a Temporal Schedule runs (`npm run schedule-expiry-watch`); listExpiring: the read
// behind `npm run expiring`.
import { DEFAULT_THRESHOLDS, listExpiringInput, watchExpiryInput } from '../shared/expiry';
import type { WatchExpiryInput } from '../shared/expiry';
import type { listExpiring } from '../workflows/list-expiring';
import type { WatchExpiryStatus, watchExpiry } from '../workflows/watch-expiry';
import type { FlagValues } from './flags';
import { sweepFlags } from './rotate-expiring-keys';
import { defineKind, workflowNamed } from './kind';

export const EXPIRY_WATCH_SCHEDULE_ID = 'expiry-watch';
/** A watch the schedule runs: `<schedule id>/watch` plus the scheduled time (the schedule appends it). */
export const scheduledWatchId = (scheduleId: string) => `${scheduleId}/watch`;
export const listExpiringId = () => 'list-expiring';

const STEPS: Record<WatchExpiryStatus['step'], string> = {
  validating: 'Check the settings',
  rotating: 'Rotate the service-account keys due',
  listing: 'List what expires inside the warning window',
  notifying: 'Report what crossed a threshold',
  completed: 'Completed',
  failed: 'Failed',
};

/** The watch's settings as flags (schedule-expiry-watch). */
export const watchFlags = {
  thresholds: {
    type: 'string',
    field: 'thresholds',
    valueName: 'DAYS,...',
    description: `report each item as it crosses these days before expiry (default ${DEFAULT_THRESHOLDS.join(',')})`,
  },
  'rotate-service-accounts': {
    type: 'string',
    field: 'rotateServiceAccounts',
    valueName: 'all|none|NAME,...',
    description: 'service accounts whose keys the watch rotates (default all); the rest is reported',
  },
  // The rotation's settings, as the key sweep has them.
  'lead-days': sweepFlags['lead-days'],
  'expiry-days': sweepFlags['expiry-days'],
  grace: sweepFlags.grace,
  concurrency: sweepFlags.concurrency,
} as const;

/** `30,14,7` → [30, 14, 7]; anything that is not a number stays as it is, for the schema to name. */
const list = (text: string) => text.split(',').map((s) => s.trim());
const numbers = (text: string) => list(text).map((s) => (/^\d+$/.test(s) ? Number(s) : s));

export function watchInput(v: FlagValues<typeof watchFlags>): WatchExpiryInput {
  const accounts = v['rotate-service-accounts'];
  return {
    ...(v.thresholds !== undefined ? { thresholds: numbers(v.thresholds) as number[] } : {}),
    ...(accounts !== undefined
      ? {
          rotateServiceAccounts:
            accounts === 'all' || accounts === 'none' ? accounts : list(accounts).filter(Boolean),
        }
      : {}),
    ...(v['lead-days'] !== undefined ? { leadDays: v['lead-days'] } : {}),
    ...(v['expiry-days'] !== undefined ? { expiryDays: v['expiry-days'] } : {}),
    ...(v.grace !== undefined ? { gracePeriod: v.grace } : {}),
    ...(v.concurrency !== undefined ? { concurrency: v.concurrency } : {}),
  };
}

export const watchExpiryKind = defineKind({
  workflow: workflowNamed<typeof watchExpiry>('watchExpiry'),
  title: 'Expiry watch',
  schema: watchExpiryInput,
  workflowId: () => scheduledWatchId(EXPIRY_WATCH_SCHEDULE_ID),
  // A run per schedule time; the schedule appends the time to the id.
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
});

export const listExpiringKind = defineKind({
  workflow: workflowNamed<typeof listExpiring>('listExpiring'),
  title: 'Expiring soon',
  schema: listExpiringInput,
  workflowId: () => listExpiringId(),
  // A read: each one reads anew, a running one is joined.
  reusePolicy: 'ALLOW_DUPLICATE',
  // No status query: it is one read.
  steps: {},
});
