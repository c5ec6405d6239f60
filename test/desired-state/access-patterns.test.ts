// Access by pattern, without a server: how a file's patterns are checked (problems name the field), expanded over
// the account's namespaces (a name beats a pattern, the strongest pattern wins), planned one grant at a time with the
// pattern it came from, owned by prune.access as the expansion, and noted when they match nothing yet.
import { formatPlan } from '../../src/desired-state/format';
import { parseDesiredState } from '../../src/desired-state/load';
import { computePlan, hasChanges, type AccountSnapshot } from '../../src/desired-state/plan';
import { accessReaches, expandAccess } from '../../src/desired-state/access-patterns';
import { problemsOf } from './support';

const options = { now: Date.UTC(2026, 10, 28), canChangeAccess: true };
const ns = (name: string): AccountSnapshot['namespaces'][number] => ({
  id: `${name}.acct`,
  name,
  region: 'aws-us-east-1',
  retentionDays: 7,
  apiKeyAuth: true,
  state: 'active',
});

/** An account with payments-prod, payments-eu and orders, and the principals given. */
function account(
  principals: Partial<Pick<AccountSnapshot, 'users' | 'serviceAccounts'>> = {},
): AccountSnapshot {
  return {
    regions: ['aws-us-east-1'],
    namespaces: ['payments-prod', 'payments-eu', 'orders'].map(ns),
    serviceAccounts: principals.serviceAccounts ?? [],
    users: principals.users ?? [],
    apiKeys: [],
  };
}
const user = (access: Record<string, 'read' | 'write' | 'admin'>) => ({
  id: 'u1',
  email: 'ana@example.com',
  state: 'active',
  role: 'read',
  access: Object.fromEntries(Object.entries(access).map(([name, p]) => [`${name}.acct`, p])),
});

const stateOf = (text: string) => parseDesiredState(text, 'cloud-ops.yaml').state;
/** A file whose only user, ana, has `access` (a YAML flow map), followed by `extra` (more sections). */
const withAccess = (access: string, extra = '') =>
  stateOf(`users:\n  - email: ana@example.com\n    access: ${access}\n${extra}`);

describe('checking the file', () => {
  test('a bad pattern is refused naming the field, with its line; a pattern needs no namespace of the file', () => {
    const text = [
      'users:',
      '  - email: a@example.com',
      '  - email: b@example.com',
      '  - email: c@example.com',
      "    access: { 'Payments-*': read, 'ok-*': read }",
      'serviceAccounts:',
      '  - name: ci',
      "    access: { 'pay ments*': write, '*': sudo }",
    ].join('\n');
    // In the schema's order (service accounts, then users), each naming its field and line.
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({ path: 'serviceAccounts[0].access.pay ments*', line: 8 }),
      { path: 'serviceAccounts[0].access.*', line: 8, message: 'must be one of admin, write, read' },
      {
        path: 'users[2].access.Payments-*',
        line: 5,
        message: expect.stringMatching(/namespace name .* or a pattern of those characters and \*/),
      },
    ]);
    // No namespace in the file at all: a pattern is not a reference that must resolve.
    expect(withAccess("{ 'payments-*': read, '*': read }").users[0]!.access).toEqual({
      'payments-*': 'read',
      '*': 'read',
    });
    // A name without * still names a namespace of this file.
    expect(problemsOf('users:\n  - email: a@example.com\n    access: { payments-prod: read }\n')).toEqual([
      expect.objectContaining({
        path: 'users[0].access.payments-prod',
        message: expect.stringMatching(/does not define/),
      }),
    ]);
  });

  test('a namespace-scoped account reaches its one namespace by name, never by pattern', () => {
    const text =
      'namespaces:\n  - { name: payments-prod, region: aws-us-east-1, retentionDays: 7 }\n' +
      "serviceAccounts:\n  - name: ci\n    namespaceScoped: payments-prod\n    access: { 'payments-*': read }\n";
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({ path: 'serviceAccounts[0].access', message: expect.stringMatching(/alone/) }),
    ]);
  });
});

describe('expansion', () => {
  const names = ['payments-prod', 'payments-eu', 'orders'];

  test('a name beats every pattern; of two patterns the strongest wins, whatever their order', () => {
    const expected = new Map([
      ['payments-prod', { permission: 'read' }],
      ['payments-eu', { permission: 'write', pattern: 'payments-*' }],
      ['orders', { permission: 'read', pattern: '*' }],
    ]);
    expect(expandAccess({ '*': 'read', 'payments-*': 'write', 'payments-prod': 'read' }, names)).toEqual(
      expected,
    );
    expect(expandAccess({ 'payments-prod': 'read', 'payments-*': 'write', '*': 'read' }, names)).toEqual(
      expected,
    );
    // Equals: the first in the file names where it came from.
    expect(expandAccess({ '*-eu': 'admin', 'pay*': 'admin' }, names).get('payments-eu')).toEqual({
      permission: 'admin',
      pattern: '*-eu',
    });
  });

  test('whether a file reaches a namespace, by name or by pattern (what provisioning asks of a new one)', () => {
    const principals: Array<{ access?: Record<string, 'read' | 'write' | 'admin'> }> = [
      { access: { orders: 'read' } },
      { access: { 'payments-*': 'write' } },
    ];
    expect(accessReaches(principals, 'payments-us')).toBe(true);
    expect(accessReaches(principals, 'orders')).toBe(true);
    expect(accessReaches(principals, 'billing')).toBe(false);
    expect(accessReaches([{}], 'orders')).toBe(false);
  });
});

describe('the plan', () => {
  test('a new principal gets every matching namespace, each grant saying which pattern it came from', () => {
    const plan = computePlan(withAccess("{ 'payments-*': read }"), account(), options);
    expect(plan.changes).toEqual([
      expect.objectContaining({
        kind: 'user',
        action: 'create',
        fields: [
          { field: 'role', from: null, to: 'read' },
          { field: 'access.payments-prod', from: null, to: 'read', pattern: 'payments-*' },
          { field: 'access.payments-eu', from: null, to: 'read', pattern: 'payments-*' },
        ],
      }),
    ]);
    expect(formatPlan(plan)).toContain('access.payments-eu: read  (from payments-*)');
  });

  test('access as expanded: no changes; a namespace made since is one grant, the others untouched', () => {
    const file = withAccess(
      "{ 'payments-*': read, orders: write }",
      'namespaces:\n  - { name: orders, region: aws-us-east-1, retentionDays: 7 }\n',
    );
    const now = account({
      users: [user({ 'payments-prod': 'read', 'payments-eu': 'read', orders: 'write' })],
    });
    const same = computePlan(file, now, options);
    expect(same.changes).toEqual([]);
    expect(hasChanges(same)).toBe(false);
    expect(formatPlan(same)).toMatch(/No changes/);

    const grown = { ...now, namespaces: [...now.namespaces, ns('payments-us')] };
    const plan = computePlan(file, grown, options);
    expect(plan.changes).toEqual([
      {
        kind: 'user',
        name: 'ana@example.com',
        action: 'update',
        targetId: 'u1',
        destructive: false,
        fields: [{ field: 'access.payments-us', from: null, to: 'read', pattern: 'payments-*' }],
      },
    ]);
    expect(formatPlan(plan)).toContain('access.payments-us: none → read  (from payments-*)');
    // Where the API cannot change an existing principal's access, the plan says so rather than pretend.
    const blocked = computePlan(file, grown, { ...options, canChangeAccess: false });
    expect(blocked.changes[0]!.blocked).toMatch(/no operation to change an existing principal/);
    expect(hasChanges(blocked)).toBe(false);
  });

  test('a stronger grant than the pattern gives is changed back only when prune.access owns the principal', () => {
    const now = account({
      users: [user({ 'payments-prod': 'admin', 'payments-eu': 'read', orders: 'read' })],
    });
    const unowned = computePlan(withAccess("{ 'payments-*': read }"), now, options);
    // The pattern says read: admin on payments-prod is changed; orders is not the file's business.
    expect(unowned.changes.map((c) => c.fields)).toEqual([
      [{ field: 'access.payments-prod', from: 'admin', to: 'read', pattern: 'payments-*' }],
    ]);
    const owned = computePlan(
      withAccess("{ 'payments-*': read }", 'prune:\n  access: [ana@*]\n'),
      now,
      options,
    );
    // Owned = the expansion: the grant on orders, which no name or pattern gives, is removed (approval).
    expect(owned.changes).toEqual([
      expect.objectContaining({
        destructive: true,
        reason: 'removes namespace access',
        fields: [
          { field: 'access.payments-prod', from: 'admin', to: 'read', pattern: 'payments-*' },
          { field: 'access.orders', from: 'read', to: null },
        ],
      }),
    ]);
    const all = computePlan(withAccess("{ '*': read }", 'prune:\n  access: [ana@*]\n'), now, options);
    expect(all.changes.map((c) => c.fields)).toEqual([
      [{ field: 'access.payments-prod', from: 'admin', to: 'read', pattern: '*' }],
    ]);
  });

  test('a pattern that matches nothing is no problem: the plan notes it, and changes nothing for it', () => {
    const plan = computePlan(withAccess("{ 'billing-*': write }"), account({ users: [user({})] }), options);
    expect(plan.changes).toEqual([]);
    expect(plan.problems).toEqual([]);
    expect(plan.notes).toEqual([
      'user ana@example.com: access billing-* matches no namespace now; it will grant write on those that match when they exist',
    ]);
    expect(formatPlan(plan)).toContain('  · user ana@example.com: access billing-* matches no namespace now');
  });

  test('namespaces the file makes are reached, those it deletes are not; a keyed account’s pattern turns API keys on', () => {
    const file = stateOf(
      [
        'namespaces:',
        '  - { name: payments-us, region: aws-us-east-1, retentionDays: 7 }',
        'serviceAccounts:',
        '  - name: payments-ci',
        "    access: { 'payments-*': write }",
        '    apiKeys: [{ displayName: deploy }]',
        'prune:',
        '  namespaces: [payments-eu]',
      ].join('\n'),
    );
    const plan = computePlan(file, account(), options);
    const create = (kind: string) => plan.changes.find((c) => c.kind === kind && c.action === 'create')!;
    expect(create('namespace').fields).toContainEqual({ field: 'apiKeyAuth', from: null, to: true });
    expect(create('serviceAccount').fields).toEqual([
      { field: 'access.payments-us', from: null, to: 'write', pattern: 'payments-*' },
      { field: 'access.payments-prod', from: null, to: 'write', pattern: 'payments-*' },
    ]);
    expect(plan.changes.find((c) => c.action === 'delete')).toMatchObject({
      kind: 'namespace',
      name: 'payments-eu',
    });
  });
});
