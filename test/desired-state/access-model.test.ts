// User groups and custom roles as code, without a server: the file's checks (a role named by name must be one of the
// file's, a permission is the proto's message), the plan (create, update one field at a time, prune, destructive
// where access is taken away), an identity provider's group whose members are never changed, patterns on groups,
// export → plan as a no-op, and the plain problem where the API has no groups.
import { readFileSync } from 'node:fs';
import { exportDesiredState } from '../../src/desired-state/export';
import { formatPlan } from '../../src/desired-state/format';
import { parseDesiredState } from '../../src/desired-state/load';
import { computePlan, hasChanges, type AccountSnapshot, type Change } from '../../src/desired-state/plan';
import { ACCESS_MODEL_MISSING } from '../../src/desired-state/plan-custom-roles';
import { accessHolders, accessReaches } from '../../src/desired-state/access-patterns';
import { desiredStateSchema, type DesiredStateInput } from '../../src/desired-state/schema';
import { PROTO_SHAPES_FILE, protoShapesSource } from '../../src/desired-state/proto-shapes';
import { problemsOf } from './support';

const options = { now: Date.UTC(2026, 10, 28), canChangeAccess: true, accessModel: true };
const READ_ALL = { resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:read'] };
const WRITE_ALL = { resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:write'] };

const ns = (name: string): AccountSnapshot['namespaces'][number] => ({
  id: `${name}.acct`,
  name,
  region: 'aws-us-east-1',
  retentionDays: 7,
  apiKeyAuth: false,
  state: 'active',
});
const user = (id: string, email: string, customRoles: string[] = []) => ({
  id,
  email,
  state: 'active',
  role: 'read',
  access: {},
  customRoles,
});
type Group = NonNullable<AccountSnapshot['userGroups']>[number];
const group = (over: Partial<Group> & Pick<Group, 'id' | 'name'>): Group => ({
  state: 'active',
  type: 'cloud',
  role: 'none',
  access: {},
  customRoles: [],
  members: [],
  ...over,
});

/** payments-prod, payments-eu and orders; ana and bo; the auditor role; eng (cloud) and okta-all (SCIM). */
function account(over: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return {
    regions: ['aws-us-east-1'],
    namespaces: ['payments-prod', 'payments-eu', 'orders'].map(ns),
    serviceAccounts: [],
    users: [user('u-ana', 'ana@example.com', ['r-auditor']), user('u-bo', 'bo@example.com')],
    apiKeys: [],
    customRoles: [{ id: 'r-auditor', name: 'auditor', state: 'active', permissions: [READ_ALL] }],
    userGroups: [
      group({ id: 'g-eng', name: 'eng', access: { 'orders.acct': 'read' }, members: ['u-ana'] }),
      group({ id: 'g-okta', name: 'okta-all', type: 'scim', members: ['u-ana'] }),
    ],
    ...over,
  };
}

const NAMESPACES = `namespaces:
  - { name: payments-prod, region: aws-us-east-1, retentionDays: 7, apiKeyAuth: false }
  - { name: payments-eu, region: aws-us-east-1, retentionDays: 7, apiKeyAuth: false }
  - { name: orders, region: aws-us-east-1, retentionDays: 7, apiKeyAuth: false }
`;
/** The account as it is, written by hand: plans to nothing. */
const SAME = `${NAMESPACES}users:
  - { email: ana@example.com, customRoles: [auditor] }
  - { email: bo@example.com }
customRoles:
  - name: auditor
    permissions: [{ resources: { resourceType: namespace, allowAll: true }, actions: ['namespace:read'] }]
userGroups:
  - { name: eng, members: [ana@example.com], access: { orders: read } }
  - { name: okta-all, type: scim, members: [ana@example.com] }
`;
const stateOf = (text: string) => parseDesiredState(text, 'cloud-ops.yaml').state;
const plan = (text: string, acct = account(), opts = options) => computePlan(stateOf(text), acct, opts);
const only = (changes: Change[], kind: Change['kind']) => changes.filter((c) => c.kind === kind);

describe('checking the file', () => {
  test('a custom role named by a user, group or service account must be one of the file’s, naming the field', () => {
    const text = [
      'customRoles:',
      '  - { name: auditor, permissions: [{ resources: { resourceType: namespace, allowAll: true }, actions: [x] }] }',
      'users:',
      '  - { email: a@example.com, customRoles: [auditor, audtor] }',
      'userGroups:',
      '  - { name: eng, customRoles: [deployer] }',
      'serviceAccounts:',
      '  - { name: ci, customRoles: [nope] }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      {
        path: 'users[0].customRoles[1]',
        line: 4,
        message: 'refers to custom role "audtor", which this file does not define (add it under customRoles)',
      },
      expect.objectContaining({ path: 'userGroups[0].customRoles[0]', line: 6 }),
      expect.objectContaining({ path: 'serviceAccounts[0].customRoles[0]', line: 8 }),
    ]);
  });

  test.each([
    [
      'allowAll with ids',
      '{ resourceType: namespace, allowAll: true, resourceIds: [a] }, actions: [x]',
      'permissions[0].resources.resourceIds',
      /must be empty when allowAll/,
    ],
    [
      'neither ids nor allowAll',
      '{ resourceType: namespace }, actions: [x]',
      'permissions[0].resources.allowAll',
      /must be true when resourceIds is empty/,
    ],
    [
      'no action',
      '{ resourceType: namespace, allowAll: true }, actions: []',
      'permissions[0].actions',
      /at least one action/,
    ],
    [
      'a field the message lacks',
      '{ resourceType: namespace, allowAll: true, colour: red }, actions: [x]',
      'permissions[0].resources.colour',
      /unknown field/,
    ],
    [
      'a field of the wrong type',
      '{ resourceType: namespace, allowAll: yes }, actions: [x]',
      'permissions[0].resources.allowAll',
      /true or false/,
    ],
  ])('a permission is the API’s message: %s', (_label, resources, where, message) => {
    const text = `customRoles:\n  - name: r\n    permissions: [{ resources: ${resources} }]\n`;
    const problem = problemsOf(text).find((p) => p.path === `customRoles[0].${where}`);
    expect(problem?.message).toMatch(message);
  });

  test('a role needs a permission; names are unique; a namespace-scoped account holds no custom role', () => {
    const text = [
      NAMESPACES,
      'customRoles:',
      `  - { name: r, permissions: [${JSON.stringify(READ_ALL)}] }`,
      `  - { name: r, permissions: [${JSON.stringify(READ_ALL)}] }`,
      'userGroups: [{ name: Eng }, { name: eng }]',
      'serviceAccounts:',
      '  - { name: ci, namespaceScoped: orders, access: { orders: read }, customRoles: [r] }',
    ].join('\n');
    expect(problemsOf('customRoles:\n  - { name: r, permissions: [] }\n')).toEqual([
      { path: 'customRoles[0].permissions', line: 2, message: 'must list at least one permission' },
    ]);
    const problems = problemsOf(text).map((p) => [p.path, p.message]);
    expect(problems).toEqual(
      expect.arrayContaining([
        ['customRoles[1]', 'custom role "r" is already defined at customRoles[0]'],
        ['userGroups[1]', 'user group "eng" is already defined at userGroups[0]'],
        [
          'serviceAccounts[0].customRoles',
          expect.stringMatching(/namespace-scoped account has no account access/),
        ],
      ]),
    );
  });

  test('the permission’s fields are generated from the bundled protos, and the generated file is up to date', () => {
    expect(readFileSync(PROTO_SHAPES_FILE, 'utf8')).toBe(protoShapesSource());
    expect(protoShapesSource()).toContain('"allowAll": "bool"');
  });
});

describe('the plan', () => {
  test('the account as it is: no changes; an identity provider’s group is unchanged whatever its members', () => {
    const p = plan(SAME);
    expect(p.changes).toEqual([]);
    expect(p.unchanged).toEqual(
      expect.arrayContaining([
        { kind: 'userGroup', name: 'okta-all' },
        { kind: 'customRole', name: 'auditor' },
      ]),
    );
  });

  test('creates roles, then principals that name them, and a cloud group with role, roles, pattern access and members', () => {
    const p = plan(
      `${NAMESPACES}users:
  - { email: cy@example.com, customRoles: [deployer, auditor] }
customRoles:
  - { name: auditor, description: reads everything, permissions: [${JSON.stringify(READ_ALL)}] }
  - { name: deployer, permissions: [${JSON.stringify(WRITE_ALL)}] }
userGroups:
  - name: payments-team
    accountRole: developer
    customRoles: [deployer]
    members: [cy@example.com, bo@example.com]
    access: { 'payments-*': write, payments-eu: read }
`,
      account({ customRoles: [], userGroups: [], users: [user('u-bo', 'bo@example.com')] }),
    );
    expect(p.problems).toEqual([]);
    expect(
      only(p.changes, 'customRole').map((c) => [c.action, c.name, c.fields.map((f) => f.field)]),
    ).toEqual([
      ['create', 'auditor', ['description', 'permissions']],
      ['create', 'deployer', ['permissions']],
    ]);
    expect(only(p.changes, 'user')[0]!.fields).toContainEqual({
      field: 'customRoles',
      from: null,
      to: ['auditor', 'deployer'],
    });
    const created = only(p.changes, 'userGroup')[0]!;
    expect(created).toMatchObject({ action: 'create', name: 'payments-team', destructive: false });
    expect(created.fields).toEqual([
      { field: 'accountRole', from: null, to: 'developer' },
      { field: 'customRoles', from: null, to: ['deployer'] },
      // A name beats a pattern; the pattern says where the grant came from.
      { field: 'access.payments-eu', from: null, to: 'read' },
      { field: 'access.payments-prod', from: null, to: 'write', pattern: 'payments-*' },
      { field: 'members.cy@example.com', from: null, to: 'member' },
      { field: 'members.bo@example.com', from: null, to: 'member' },
    ]);
    expect(formatPlan(p)).toMatch(/\+ user group payments-team\n {6}accountRole: developer/);
  });

  test('an existing group: one field per grant and per member; a removal needs approval; roles compare as a set', () => {
    const p = plan(
      SAME.replace(
        '{ name: eng, members: [ana@example.com], access: { orders: read } }',
        "{ name: eng, members: [bo@example.com], customRoles: [auditor], access: { orders: write, 'payments-*': read } }",
      ).replace('customRoles: [auditor] }', 'customRoles: [auditor] }'),
    );
    const eng = only(p.changes, 'userGroup');
    expect(eng).toHaveLength(1);
    expect(eng[0]).toMatchObject({
      action: 'update',
      targetId: 'g-eng',
      destructive: true,
      reason: 'removes members',
    });
    expect(eng[0]!.fields).toEqual([
      { field: 'customRoles', from: [], to: ['auditor'] },
      { field: 'members.bo@example.com', from: null, to: 'member' },
      { field: 'members.ana@example.com', from: 'member', to: null },
      { field: 'access.orders', from: 'read', to: 'write' },
      { field: 'access.payments-prod', from: null, to: 'read', pattern: 'payments-*' },
      { field: 'access.payments-eu', from: null, to: 'read', pattern: 'payments-*' },
    ]);
    // Taking a role away, or narrowing a role, needs approval too; the order roles are written in is no change.
    const narrowed = plan(
      SAME.replace("actions: ['namespace:read']", "actions: ['namespace:list']").replace(
        'customRoles: [auditor] }',
        'customRoles: [] }',
      ),
    );
    expect(narrowed.changes.map((c) => [c.kind, c.name, c.destructive, c.reason])).toEqual([
      ['customRole', 'auditor', true, 'takes permissions away from whoever holds it'],
      ['user', 'ana@example.com', true, 'removes a custom role'],
    ]);
  });

  test('an identity provider’s group: its members are never changed (a difference is noted), its access is', () => {
    const p = plan(
      SAME.replace(
        '{ name: okta-all, type: scim, members: [ana@example.com] }',
        '{ name: okta-all, type: scim, members: [bo@example.com], access: { orders: read } }',
      ),
    );
    expect(p.changes).toEqual([
      expect.objectContaining({
        kind: 'userGroup',
        name: 'okta-all',
        fields: [{ field: 'access.orders', from: null, to: 'read' }],
      }),
    ]);
    expect(p.notes).toEqual([
      'user group okta-all: its members are the identity provider’s (scim); the file lists bo@example.com, not in the group and does not list ana@example.com, in the group — change them there, this file never does',
    ]);
    // Nor is one created, or its type changed, from here.
    const made = plan(`${SAME}  - { name: azure-devs, type: scim }\n`);
    expect(made.problems).toEqual([
      expect.stringMatching(
        /^user group azure-devs: a scim group comes from its identity provider; this file cannot create one/,
      ),
    ]);
    const retyped = plan(SAME.replace('{ name: eng,', '{ name: eng, type: google,'));
    expect(retyped.changes).toEqual([
      expect.objectContaining({ name: 'eng', blocked: expect.stringMatching(/type .* cannot change/) }),
    ]);
    expect(hasChanges(retyped)).toBe(false);
  });

  test('a member must be a user of the account or of the file', () => {
    expect(
      plan(SAME.replace('members: [ana@example.com], access', 'members: [zed@example.com], access')).problems,
    ).toEqual([
      'user group eng: member zed@example.com is not a user of the account nor of this file (add it under users)',
    ]);
  });

  test('prune: groups and roles it owns are deleted (an identity provider’s group never); a role still held elsewhere is blocked', () => {
    const acct = account({
      customRoles: [
        { id: 'r-auditor', name: 'auditor', state: 'active', permissions: [READ_ALL] },
        { id: 'r-old', name: 'old', state: 'active', permissions: [READ_ALL] },
        { id: 'r-held', name: 'held', state: 'active', permissions: [READ_ALL] },
      ],
      users: [
        user('u-ana', 'ana@example.com', ['r-auditor', 'r-old']),
        user('u-bo', 'bo@example.com'),
        user('u-cy', 'cy@example.com', ['r-held']),
      ],
    });
    // eng holds `old` too, but is pruned with it: no hold on the delete.
    acct.userGroups![0]!.customRoles = ['r-old'];
    const text = `${NAMESPACES}users:
  - { email: ana@example.com, customRoles: [auditor] }
customRoles:
  - name: auditor
    permissions: [{ resources: { resourceType: namespace, allowAll: true }, actions: ['namespace:read'] }]
prune: { userGroups: ['*'], customRoles: ['*'] }
`;
    const p = plan(text, acct);
    expect(p.changes.map((c) => [c.action, c.kind, c.name, c.destructive, c.blocked])).toEqual([
      ['delete', 'customRole', 'old', true, undefined],
      [
        'delete',
        'customRole',
        'held',
        true,
        'still held by user cy@example.com, which this plan leaves holding it; take it from them first',
      ],
      ['update', 'user', 'ana@example.com', true, undefined],
      ['delete', 'userGroup', 'eng', true, undefined],
    ]);
    expect(p.unmanaged).toEqual(expect.arrayContaining([{ kind: 'userGroup', name: 'okta-all' }]));
    // Without prune, they are left alone and reported.
    expect(plan(text.replace(/prune:.*\n/, ''), acct).unmanaged).toEqual(
      expect.arrayContaining([
        { kind: 'customRole', name: 'old' },
        { kind: 'userGroup', name: 'eng' },
      ]),
    );
  });

  test('prune.access owns a group’s access as the expansion of its patterns', () => {
    const p = plan(
      `${SAME.replace('access: { orders: read }', "access: { 'payments-*': read }")}prune: { access: [eng] }\n`,
    );
    expect(only(p.changes, 'userGroup')[0]!.fields).toEqual([
      { field: 'access.payments-prod', from: null, to: 'read', pattern: 'payments-*' },
      { field: 'access.payments-eu', from: null, to: 'read', pattern: 'payments-*' },
      { field: 'access.orders', from: 'read', to: null },
    ]);
  });

  test('where the API has no groups nor custom roles, the plan says so plainly', () => {
    const p = plan(SAME, account({ userGroups: [], customRoles: [] }), { ...options, accessModel: false });
    expect(p.problems).toEqual([`userGroups, customRoles, users[].customRoles: ${ACCESS_MODEL_MISSING}`]);
  });
});

test('export → plan: groups with members (an identity provider’s too), custom roles by name, no changes', () => {
  const exported = exportDesiredState(account()) as DesiredStateInput;
  expect(exported.userGroups).toEqual([
    { name: 'eng', members: ['ana@example.com'], access: { orders: 'read' } },
    { name: 'okta-all', type: 'scim', members: ['ana@example.com'], access: {} },
  ]);
  expect(exported.users![0]).toMatchObject({ email: 'ana@example.com', customRoles: ['auditor'] });
  const p = computePlan(desiredStateSchema.parse(exported), account(), options);
  expect(p.problems).toEqual([]);
  expect(p.changes).toEqual([]);
});

test('a group’s pattern reaches new namespaces: provisioning’s trigger sees groups', () => {
  const state = stateOf("userGroups:\n  - { name: eng, access: { 'payments-*': read } }\n");
  expect(accessReaches(accessHolders(state), 'payments-us')).toBe(true);
  expect(accessReaches(accessHolders(state), 'orders-us')).toBe(false);
});
