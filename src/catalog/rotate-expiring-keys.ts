// rotateExpiringKeys: the sweep that rotates every key due, each as a rotateApiKey child; run by hand or on a schedule.
import { rotateExpiringKeysInput, type RotateExpiringKeysInput } from '../shared/validation';
import type { SweepStatus, rotateExpiringKeys } from '../workflows/rotate-expiring-keys';
import type { FlagValues } from './flags';
import { defineKind, workflowNamed } from './kind';

/** A sweep started by hand; scheduled ones are `<schedule id>/sweep` plus the scheduled time. */
export const rotateExpiringKeysId = () => 'rotate-expiring-keys';
export const KEY_ROTATION_SCHEDULE_ID = 'rotate-expiring-keys';
export const scheduledSweepId = (scheduleId: string) => `${scheduleId}/sweep`;

const STEPS: Record<SweepStatus['step'], string> = {
  validating: 'Check the request',
  selecting: 'Select keys due for rotation',
  rotating: 'Rotate the selected keys',
  completed: 'Completed',
  failed: 'Failed',
};

/** The sweep's flags; schedule-key-rotation has them too, for the sweep its schedule runs. */
export const sweepFlags = {
  'lead-days': {
    type: 'number',
    field: 'leadDays',
    valueName: 'DAYS',
    description: 'rotate keys expiring within DAYS (default 14)',
  },
  'max-age-days': {
    type: 'number',
    field: 'maxAgeDays',
    valueName: 'DAYS',
    description: 'also rotate keys older than DAYS',
  },
  'owner-type': {
    type: 'string',
    field: 'ownerType',
    valueName: 'user|service-account',
    description: 'only keys of this owner type',
  },
  'expiry-days': {
    type: 'number',
    field: 'expiryDays',
    valueName: 'DAYS',
    description: 'lifetime of each new key (default 90)',
  },
  grace: {
    type: 'string',
    field: 'gracePeriod',
    valueName: 'DURATION',
    description: 'grace period of each rotation, e.g. 1h (default 0)',
  },
  concurrency: {
    type: 'number',
    field: 'concurrency',
    valueName: 'N',
    description: 'rotations at once (default 5)',
  },
  'dry-run': { type: 'boolean', field: 'dryRun', description: 'only report what would be rotated' },
  'page-size': { type: 'number', field: 'pageSize', hidden: true, description: '' },
  'batch-size': { type: 'number', field: 'batchSize', hidden: true, description: '' },
  'batches-per-run': { type: 'number', field: 'batchesPerRun', hidden: true, description: '' },
} as const;

export function sweepInput(v: FlagValues<typeof sweepFlags>): RotateExpiringKeysInput {
  const number = (flag: keyof typeof sweepFlags, field: keyof RotateExpiringKeysInput) =>
    v[flag] !== undefined ? { [field]: v[flag] } : {};
  return {
    ...number('lead-days', 'leadDays'),
    ...number('max-age-days', 'maxAgeDays'),
    ...number('expiry-days', 'expiryDays'),
    ...number('concurrency', 'concurrency'),
    ...number('page-size', 'pageSize'),
    ...number('batch-size', 'batchSize'),
    ...number('batches-per-run', 'batchesPerRun'),
    ...(v['owner-type'] !== undefined ? { ownerType: v['owner-type'] as 'user' | 'service-account' } : {}),
    ...(v.grace !== undefined ? { gracePeriod: v.grace } : {}),
    ...(v['dry-run'] ? { dryRun: true } : {}),
  };
}

export const rotateExpiringKeysKind = defineKind({
  workflow: workflowNamed<typeof rotateExpiringKeys>('rotateExpiringKeys'),
  title: 'Key rotation sweep',
  schema: rotateExpiringKeysInput,
  workflowId: () => rotateExpiringKeysId(),
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  starter: {
    name: 'rotate-expiring-keys',
    summary:
      'Sweeps all API keys and rotates those expiring soon (or older than --max-age-days), each as its own ' +
      'rotate-api-key workflow, with bounded concurrency. Failed rotations are reported; the rest go on. ' +
      'Starting again while a sweep runs attaches to it.',
    examples: [
      'npm run rotate-expiring-keys -- --lead-days 14 --wait',
      'npm run rotate-expiring-keys -- --dry-run --wait --json',
    ],
    flags: sweepFlags,
    buildInput: (v) => sweepInput(v),
    summarize: (r) =>
      r.dryRun
        ? `dry run: ${r.selected} of ${r.scanned} keys would be rotated`
        : `${r.rotated} rotated, ${r.failed} failed, ${Object.values(r.skipped).reduce((a, b) => a + b, 0)} skipped, ${r.notDue} not due (${r.scanned} scanned)`,
  },
});
