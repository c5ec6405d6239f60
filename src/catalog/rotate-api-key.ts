// rotateApiKey: replace an API key, keeping both for a grace period. One rotation per owner at a time.
import { parseDurationMs, rotateApiKeyInput, type RotateApiKeyInput } from '../shared/validation';
import { rotateApiKeyWorkflowId } from '../shared/workflow-ids';
import type { RotateStep, rotateApiKey } from '../workflows/rotate-api-key';
import { CUTOVER_SIGNALS } from './flags';
import { checked, defined, fieldsIn, num, text, type FormFields } from './form';
import { defineKind, workflowNamed } from './kind';

/** The id is the owner's (workflow code computes it too, for the sweep's children: hence src/shared). */
export const rotateApiKeyId = rotateApiKeyWorkflowId;

const STEPS: Record<RotateStep, string> = {
  validating: 'Check the request',
  resolving: 'Find the key to rotate',
  'creating-new-key': 'Create the new key',
  'waiting-for-new-key': 'Wait until the new key is active',
  'awaiting-approval': 'Wait for approval to delete the old key',
  'grace-period': 'Grace period (both keys valid)',
  'deleting-old-key': 'Delete the old key',
  aborting: 'Abort: delete the new key',
  completed: 'Completed',
  aborted: 'Aborted',
  failed: 'Failed',
};

/** `user:<id>` or `service-account:<id>`: the form's one picker for both kinds of owner. */
export function ownerValue(ownerType: 'user' | 'service-account', id: string): string {
  return `${ownerType}:${id}`;
}

const form: FormFields = {
  defaults: { gracePeriod: '7d', expiryDays: '90', deleteOldKey: 'on' },
  toData(v) {
    const owner = text(v.owner);
    const at = owner ? owner.indexOf(':') : -1;
    return defined({
      ...(owner && at > 0 ? { ownerType: owner.slice(0, at), ownerId: owner.slice(at + 1) } : {}),
      gracePeriod: text(v.gracePeriod),
      expiryDays: num(v.expiryDays),
      deleteOldKey: checked(v.deleteOldKey),
    });
  },
  fieldOf: (f) =>
    f === 'ownerId' || f === 'ownerType' || f === '' ? 'owner' : fieldsIn(['gracePeriod', 'expiryDays'])(f),
};

export const rotateApiKeyKind = defineKind({
  workflow: workflowNamed<typeof rotateApiKey>('rotateApiKey'),
  title: 'API key rotation',
  schema: rotateApiKeyInput,
  workflowId: (input) => rotateApiKeyId(input.ownerType ?? '', input.ownerId ?? ''),
  keyField: () => 'ownerId',
  // One rotation per owner at a time, so the owner must be known before starting.
  keyProblem: (input) =>
    input.ownerId === undefined || input.ownerType === undefined
      ? { field: 'ownerId', message: 'is required with ownerType: rotations are keyed by their owner' }
      : undefined,
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  outcome: (r) =>
    r.outcome === 'aborted'
      ? { stoppedAfter: 'grace-period', label: 'Aborted: the old key stays' }
      : r.oldKeyDeleted === false
        ? { stoppedAfter: 'grace-period', label: 'Completed (old key kept)' }
        : { label: 'Completed' },
  approval: {
    kinds: ['rotation', 'key-deletion'],
    facts(policy, input) {
      const grace = parseDurationMs(input.gracePeriod ?? '7d') ?? 0;
      const short = input.deleteOldKey !== false && grace < parseDurationMs(policy.minGracePeriod)!;
      return { kinds: short ? ['rotation', 'key-deletion'] : ['rotation'], namespaces: [] };
    },
  },
  request: { type: 'apikey.rotation.requested' },
  form,
  starter: {
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
    },
    buildInput(v, ctx): RotateApiKeyInput {
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
        ...(v['owner-type'] !== undefined
          ? { ownerType: v['owner-type'] as 'user' | 'service-account' }
          : {}),
        ...(v['expiry-days'] !== undefined ? { expiryDays: v['expiry-days'] } : {}),
        ...(v.grace !== undefined ? { gracePeriod: v.grace } : {}),
        ...(v['keep-old-key'] ? { deleteOldKey: false } : {}),
      };
    },
    decisions: true,
    // Every decision names who takes it: the run checks it against its requester and approvers.
    signals: CUTOVER_SIGNALS,
    // A rotation's key is its owner, both parts: a bad --owner-type is named, not signalled to a run that is not.
    keyFields: ['ownerType', 'ownerId'],
    summarize: (r) =>
      r.outcome === 'aborted'
        ? `rotation of ${r.oldKeyId} aborted: new key ${r.newKeyId} deleted, old key kept`
        : `API key ${r.oldKeyId} replaced by ${r.newKeyId} (token at ${r.secretRef})` +
          (r.oldKeyDeleted ? '; old key deleted' : '; old key kept'),
  },
});
