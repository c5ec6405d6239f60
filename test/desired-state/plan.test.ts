// The desired-state file and the plan, without a server: every kind of bad file fails with its path (and
// line), the plan diffs field by field, prune decides what is deleted, export → plan is a no-op.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { exportDesiredState, exportYaml } from '../../src/desired-state/export';
import { formatPlan } from '../../src/desired-state/format';
import { parseDesiredState } from '../../src/desired-state/load';
import { computePlan, hasChanges, type AccountSnapshot } from '../../src/desired-state/plan';
import { desiredStateFileSchema } from '../../src/desired-state/schema';
import { problemsOf } from './support';

const NOW = Date.UTC(2026, 10, 28);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const FILE = `
namespaces:
  - name: payments-prod
    region: aws-us-east-1
    retentionDays: 30
  - name: orders
    region: aws-us-east-1
    retentionDays: 14
    codecServer: { endpoint: https://codec.example.com }
serviceAccounts:
  - name: payments-ci
    access: { payments-prod: write }
    apiKeys:
      - displayName: payments-ci-key
        expiryDays: 90
        rotateBeforeDays: 14
users:
  - email: jo@example.com
    role: developer
    access: { orders: read }
`;

describe('reading the file: every problem with its path in the file', () => {
  test.each([
    [
      'unknown field',
      'namespaces:\n  - name: a1\n    region: aws-us-east-1\n    retentionDays: 7\n    colour: blue\n',
      'namespaces[0].colour',
      /unknown field/,
      5,
    ],
    [
      'bad region',
      'namespaces:\n  - name: a1\n    region: mars\n    retentionDays: 7\n',
      'namespaces[0].region',
      /region id/,
      3,
    ],
    [
      'retention out of range',
      'namespaces:\n  - name: a1\n    region: aws-us-east-1\n    retentionDays: 91\n',
      'namespaces[0].retentionDays',
      /at most 90/,
      4,
    ],
    [
      'bad namespace name',
      'namespaces:\n  - name: A_1\n    region: aws-us-east-1\n    retentionDays: 7\n',
      'namespaces[0].name',
      /lowercase/,
      2,
    ],
    [
      'dangling reference',
      'serviceAccounts:\n  - name: ci\n    access: { orders: write }\n',
      'serviceAccounts[0].access.orders',
      /does not define/,
      3,
    ],
    [
      'duplicate name',
      'users:\n  - email: a@b.co\n  - email: A@b.co\n',
      'users[1]',
      /already defined at users\[0\]/,
      3,
    ],
    [
      'duplicate key name',
      'serviceAccounts:\n  - name: ci\n    apiKeys: [{ displayName: k }, { displayName: k }]\n',
      'serviceAccounts[0].apiKeys[1].displayName',
      /already defined/,
      3,
    ],
    [
      'rotation due at once',
      'serviceAccounts:\n  - name: ci\n    apiKeys: [{ displayName: k, expiryDays: 7, rotateBeforeDays: 7 }]\n',
      'serviceAccounts[0].apiKeys[0].rotateBeforeDays',
      /less than expiryDays/,
      3,
    ],
    ['bad email', 'users:\n  - email: nobody\n', 'users[0].email', /email address/, 2],
    ['bad role', 'users:\n  - email: a@b.co\n    role: god\n', 'users[0].role', /must be one of/, 3],
    ['not YAML', 'namespaces: [\n', '', /./, undefined],
  ])('%s', (_label, text, where, message, line) => {
    const problems = problemsOf(text);
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: where })]));
    const problem = problems.find((p) => p.path === where)!;
    expect(problem.message).toMatch(message);
    if (line) expect(problem.line).toBe(line);
  });

  test('all schema problems at once, and the message names the file', () => {
    const text = 'namespaces:\n  - name: a1\n    region: mars\n    retentionDays: 0\nusers:\n  - email: x\n';
    expect(problemsOf(text)).toHaveLength(3);
    expect(() => parseDesiredState(text, 'cloud-ops.yaml')).toThrow(
      /^cloud-ops\.yaml: 3 problems:\n {2}line 3: namespaces\[0\]\.region/,
    );
  });

  test('the committed JSON Schema is generated from the same zod schema', () => {
    const committed = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../desired-state.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(z.toJSONSchema(desiredStateFileSchema, { io: 'input' }));
  });

  test('the name defaults to the file name', () => {
    expect(parseDesiredState('namespaces: []', 'dir/cloud-ops.yaml').name).toBe('cloud-ops');
    expect(parseDesiredState('name: prod-account', 'x.yaml').name).toBe('prod-account');
  });
});

const empty: AccountSnapshot = {
  regions: ['aws-us-east-1', 'aws-eu-west-1'],
  namespaces: [],
  serviceAccounts: [],
  users: [],
  apiKeys: [],
};

function account(): AccountSnapshot {
  return {
    ...empty,
    namespaces: [
      {
        id: 'payments-prod.acct',
        name: 'payments-prod',
        region: 'aws-us-east-1',
        retentionDays: 30,
        apiKeyAuth: true,
        state: 'active',
      },
      {
        id: 'orders.acct',
        name: 'orders',
        region: 'aws-us-east-1',
        retentionDays: 7,
        apiKeyAuth: false,
        state: 'active',
      },
      {
        id: 'sandbox.acct',
        name: 'sandbox',
        region: 'aws-us-east-1',
        retentionDays: 1,
        apiKeyAuth: false,
        state: 'active',
      },
    ],
    serviceAccounts: [
      {
        id: 'sa1',
        name: 'payments-ci',
        state: 'active',
        access: { 'payments-prod.acct': 'write', 'sandbox.acct': 'read' },
      },
    ],
    users: [
      { id: 'u1', email: 'Jo@Example.com', state: 'active', role: 'developer', access: {} },
      { id: 'u2', email: 'bob@example.com', state: 'active', role: 'read', access: {} },
    ],
    apiKeys: [
      {
        id: 'k1',
        ownerId: 'sa1',
        displayName: 'payments-ci-key',
        expiryTime: iso(NOW + 5 * DAY),
        createdTime: iso(NOW - 85 * DAY),
        state: 'active',
      },
      {
        id: 'k2',
        ownerId: 'sa1',
        displayName: 'forgotten',
        expiryTime: iso(NOW + 50 * DAY),
        createdTime: iso(NOW - 40 * DAY),
        state: 'active',
      },
    ],
  };
}

describe('the plan', () => {
  const { state } = parseDesiredState(FILE, 'cloud-ops.yaml');
  const options = { now: NOW, canChangeAccess: true };

  test('an empty account: everything is created, in the file’s terms', () => {
    const plan = computePlan(state, empty, options);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'create namespace payments-prod',
      'create namespace orders',
      'create serviceAccount payments-ci',
      'create apiKey payments-ci/payments-ci-key',
      'create user jo@example.com',
    ]);
    // A key of the file reaches payments-prod: API-key auth is switched on there.
    expect(plan.changes[0]!.fields).toContainEqual({ field: 'apiKeyAuth', from: null, to: true });
    expect(plan.changes.some((c) => c.destructive)).toBe(false);
  });

  test('field by field, old → new; an expiring key is rotated; unmanaged resources are left alone', () => {
    const plan = computePlan(state, account(), options);
    const byName = Object.fromEntries(plan.changes.map((c) => [`${c.kind} ${c.name}`, c]));
    expect(byName['namespace orders']).toMatchObject({
      action: 'update',
      destructive: false,
      fields: [
        { field: 'retentionDays', from: 7, to: 14 },
        { field: 'codecServer', from: null, to: { endpoint: 'https://codec.example.com' } },
      ],
    });
    expect(byName['apiKey payments-ci/payments-ci-key']).toMatchObject({ action: 'rotate', targetId: 'k1' });
    expect(byName['user jo@example.com']).toMatchObject({
      action: 'update',
      fields: [{ field: 'access.orders', from: null, to: 'read' }],
      destructive: false,
    });
    // The account's access to sandbox is not the file's business (no prune.access): kept.
    expect(byName['serviceAccount payments-ci']).toBeUndefined();
    expect(plan.unmanaged).toEqual([
      { kind: 'namespace', name: 'sandbox' },
      { kind: 'apiKey', name: 'payments-ci/forgotten' },
      { kind: 'user', name: 'bob@example.com' },
    ]);
    expect(plan.changes.filter((c) => c.action === 'delete')).toEqual([]);
    expect(formatPlan(plan)).toMatch(/~ namespace orders\n {6}retentionDays: 7 → 14/);
  });

  test('prune owns what it names: deletes and access removal, all needing approval', () => {
    const pruned = {
      ...state,
      prune: { namespaces: ['sand*'], users: ['*@example.com'], apiKeys: true, access: ['payments-ci'] },
    };
    const plan = computePlan(pruned, account(), options);
    const destructive = plan.changes
      .filter((c) => c.destructive)
      .map((c) => `${c.action} ${c.kind} ${c.name}`);
    expect(destructive).toEqual([
      'delete namespace sandbox',
      'update serviceAccount payments-ci',
      'delete apiKey payments-ci/forgotten',
      'delete user bob@example.com',
    ]);
    expect(plan.changes.find((c) => c.kind === 'serviceAccount')!.fields).toEqual([
      { field: 'access.sandbox', from: 'read', to: null },
    ]);
    expect(plan.unmanaged).toEqual([]);
  });

  test('switching an authentication method off is destructive; a region move cannot be applied', () => {
    const text = FILE.replace('retentionDays: 30', 'retentionDays: 30\n    apiKeyAuth: false').replace(
      'name: orders\n    region: aws-us-east-1',
      'name: orders\n    region: aws-eu-west-1',
    );
    const plan = computePlan(parseDesiredState(text, 'f.yaml').state, account(), options);
    expect(plan.changes.find((c) => c.name === 'payments-prod')).toMatchObject({ destructive: true });
    expect(plan.changes.find((c) => c.name === 'orders')!.blocked).toMatch(/region cannot change/);
  });

  test('without an API to change access, such changes are reported as blocked, not planned as done', () => {
    const plan = computePlan(state, account(), { ...options, canChangeAccess: false });
    expect(plan.changes.find((c) => c.kind === 'user')!.blocked).toMatch(/OPS_API_DIALECT=cloud/);
  });

  test('a region the account does not offer is a problem of the plan', () => {
    const plan = computePlan(state, { ...empty, regions: ['aws-eu-west-1'] }, options);
    expect(plan.problems).toEqual([
      expect.stringMatching(/payments-prod: region "aws-us-east-1" is not one of aws-eu-west-1/),
      expect.stringMatching(/orders: region/),
    ]);
  });

  test('the fingerprint identifies the changes: same plan, same print; any change, another', () => {
    const a = computePlan(state, account(), options);
    expect(computePlan(state, account(), options).fingerprint).toBe(a.fingerprint);
    const changed = account();
    changed.namespaces[1]!.retentionDays = 8;
    expect(computePlan(state, changed, options).fingerprint).not.toBe(a.fingerprint);
  });

  test('export → plan prints no changes, and the export names no token', () => {
    const acct = account();
    const exported = exportDesiredState(acct, 'acct');
    const text = exportYaml(exported);
    expect(text).toMatch(/^# yaml-language-server: \$schema=/);
    expect(text).not.toMatch(/tmprl_/);
    expect(text).not.toMatch(/^\s*token:/m);
    const reread = parseDesiredState(text, 'export.yaml');
    const plan = computePlan(reread.state, acct, options);
    expect(plan.changes).toEqual([]);
    expect(plan.unmanaged).toEqual([]);
    expect(hasChanges(plan)).toBe(false);
  });
});

describe('namespace-scoped and account-wide service accounts', () => {
  const SCOPED = `
namespaces:
  - name: payments-prod
    region: aws-us-east-1
    retentionDays: 30
serviceAccounts:
  - name: payments-ci
    namespaceScoped: payments-prod
    access: { payments-prod: write }
  - name: deployer
    accountRole: developer
    access: { payments-prod: read }
`;
  const { state } = parseDesiredState(SCOPED, 'scoped.yaml');
  const real = { now: NOW, canChangeAccess: true, namespaceScopedAccounts: true };
  const snapshot = (): AccountSnapshot => ({
    ...empty,
    namespaces: [account().namespaces[0]!],
    serviceAccounts: [
      {
        id: 'sa1',
        name: 'payments-ci',
        state: 'active',
        access: { 'payments-prod.acct': 'write' },
        namespaceScoped: 'payments-prod.acct',
      },
      {
        id: 'sa2',
        name: 'deployer',
        state: 'active',
        access: { 'payments-prod.acct': 'read' },
        role: 'developer',
      },
    ],
  });

  test('a namespace-scoped account names its one namespace, and no role; every mistake with its path', () => {
    const bad = (sa: string) =>
      problemsOf(
        `namespaces:\n  - name: ns1\n    region: aws-us-east-1\n    retentionDays: 7\nserviceAccounts:\n${sa}`,
      ).map((p) => p.path);
    expect(bad('  - name: a\n    namespaceScoped: other\n    access: { other: read }\n')).toEqual([
      'serviceAccounts[0].access.other',
      'serviceAccounts[0].namespaceScoped',
    ]);
    expect(bad('  - name: a\n    namespaceScoped: ns1\n')).toEqual(['serviceAccounts[0].access']);
    expect(
      bad('  - name: a\n    namespaceScoped: ns1\n    accountRole: read\n    access: { ns1: read }\n'),
    ).toEqual(['serviceAccounts[0].accountRole']);
  });

  test('created as the file says; then nothing to do; export → plan is a no-op', () => {
    const fresh = computePlan(state, { ...empty, namespaces: [account().namespaces[0]!] }, real);
    expect(fresh.changes.filter((c) => c.kind === 'serviceAccount').map((c) => [c.name, c.fields])).toEqual([
      [
        'payments-ci',
        [
          { field: 'namespaceScoped', from: null, to: 'payments-prod' },
          { field: 'access.payments-prod', from: null, to: 'write' },
        ],
      ],
      [
        'deployer',
        [
          { field: 'accountRole', from: null, to: 'developer' },
          { field: 'access.payments-prod', from: null, to: 'read' },
        ],
      ],
    ]);
    expect(computePlan(state, snapshot(), real).changes).toEqual([]);
    const exported = exportDesiredState(snapshot());
    expect(exported.serviceAccounts).toEqual([
      {
        name: 'payments-ci',
        namespaceScoped: 'payments-prod',
        access: { 'payments-prod': 'write' },
        apiKeys: [],
      },
      { name: 'deployer', accountRole: 'developer', access: { 'payments-prod': 'read' }, apiKeys: [] },
    ]);
    const reread = parseDesiredState(exportYaml(exported), 'export.yaml').state;
    expect(computePlan(reread, snapshot(), real).changes).toEqual([]);
  });

  test('a permission or role changes in place; a scope cannot change (blocked); an API without such accounts is a problem', () => {
    const drifted = snapshot();
    drifted.serviceAccounts[0]!.access = { 'payments-prod.acct': 'read' };
    drifted.serviceAccounts[1] = { ...drifted.serviceAccounts[1]!, role: 'read', namespaceScoped: undefined };
    const plan = computePlan(state, drifted, real);
    expect(plan.changes.map((c) => [c.name, c.fields, c.destructive, c.blocked])).toEqual([
      ['payments-ci', [{ field: 'access.payments-prod', from: 'read', to: 'write' }], false, undefined],
      ['deployer', [{ field: 'accountRole', from: 'read', to: 'developer' }], true, undefined],
    ]);

    const widened = snapshot();
    widened.serviceAccounts[0] = { ...widened.serviceAccounts[0]!, namespaceScoped: undefined, role: 'read' };
    expect(computePlan(state, widened, real).changes).toEqual([
      expect.objectContaining({
        name: 'payments-ci',
        fields: [{ field: 'namespaceScoped', from: null, to: 'payments-prod' }],
        blocked: expect.stringMatching(/scope .* cannot change/),
      }),
    ]);

    const given = computePlan(state, snapshot(), { now: NOW, canChangeAccess: false });
    expect(given.problems).toEqual([
      expect.stringMatching(
        /service account payments-ci: namespaceScoped needs an Ops API with namespace-scoped/,
      ),
    ]);
  });
});
