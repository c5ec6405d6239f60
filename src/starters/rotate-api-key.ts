// npm run rotate-api-key -- --owner-type service-account --owner-id sa-123 --grace 7d --wait
// npm run rotate-api-key -- --owner-type service-account --owner-id sa-123 --confirm-cutover
import { rotateApiKeyInput, type RotateApiKeyInput } from '../shared/validation';
import { accessWorkflowIds, workflowIdReusePolicies } from '../shared/workflow-ids';
import { rotateApiKey, rotateStatusQuery } from '../workflows';
import { REQUESTER_FLAG, requesterOf } from './approval';
import { DECISION_FLAGS, decisionRequest, signalRunning } from './signals';
import { defineStarter, exitWith, parseFlags, runStarter, type StarterIO } from './cli';

export const rotateApiKeyStarter = defineStarter({
  workflowIdReusePolicy: workflowIdReusePolicies.rotateApiKey,
  name: 'rotate-api-key',
  summary:
    'Replaces an API key: creates a new key for the same owner (token into the secret sink), keeps both for a ' +
    "grace period, then deletes the old one. Without --key-id the owner's newest active key is rotated. " +
    'One rotation per owner at a time: starting again while one runs attaches to it. --confirm-cutover ' +
    'and --abort signal the running rotation of the owner instead of starting one. A grace period under the ' +
    "approval policy's minimum (24h by default) waits for an approver before the old key is deleted: " +
    '--approve/--reject, sent by someone else.',
  examples: [
    'npm run rotate-api-key -- --owner-type service-account --owner-id sa-123 --wait',
    'npm run rotate-api-key -- --owner-type user --owner-id u-9 --key-id k-1 --grace 2d --expiry-days 30',
    'npm run rotate-api-key -- --owner-type service-account --owner-id sa-123 --abort="consumer not ready"',
    'npm run rotate-api-key -- --owner-type service-account --owner-id sa-123 --approve --approver alice',
  ],
  flags: {
    'owner-type': {
      type: 'string',
      field: 'ownerType',
      valueName: 'user|service-account',
      description: 'type of the key owner (required: the workflow id is the owner)',
    },
    'owner-id': {
      type: 'string',
      field: 'ownerId',
      valueName: 'ID',
      description: 'id of the key owner (required)',
    },
    'key-id': {
      type: 'string',
      field: 'keyId',
      valueName: 'KEY_ID',
      description: "the key to rotate (default: the owner's newest active key)",
    },
    'expiry-days': {
      type: 'number',
      field: 'expiryDays',
      valueName: 'DAYS',
      description: 'lifetime of the new key (default 90)',
    },
    grace: {
      type: 'string',
      field: 'gracePeriod',
      valueName: 'DURATION',
      description: 'how long both keys stay valid, e.g. 7d, 12h, 0 (default 7d)',
    },
    'keep-old-key': {
      type: 'boolean',
      field: 'deleteOldKey',
      description: 'do not delete the old key at the end',
    },
    'confirm-cutover': {
      type: 'boolean',
      description: 'signal the running rotation: consumers have switched, end the grace period',
    },
    abort: {
      type: 'optional-value',
      valueName: 'REASON',
      description: 'signal the running rotation: delete the new key, keep the old one',
    },
    ...DECISION_FLAGS,
    ...REQUESTER_FLAG,
  },
  workflow: rotateApiKey,
  statusQuery: rotateStatusQuery,
  schema: rotateApiKeyInput,
  buildInput(v, ctx): RotateApiKeyInput {
    ctx.conflicts('confirm-cutover', 'abort');
    ctx.conflicts('approve', 'reject');
    ctx.requires('approve', 'approver');
    if (!ctx.has('owner-id') || !ctx.has('owner-type')) {
      // The key's owner could be looked up, but the id must be known before starting, to keep one rotation per owner.
      ctx.problem(
        '',
        'give --owner-type and --owner-id (also with --key-id): one rotation per owner runs at a time',
      );
    }
    return {
      ...(v['key-id'] !== undefined ? { keyId: v['key-id'] } : {}),
      ...(v['owner-id'] !== undefined ? { ownerId: v['owner-id'] } : {}),
      ...(v['owner-type'] !== undefined ? { ownerType: v['owner-type'] as 'user' | 'service-account' } : {}),
      ...(v['expiry-days'] !== undefined ? { expiryDays: v['expiry-days'] } : {}),
      ...(v.grace !== undefined ? { gracePeriod: v.grace } : {}),
      ...(v['keep-old-key'] ? { deleteOldKey: false } : {}),
    };
  },
  workflowId: (input) => accessWorkflowIds.rotateApiKey(input.ownerType ?? '', input.ownerId ?? ''),
  workflowIdField: () => 'ownerId',
  summarize: (r) =>
    r.outcome === 'aborted'
      ? `rotation of ${r.oldKeyId} aborted: new key ${r.newKeyId} deleted, old key kept`
      : `API key ${r.oldKeyId} replaced by ${r.newKeyId} (token at ${r.secretRef})` +
        (r.oldKeyDeleted ? '; old key deleted' : '; old key kept'),
});

export async function main(argv: readonly string[], io?: StarterIO) {
  const abort = argv.some((a) => a === '--abort' || a.startsWith('--abort='));
  const signalling = abort || ['--approve', '--reject', '--confirm-cutover'].some((f) => argv.includes(f));
  if (!signalling) return runStarter(rotateApiKeyStarter, argv, io);
  const env = (io ?? process).env;
  const { values } = await parseFlags(rotateApiKeyStarter.flags, argv);
  if (values.approve || values.reject) {
    return signalRunning(rotateApiKeyStarter, argv, decisionRequest(values, env), io);
  }
  // Every decision names who takes it: the run checks it against its requester and approvers.
  const who = { by: requesterOf(values.approver, env) };
  if (values['confirm-cutover']) {
    return signalRunning(
      rotateApiKeyStarter,
      argv,
      { name: 'confirmCutover', args: [who], done: 'cutover confirmed' },
      io,
    );
  }
  const reason = typeof values.abort === 'string' ? { reason: values.abort } : {};
  return signalRunning(
    rotateApiKeyStarter,
    argv,
    { name: 'abort', args: [{ ...reason, ...who }], done: 'abort requested' },
    io,
  );
}

if (require.main === module) exitWith(rotateApiKeyStarter.name, () => main(process.argv.slice(2)));
