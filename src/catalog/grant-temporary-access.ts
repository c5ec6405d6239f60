// grantTemporaryAccess: a permission on one namespace for a while, approved by the namespace's approvers (never by
// whom it is for), taken back when its time is up; `extend` and `revoke now` while it lasts.
import { grantTemporaryAccessInput, type GrantTemporaryAccessInput } from '../shared/temporary-access';
import { grantTemporaryAccessWorkflowId } from '../shared/workflow-ids';
import type { AccessResult, AccessStatus, grantTemporaryAccess } from '../workflows/grant-temporary-access';
import { defined, fieldsIn, text, type FormFields } from './form';
import { defineKind, workflowNamed } from './kind';

export const grantTemporaryAccessId = grantTemporaryAccessWorkflowId;

const STEPS: Record<AccessStatus['step'], string> = {
  validating: 'Check the request',
  resolving: 'Find the principal and the namespace',
  'awaiting-approval': 'Wait for approval',
  granting: 'Grant the access',
  granted: 'Access granted until it ends',
  revoking: 'Take back what was granted',
  completed: 'Completed',
  failed: 'Failed',
};

const FORM_FIELDS = ['namespace', 'permission', 'duration', 'reason', 'approvalTimeout'];

/** The portal's form: access for the signed-in user (the page sets `principal`, never the post). */
const form: FormFields = {
  defaults: { permission: 'read', duration: '4h', approvalTimeout: '24h' },
  toData: (v) =>
    defined({
      principal: text(v.principal),
      namespace: text(v.namespace),
      permission: text(v.permission),
      duration: text(v.duration),
      reason: text(v.reason),
      approvalTimeout: text(v.approvalTimeout),
    }),
  fieldOf: fieldsIn(FORM_FIELDS),
};

/** How the end went, in words. */
function endLabel(r: AccessResult): string {
  const changed = r.changed;
  switch (r.undo) {
    case 'removed':
      return 'Ended: the access was removed';
    case 'restored':
      return `Ended: ${changed?.from} restored`;
    case 'already-as-found':
      return 'Ended: someone had already undone it';
    case 'left-as-is':
      return `Ended: left as is (someone changed it to ${r.foundAtEnd ?? 'none'} meanwhile)`;
    case 'principal-gone':
      return `Ended: ${r.access.principal} no longer exists`;
    default:
      return 'Ended';
  }
}

export const grantTemporaryAccessKind = defineKind({
  workflow: workflowNamed<typeof grantTemporaryAccess>('grantTemporaryAccess'),
  title: 'Temporary access',
  schema: grantTemporaryAccessInput,
  workflowId: (input) => grantTemporaryAccessId(input.namespace, input.principal),
  keyField: () => 'principal',
  // A new request once the last one has ended.
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  outcome(r) {
    const by = r.approval?.by;
    if (r.outcome === 'rejected')
      return {
        stoppedAfter: 'awaiting-approval',
        label: `Rejected${by ? ` by ${by}` : ''}: nothing changed`,
      };
    if (r.outcome === 'approval-timed-out')
      return { stoppedAfter: 'awaiting-approval', label: 'No decision in time: nothing changed' };
    if (r.outcome === 'withdrawn')
      return { stoppedAfter: 'awaiting-approval', label: 'Called off: nothing changed' };
    if (r.outcome === 'already-had')
      return { stoppedAfter: 'granting', label: `Had ${r.found} already: nothing changed` };
    return { label: endLabel(r) };
  },
  approval: {
    kinds: ['temporary-access'],
    facts: (_policy, input) => ({
      kinds: ['temporary-access'],
      namespaces: [input.namespace],
      ...(input.principal.includes('@') ? { beneficiaries: [input.principal.trim().toLowerCase()] } : {}),
    }),
  },
  request: { type: 'access.requested' },
  form,
  starter: {
    name: 'grant-temporary-access',
    summary:
      'Gives a user (by email) or a service account (by name) a permission on one namespace for a while, once ' +
      "someone other than the requester and the user approves it (the namespace's approvers, by the approval " +
      'policy), and takes back exactly what it changed when the time is up. While it lasts, --extend (approved ' +
      'again) and --revoke-now, sent with the same --principal and --namespace.',
    examples: [
      'npm run grant-temporary-access -- --principal jo@example.com --namespace payments-prod --permission write \\\n' +
        '    --duration 4h --reason "incident 4711"',
      'npm run grant-temporary-access -- --principal jo@example.com --namespace payments-prod --approve --approver alice',
      'npm run grant-temporary-access -- --principal jo@example.com --namespace payments-prod --extend 2h --reason "still on it"',
      'npm run grant-temporary-access -- --principal jo@example.com --namespace payments-prod --revoke-now',
    ],
    flags: {
      principal: {
        type: 'string',
        field: 'principal',
        valueName: 'EMAIL|NAME',
        description: "whom the access is for: a user's email or a service account's name (required)",
      },
      namespace: {
        type: 'string',
        field: 'namespace',
        valueName: 'NAME',
        description: 'the namespace (required)',
      },
      permission: {
        type: 'string',
        field: 'permission',
        valueName: 'PERMISSION',
        description: 'read, write or admin (required)',
      },
      duration: {
        type: 'string',
        field: 'duration',
        valueName: 'DURATION',
        description: 'how long, 15m to 30d, e.g. 4h (required)',
      },
      reason: {
        type: 'string',
        field: 'reason',
        valueName: 'TEXT',
        description: 'why the access is needed (required); with --approve/--reject/--extend, their comment',
      },
      'approval-timeout': {
        type: 'string',
        field: 'approvalTimeout',
        valueName: 'DURATION',
        description: 'give up (changing nothing) after this long without a decision (default 24h)',
      },
      extend: {
        type: 'string',
        valueName: 'DURATION',
        description: 'ask to extend the running access by this much (needs an approval again)',
      },
      'revoke-now': { type: 'boolean', description: 'end the access now (or call the request off)' },
    },
    keyFields: ['principal', 'namespace'],
    buildInput: (v): GrantTemporaryAccessInput => ({
      // Missing ones are reported by the schema as "is required".
      principal: v.principal as string,
      namespace: v.namespace as string,
      permission: v.permission as GrantTemporaryAccessInput['permission'],
      duration: v.duration as string,
      reason: v.reason as string,
      ...(v['approval-timeout'] !== undefined ? { approvalTimeout: v['approval-timeout'] } : {}),
    }),
    decisions: true,
    signals: {
      extend: {
        signal: 'extend',
        done: 'extension asked for',
        atStep: 'granted',
        arg: (v, by) => ({
          by: (v['requested-by'] as string | undefined) ?? by,
          duration: v.extend,
          ...(v.reason ? { reason: v.reason } : {}),
        }),
      },
      'revoke-now': {
        signal: 'revokeNow',
        done: 'revocation asked for',
        arg: (v, by) => ({
          by: (v['requested-by'] as string | undefined) ?? by,
          ...(v.reason ? { reason: v.reason } : {}),
        }),
      },
    },
    summarize: (r) => {
      const what = `${r.access.permission} on ${r.access.namespace} for ${r.access.principal}`;
      if (r.outcome === 'ended') return `${what}: ${endLabel(r).toLowerCase()}`;
      if (r.outcome === 'already-had') return `${what}: had ${r.found} already; nothing changed`;
      return `${what}: ${r.outcome}${r.approval ? ` by ${r.approval.by}` : ''}; nothing changed`;
    },
  },
});
