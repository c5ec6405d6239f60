// The approval policy: its defaults, its file format with every problem named, and its answer for each kind of
// request — which no field of the request can lower, and which only an explicit trusted source skips.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config';
import { approversFromEnv, loadApprovalPolicy } from '../../src/policy/load';
import {
  allowListed,
  defaultPolicy,
  describeKinds,
  requiredApproval,
  type ApprovalPolicy,
  type RequestSource,
} from '../../src/policy/policy';
import { requestFacts } from '../../src/catalog';
import { deciderRefusal } from '../../src/shared/approval';
import { createIntake } from '../../src/requests/intake';
import { silentLogger } from '../../src/logger';
import type { Client } from '@temporalio/client';

const TEAM = ['alice@example.com', 'bob@example.com'];

function answer(
  policy: ApprovalPolicy,
  workflowType: string,
  input: Record<string, unknown>,
  source: RequestSource = 'portal',
) {
  return requiredApproval(policy, requestFacts(policy, workflowType, input)!, { requestedBy: 'pat', source });
}

test('by default offboarding, decommission, short-grace key deletion, destructive applies and token-passing codecs wait', () => {
  const policy = defaultPolicy(TEAM);
  const required = (type: string, input: Record<string, unknown>) => answer(policy, type, input).required;
  expect(required('offboardUser', { email: 'jo@example.com' })).toBe(true);
  expect(required('offboardUser', { email: 'jo@example.com', dryRun: true })).toBe(false);
  expect(required('decommissionNamespace', { name: 'legacy' })).toBe(true);
  expect(required('rotateApiKey', { ownerType: 'user', ownerId: 'u1', gracePeriod: '0' })).toBe(true);
  expect(required('rotateApiKey', { ownerType: 'user', ownerId: 'u1', gracePeriod: '23h' })).toBe(true);
  expect(required('rotateApiKey', { ownerType: 'user', ownerId: 'u1', gracePeriod: '1d' })).toBe(false);
  expect(required('rotateApiKey', { ownerType: 'user', ownerId: 'u1' })).toBe(false); // 7d by default
  expect(required('rotateApiKey', { ownerId: 'u1', gracePeriod: '0', deleteOldKey: false })).toBe(false);
  expect(required('reconcile', { mode: 'apply', desired: { namespaces: [] } })).toBe(true);
  expect(required('reconcile', { mode: 'plan', desired: {} })).toBe(false);
  const codec = (passAccessToken: boolean) => ({
    name: 'ns',
    codecServer: { endpoint: 'https://codec.example.com', passAccessToken },
  });
  expect(required('provisionNamespace', codec(true))).toBe(true);
  expect(required('provisionNamespace', codec(false))).toBe(false);
  expect(required('provisionNamespace', { name: 'ns' })).toBe(false);

  const offboarding = answer(policy, 'offboardUser', { email: 'jo@example.com' });
  expect(offboarding).toEqual({
    requestedBy: 'pat',
    approvers: TEAM,
    required: true,
    reasons: ['offboarding a user needs an approval'],
  });
});

test('approvers per kind and per namespace pattern: every rule that applies must agree', () => {
  const policy = loadApprovalPolicy(
    {
      APPROVAL_POLICY: JSON.stringify({
        approvers: ['alice@example.com', 'bob@example.com', 'carol@example.com'],
        kinds: {
          offboarding: { approvers: ['HR-Lead@example.com'] },
          namespace: { approval: 'required' },
        },
        namespaces: [
          { pattern: 'prod-*', approvers: ['bob@example.com', 'carol@example.com'] },
          { pattern: '*', approvers: '*' },
        ],
      }),
    },
    '*',
  );
  expect(answer(policy, 'offboardUser', { email: 'x@example.com' }).approvers).toEqual([
    'hr-lead@example.com',
  ]);
  const prod = answer(policy, 'decommissionNamespace', { name: 'prod-payments' });
  expect(prod.approvers).toEqual(['bob@example.com', 'carol@example.com']);
  expect(answer(policy, 'decommissionNamespace', { name: 'dev-x' }).approvers).toEqual([
    'alice@example.com',
    'bob@example.com',
    'carol@example.com',
  ]);
  expect(answer(policy, 'provisionNamespace', { name: 'dev-x' }).required).toBe(true);
});

test('codec endpoints on the allow-list need no approval; a look-alike host or path does', () => {
  const policy = loadApprovalPolicy(
    { APPROVAL_POLICY: 'codecEndpoints: ["https://codec.example.com/team"]' },
    TEAM,
  );
  const needs = (endpoint: string) =>
    answer(policy, 'provisionNamespace', { name: 'ns', codecServer: { endpoint, passAccessToken: true } })
      .required;
  expect(needs('https://codec.example.com/team')).toBe(false);
  expect(needs('https://codec.example.com/team/v1')).toBe(false);
  expect(needs('https://codec.example.com/teammate')).toBe(true);
  expect(needs('https://codec.example.com.evil.example/team')).toBe(true);
  expect(allowListed(['https://a.example'], 'not a url')).toBe(false);
});

test('only a source the policy names as trusted skips approval, and the reason says so', () => {
  const trusting = loadApprovalPolicy({ APPROVAL_POLICY: '{"trustedSources": ["events"]}' }, TEAM);
  expect(answer(trusting, 'offboardUser', { email: 'x@example.com' }, 'events')).toMatchObject({
    required: false,
    reasons: ['events is a trusted source: no approval'],
  });
  expect(answer(trusting, 'offboardUser', { email: 'x@example.com' }, 'portal').required).toBe(true);
  expect(answer(defaultPolicy(TEAM), 'offboardUser', { email: 'x@example.com' }, 'events').required).toBe(
    true,
  );
});

test('a policy file with a problem is a configuration error naming the variable and the field', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'policy-'));
  try {
    const file = path.join(dir, 'policy.yaml');
    await writeFile(
      file,
      'kinds:\n  offboarding: { approval: sometimes }\nminGracePeriod: soon\ntrustedSources: [portal]\n',
    );
    const error = () => loadApprovalPolicy({ APPROVAL_POLICY_FILE: file }, TEAM);
    expect(error).toThrow(ConfigError);
    expect(error).toThrow(/APPROVAL_POLICY_FILE: .*kinds\.offboarding\.approval: must be required or none/);
    expect(error).toThrow(/minGracePeriod: must be a duration/);
    expect(error).toThrow(/trustedSources\.0: must be one of events/);
    expect(() => loadApprovalPolicy({ APPROVAL_POLICY_FILE: path.join(dir, 'none') }, TEAM)).toThrow(
      /cannot read/,
    );
    expect(() => loadApprovalPolicy({ APPROVAL_POLICY: '{"approverz": []}' }, TEAM)).toThrow(
      /unknown field\(s\): approverz/,
    );
    await writeFile(file, 'approvers: [lead@example.com]\n');
    expect(loadApprovalPolicy({ APPROVAL_POLICY_FILE: file }, TEAM).approvers).toEqual(['lead@example.com']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  expect(approversFromEnv({ PORTAL_APPROVERS: 'A@example.com, b@example.com' })).toEqual([
    'a@example.com',
    'b@example.com',
  ]);
  expect(approversFromEnv({})).toBeUndefined();
});

test("the intake puts the policy's answer into the run's input; a request cannot lower it", async () => {
  const started: unknown[] = [];
  const client = {
    workflow: {
      start: async (_type: string, options: { args: unknown[] }) => {
        started.push(options.args[0]);
        return { firstExecutionRunId: 'run-1' };
      },
    },
  } as unknown as Client;
  const intake = createIntake({
    client,
    taskQueue: 'q',
    logger: silentLogger,
    policy: defaultPolicy(TEAM),
    receipts: { claim: async () => ({ kind: 'claimed', runId: 'receipt' }), void: async () => undefined },
  });
  const pat = { source: 'portal' as const, requestedBy: 'pat@example.com' };
  const offboarding = { email: 'x@example.com', requireApproval: false };
  const ok = await intake.submit({ id: 'r1', type: 'user.offboarding.requested', data: offboarding }, pat);
  expect(ok).toMatchObject({ kind: 'started' });
  expect(started).toEqual([
    {
      ...offboarding,
      approval: {
        requestedBy: 'pat@example.com',
        approvers: TEAM,
        required: true,
        reasons: [expect.any(String)],
      },
    },
  ]);
  const lowered = await intake.submit(
    {
      id: 'r2',
      type: 'apikey.rotation.requested',
      data: { ownerType: 'user', ownerId: 'u1', gracePeriod: '0', approval: { required: false } },
    },
    pat,
  );
  expect(lowered).toEqual({
    kind: 'invalid',
    problems: [
      { field: 'approval', message: expect.stringMatching(/decided by the server's approval policy/) },
    ],
  });
  expect(started).toHaveLength(1);
});

test("temporary access waits for the approvers of its namespace's pattern, never for whom it is for", () => {
  const policy = loadApprovalPolicy(
    {
      APPROVAL_POLICY: JSON.stringify({
        accessApprovers: [
          { pattern: 'payments-*', approvers: ['Pay-Lead@example.com', 'cto@example.com'] },
          { pattern: '*', approvers: '*' },
        ],
        namespaces: [{ pattern: 'payments-prod', approvers: ['pay-lead@example.com'] }],
      }),
    },
    TEAM,
  );
  const access = (namespace: string, principal = 'Jo@Example.com') =>
    answer(policy, 'grantTemporaryAccess', {
      principal,
      namespace,
      permission: 'read',
      duration: '1h',
      reason: 'x',
    });
  expect(access('payments-dev')).toEqual({
    requestedBy: 'pat',
    approvers: ['pay-lead@example.com', 'cto@example.com'],
    required: true,
    reasons: ['temporary access to a namespace needs an approval'],
    beneficiaries: ['jo@example.com'],
  });
  // The namespace rules still apply: every rule must agree.
  expect(access('payments-prod').approvers).toEqual(['pay-lead@example.com']);
  expect(access('orders').approvers).toBe('*');
  expect(access('orders', 'ci-bot').beneficiaries).toBeUndefined();
  // Without a pattern, the kind's default: the policy's approvers, and an approval is needed.
  expect(
    answer(defaultPolicy(TEAM), 'grantTemporaryAccess', { principal: 'jo@example.com', namespace: 'x' }),
  ).toMatchObject({ approvers: TEAM, required: true });
  // Whom it is for may call it off, never approve it (as the requester).
  const approval = access('orders');
  expect(deciderRefusal(approval, 'jo@example.com')).toMatch(/who this request is for/);
  expect(deciderRefusal(approval, 'jo@example.com', true)).toBeUndefined();
  expect(deciderRefusal(approval, 'alice@example.com')).toBeUndefined();

  // The form says it before anything is sent.
  expect(describeKinds(policy, ['temporary-access'])).toEqual([
    'temporary access to a namespace needs an approval: for payments-*, one of pay-lead@example.com, ' +
      'cto@example.com (not you); for *, anyone signed in but you; otherwise one of alice@example.com, ' +
      'bob@example.com (not you) must approve it.',
  ]);
  const bad = () =>
    loadApprovalPolicy(
      { APPROVAL_POLICY: '{"accessApprovers": [{"pattern": "", "approvers": "alice"}]}' },
      TEAM,
    );
  expect(bad).toThrow(/accessApprovers\.0\.pattern: must not be empty/);
  expect(bad).toThrow(/accessApprovers\.0\.approvers: must be "\*" or a list of approvers/);
});
