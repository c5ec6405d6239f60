// npm run offboard-user -- --email jo@example.com --dry-run --wait
// npm run offboard-user -- --email jo@example.com --require-approval
// npm run offboard-user -- --email jo@example.com --approve --approver alice
import { offboardUserInput, type OffboardUserInput } from '../shared/validation';
import { accessWorkflowIds, workflowIdReusePolicies } from '../shared/workflow-ids';
import { offboardStatusQuery, offboardUser } from '../workflows';
import { REQUESTER_FLAG } from './approval';
import { DECISION_FLAGS, decisionRequest, signalRunning } from './signals';
import { defineStarter, exitWith, runStarter, parseFlags, type StarterIO } from './cli';

export const offboardUserStarter = defineStarter({
  workflowIdReusePolicy: workflowIdReusePolicies.offboardUser,
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
    ...DECISION_FLAGS,
    ...REQUESTER_FLAG,
  },
  workflow: offboardUser,
  statusQuery: offboardStatusQuery,
  schema: offboardUserInput,
  buildInput(v, ctx): OffboardUserInput {
    ctx.conflicts('approve', 'reject');
    ctx.conflicts('email', 'user-id');
    ctx.requires('approve', 'approver');
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
  workflowId: (input) => accessWorkflowIds.offboardUser(input.email ?? input.userId ?? ''),
  workflowIdField: (input) => (input.email !== undefined ? 'email' : 'userId'),
  summarize: (r) => {
    const who = `${r.plan.user.email} (${r.plan.user.id})`;
    if (r.outcome === 'dry-run')
      return `dry run for ${who}: would delete ${r.plan.apiKeys.length} API key${r.plan.apiKeys.length === 1 ? '' : 's'}${r.plan.deleteUser ? ' and the user' : ''}`;
    if (r.outcome === 'rejected')
      return `offboarding of ${who} rejected by ${r.approval?.by}; nothing changed`;
    if (r.outcome === 'approval-timed-out')
      return `no approval for offboarding ${who} in time; nothing changed`;
    return `offboarded ${who}: removed ${r.removed.length}, skipped ${r.skipped.length}`;
  },
});

export async function main(argv: readonly string[], io?: StarterIO) {
  if (argv.includes('--approve') || argv.includes('--reject')) {
    const { values } = await parseFlags(offboardUserStarter.flags, argv);
    return signalRunning(offboardUserStarter, argv, decisionRequest(values, (io ?? process).env), io);
  }
  return runStarter(offboardUserStarter, argv, io);
}

if (require.main === module) exitWith(offboardUserStarter.name, () => main(process.argv.slice(2)));
