// reconcile: desired state as code, in plan mode (`npm run plan`, drift on a schedule) or apply mode (`npm run apply`).
// The file is validated where it is read (src/desired-state/load.ts) and again by the workflow.
import type { ReconcileStatus, reconcile } from '../workflows/reconcile';
import { defineKind, workflowNamed } from './kind';

/** One apply per desired state at a time; plans do not block it. */
export const reconcileId = (name: string) => `reconcile/${name}`;
export const reconcilePlanId = (name: string) => `reconcile-plan/${name}`;
/** The drift-detection schedule of a desired state; its runs are `<schedule id>/<mode>` plus the scheduled time. */
export const reconcileScheduleId = (name: string) => `reconcile-schedule/${name}`;
export const scheduledReconcileId = (scheduleId: string, mode: 'plan' | 'apply') => `${scheduleId}/${mode}`;

const STEPS: Record<ReconcileStatus['step'], string> = {
  validating: 'Check the desired state',
  planning: 'Plan against the account',
  'awaiting-approval': 'Wait for approval of the destructive changes',
  applying: 'Apply the plan',
  completed: 'Completed',
  rejected: 'Rejected',
  failed: 'Failed',
};

const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

export const reconcileKind = defineKind({
  workflow: workflowNamed<typeof reconcile>('reconcile'),
  title: 'Desired state',
  workflowId: (input) => (input.mode === 'plan' ? reconcilePlanId(input.name) : reconcileId(input.name)),
  // Reads and applies recur; an apply of a name runs one at a time (a running one is joined).
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  approval: {
    kinds: ['destructive-apply'],
    facts(_policy, input) {
      if (input.mode !== 'apply') return { kinds: [], namespaces: [] };
      const names = (obj(input.desired).namespaces as unknown[] | undefined) ?? [];
      return { kinds: ['destructive-apply'], namespaces: names.map((n) => String(obj(n).name)) };
    },
  },
});
