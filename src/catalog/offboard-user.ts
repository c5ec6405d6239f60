// offboardUser: delete a user's API keys, take them out of their groups, then delete the user, after an approval where the policy asks for one.
import { offboardUserInput, type OffboardUserInput } from '../shared/validation';
import type { OffboardStatus, offboardUser } from '../workflows/offboard-user';
import { checked, defined, fieldsIn, text, type FormFields } from './form';
import { defineKind, workflowNamed } from './kind';

/** By email (lower-cased) or id: the same person is one offboarding however they are named. */
export const offboardUserId = (emailOrId: string) =>
  `offboard-user/${emailOrId.includes('@') ? emailOrId.trim().toLowerCase() : emailOrId.trim()}`;

const STEPS: Record<OffboardStatus['step'], string> = {
  validating: 'Check the request',
  resolving: 'Find the user',
  planning: 'List what will be removed',
  'awaiting-approval': 'Wait for approval',
  'deleting-api-keys': "Delete the user's API keys, end their temporary access",
  'leaving-groups': 'Remove the user from their groups',
  'deleting-user': 'Delete the user',
  completed: 'Completed',
  failed: 'Failed',
};

const form: FormFields = {
  // Whether it waits for an approver is the policy's, not the form's.
  defaults: { approvalTimeout: '24h', deleteUser: 'on' },
  toData(v) {
    return defined({
      email: text(v.email),
      approvalTimeout: text(v.approvalTimeout),
      dryRun: checked(v.dryRun),
      deleteUser: checked(v.deleteUser),
    });
  },
  fieldOf: (f) => (f === '' || f === 'userId' ? 'email' : fieldsIn(['email', 'approvalTimeout'])(f)),
};

export const offboardUserKind = defineKind({
  workflow: workflowNamed<typeof offboardUser>('offboardUser'),
  title: 'Offboarding',
  schema: offboardUserInput,
  workflowId: (input) => offboardUserId(input.email ?? input.userId ?? ''),
  keyField: (input) => (input.email !== undefined ? 'email' : 'userId'),
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  outcome(r) {
    const by = r.approval?.by;
    if (r.outcome === 'dry-run') return { stoppedAfter: 'planning', label: 'Dry run: nothing changed' };
    if (r.outcome === 'rejected')
      return { stoppedAfter: 'awaiting-approval', label: `Rejected${by ? ` by ${by}` : ''}` };
    if (r.outcome === 'approval-timed-out')
      return { stoppedAfter: 'awaiting-approval', label: 'No decision in time: nothing changed' };
    return { label: 'Completed' };
  },
  approval: {
    kinds: ['offboarding'],
    // A dry run changes nothing: there is nothing to approve.
    facts: (_policy, input) => ({ kinds: input.dryRun === true ? [] : ['offboarding'], namespaces: [] }),
  },
  request: { type: 'user.offboarding.requested' },
  form,
  starter: {
    name: 'offboard-user',
    summary:
      "Removes a user's access: deletes the API keys they own, then the user (or only the keys with " +
      '--keep-user). --dry-run reports the plan and changes nothing. It waits for an approver when the approval ' +
      'policy says so (by default; --require-approval asks for one anyway): --approve/--reject, sent by someone ' +
      'else running this command again with the same --email/--user-id.',
    examples: [
      'npm run offboard-user -- --email jo@example.com --dry-run --wait',
      'npm run offboard-user -- --email jo@example.com --require-approval --approval-timeout 2d',
      'npm run offboard-user -- --email jo@example.com --approve --approver alice --wait',
    ],
    flags: {
      email: {
        type: 'string',
        field: 'email',
        valueName: 'EMAIL',
        description: 'the user to offboard, by email',
      },
      'user-id': { type: 'string', field: 'userId', valueName: 'ID', description: '... or by user id' },
      'dry-run': { type: 'boolean', field: 'dryRun', description: 'report the plan, change nothing' },
      'require-approval': {
        type: 'boolean',
        field: 'requireApproval',
        description: 'wait for --approve even where the policy would not',
      },
      'approval-timeout': {
        type: 'string',
        field: 'approvalTimeout',
        valueName: 'DURATION',
        description: 'give up (changing nothing) after this long, e.g. 24h (default 24h)',
      },
      'keep-user': {
        type: 'boolean',
        field: 'deleteUser',
        description: 'only revoke the API keys; keep the user',
      },
      concurrency: {
        type: 'number',
        field: 'concurrency',
        valueName: 'N',
        description: 'key deletions at once (default 10)',
      },
    },
    buildInput(v, ctx): OffboardUserInput {
      ctx.conflicts('email', 'user-id');
      if (!ctx.has('email') && !ctx.has('user-id')) ctx.problem('', 'give --email or --user-id');
      return {
        ...(v.email !== undefined ? { email: v.email } : {}),
        ...(v['user-id'] !== undefined ? { userId: v['user-id'] } : {}),
        ...(v['dry-run'] ? { dryRun: true } : {}),
        ...(v['require-approval'] ? { requireApproval: true } : {}),
        ...(v['approval-timeout'] !== undefined ? { approvalTimeout: v['approval-timeout'] } : {}),
        ...(v['keep-user'] ? { deleteUser: false } : {}),
        ...(v.concurrency !== undefined ? { concurrency: v.concurrency } : {}),
      };
    },
    decisions: true,
    summarize: (r) => {
      const who = `${r.plan.user.email} (${r.plan.user.id})`;
      const keys = r.plan.apiKeys.length;
      const disabled = r.plan.apiKeys.filter((k) => k.disabled).length;
      if (r.outcome === 'dry-run')
        return (
          `dry run for ${who}: would delete ${keys} API key${keys === 1 ? '' : 's'}` +
          (disabled ? ` (${disabled} of them disabled already)` : '') +
          (r.plan.deleteUser ? ' and the user' : '')
        );
      if (r.outcome === 'rejected')
        return `offboarding of ${who} rejected by ${r.approval?.by}; nothing changed`;
      if (r.outcome === 'approval-timed-out')
        return `no approval for offboarding ${who} in time; nothing changed`;
      const ended = r.temporaryAccess.length;
      return (
        `offboarded ${who}: removed ${r.removed.length}, skipped ${r.skipped.length}` +
        (ended ? `; ended temporary access to ${r.temporaryAccess.map((a) => a.namespace).join(', ')}` : '')
      );
    },
  },
});
