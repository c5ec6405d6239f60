// User groups, custom roles and namespace-scoped accounts as code, under time skipping, against the emulator: in the
// cloud dialect an account with a cloud group and a SCIM group (seeded: the identity provider's), custom roles,
// account-wide and namespace-scoped service accounts and pattern access round-trips export → plan (no changes) →
// edit → apply → plan (no changes); each membership and group grant goes once even when its answer is lost; a
// namespace made afterwards that a group's pattern matches gets its grant at the next reconcile. The given document
// has no groups nor custom roles: the plan and the apply say so plainly and change nothing.
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import { parseDesiredState } from '../../src/desired-state/load';
import { ACCESS_MODEL_MISSING } from '../../src/desired-state/plan-custom-roles';
import type { DesiredStateInput } from '../../src/desired-state/schema';
import { customRolesOf } from '../../src/ops-api/resources';
import { exportAccount, reconcile, type ReconcileInput } from '../../src/workflows';
import { mutations, stackPerTest, testDialect, type OpsStack } from '../helpers/stack';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
const cloudTest: typeof test = testDialect() === 'cloud' ? test : test.skip;
const openapiTest: typeof test = testDialect() === 'cloud' ? test.skip : test;

stackPerTest({ asyncOperationDurationMs: 5_000, checkDurationMs: 2_000 }, (made) => ({ env, stack } = made));

const READ_ALL = { resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:read'] };
const WRITE_ALL = { resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:write'] };

/** The account before: made by an apply of this file, then the identity provider's group seeded. */
const BASE = `
namespaces:
  - { name: payments-prod, region: aws-us-east-1, retentionDays: 7 }
  - { name: orders, region: aws-us-east-1, retentionDays: 7 }
customRoles:
  - { name: auditor, description: reads everything, permissions: [${JSON.stringify(READ_ALL)}] }
users:
  - { email: ana@example.com, role: developer, customRoles: [auditor] }
  - { email: bo@example.com, role: read }
serviceAccounts:
  - { name: ci, accountRole: read, access: { 'payments-*': write } }
  - { name: orders-worker, namespaceScoped: orders, access: { orders: read } }
userGroups:
  - { name: eng, members: [ana@example.com], customRoles: [auditor], access: { orders: read } }
`;

let runs = 0;
const reconcileRun = (
  desired: DesiredStateInput,
  mode: 'plan' | 'apply',
  extra: Partial<ReconcileInput> = {},
) =>
  stack.runWorker(() =>
    env.client.workflow.execute(reconcile, {
      args: [{ name: 'acct', desired, mode, ...extra }],
      workflowId: `${mode === 'plan' ? workflowIds.reconcilePlan('acct') : workflowIds.reconcile('acct')}-${++runs}`,
      taskQueue: stack.taskQueue,
    }),
  );
const stateOf = (text: string) => parseDesiredState(text, 'acct.yaml').state;
const exported = () =>
  stack.runWorker(() =>
    env.client.workflow.execute(exportAccount, {
      args: [{}],
      workflowId: `export-${++runs}`,
      taskQueue: stack.taskQueue,
    }),
  );

const groupNamed = (name: string) =>
  stack.emulator.snapshot().userGroups.find((g) => g.spec.displayName === name)!;
const userId = (email: string) => stack.emulator.snapshot().users.find((u) => u.spec.email === email)!.id;
const roleId = (name: string) => stack.emulator.snapshot().customRoles.find((r) => r.spec.name === name)!.id;
/** A group's grants by namespace name. */
const grantsOf = (name: string) =>
  Object.fromEntries(
    Object.entries(groupNamed(name).spec.access?.namespaceAccesses ?? {}).map(([id, a]) => [
      id.split('.')[0]!,
      a.permission,
    ]),
  );
/** The async operations the emulator has started, by id. */
const operationIds = () => new Set(stack.emulator.snapshot().asyncOperations.map((op) => op.id));
/** The types of the operations started since `before`, sorted: each committed change once. */
const operationsSince = (before: Set<string>) =>
  stack.emulator
    .snapshot()
    .asyncOperations.filter((op) => !before.has(op.id))
    .map((op) => op.operationType)
    .sort();

/** A group's custom roles (ids), as the API answers them. */
const rolesOf = async (name: string) =>
  customRolesOf((await stack.client.getUserGroup(groupNamed(name).id)).spec);

cloudTest(
  'export → plan (no changes) → edit → apply (lost answers change nothing twice) → plan (no changes); a new namespace a group’s pattern matches is granted at the next reconcile',
  async () => {
    expect((await reconcileRun(stateOf(BASE), 'apply', { autoApprove: true })).outcome).toBe('applied');
    await stack.emulator.seed({
      userGroups: [
        {
          displayName: 'okta-all',
          groupType: 'scim',
          scimIdpId: 'okta-1',
          memberEmails: ['ana@example.com'],
        },
      ],
    });
    const okta = groupNamed('okta-all');

    // export → plan: the file the account makes plans to nothing.
    const file = await exported();
    expect(file.userGroups).toEqual([
      { name: 'eng', members: ['ana@example.com'], customRoles: ['auditor'], access: { orders: 'read' } },
      { name: 'okta-all', type: 'scim', members: ['ana@example.com'], access: {} },
    ]);
    // Account-wide with its role, and namespace-scoped, in whichever order the API lists them.
    expect(file.serviceAccounts).toHaveLength(2);
    expect(file.serviceAccounts).toEqual(
      expect.arrayContaining([
        { name: 'ci', accountRole: 'read', access: { 'payments-prod': 'write' }, apiKeys: [] },
        { name: 'orders-worker', namespaceScoped: 'orders', access: { orders: 'read' }, apiKeys: [] },
      ]),
    );
    expect(file.customRoles).toEqual([
      { name: 'auditor', description: 'reads everything', permissions: [READ_ALL] },
    ]);
    const reread = parseDesiredState(JSON.stringify(file), 'exported.yaml').state;
    expect((await reconcileRun(reread, 'plan')).plan.changes).toEqual([]);

    // The edit: a new role; eng changes its members, roles and grants (a pattern); a new group; the SCIM group
    // gets a grant and lists other members (noted, never changed).
    const edited: DesiredStateInput = {
      ...file,
      customRoles: [...file.customRoles!, { name: 'deployer', permissions: [WRITE_ALL] }],
      users: file.users!.map((u) => (u.email === 'bo@example.com' ? { ...u, customRoles: ['deployer'] } : u)),
      userGroups: [
        {
          name: 'eng',
          members: ['bo@example.com'],
          customRoles: ['auditor', 'deployer'],
          access: { orders: 'read', 'payments-*': 'write' },
        },
        { name: 'okta-all', type: 'scim', members: ['bo@example.com'], access: { orders: 'read' } },
        {
          name: 'payments-team',
          members: ['ana@example.com', 'bo@example.com'],
          access: { 'payments-*': 'read' },
        },
      ],
    };
    for (const operationId of ['addUserGroupMember', 'setUserGroupNamespaceAccess'])
      stack.emulator.faults.add({ kind: 'commit-then-drop', operationId, count: 1 });
    const before = operationIds();
    const applied = await reconcileRun(edited, 'apply', { autoApprove: true });
    expect(applied.outcome).toBe('applied');
    expect(applied.applied.filter((a) => a.outcome !== 'done')).toEqual([]);
    expect(applied.plan.notes).toContainEqual(
      expect.stringMatching(/^user group okta-all: its members are the identity provider’s/),
    );
    expect(stack.emulator.faults.list()).toEqual([]); // both answers were lost once

    // Each change made once (one operation each, whatever the edge answered): the retries after a lost answer
    // found their own operations.
    expect(operationsSince(before)).toEqual(
      [
        'createCustomRole', // deployer
        'updateUser', // bo's custom roles
        'updateUserGroup', // eng's custom roles
        'addUserGroupMember', // bo into eng
        'removeUserGroupMember', // ana out of eng
        'setUserGroupNamespaceAccess', // eng on payments-prod
        'setUserGroupNamespaceAccess', // okta-all on orders
        'createUserGroup', // payments-team, with its grant
        'addUserGroupMember', // ana into payments-team
        'addUserGroupMember', // bo into payments-team
      ].sort(),
    );
    const [ana, bo] = [userId('ana@example.com'), userId('bo@example.com')];
    expect(groupNamed('eng').members).toEqual([bo]);
    expect(groupNamed('payments-team').members.sort()).toEqual([ana, bo].sort());
    expect(groupNamed('okta-all').members).toEqual([ana]); // the identity provider's
    expect(groupNamed('okta-all').id).toBe(okta.id);
    expect(grantsOf('eng')).toEqual({ orders: 'read', 'payments-prod': 'write' });
    expect(grantsOf('payments-team')).toEqual({ 'payments-prod': 'read' });
    expect(grantsOf('okta-all')).toEqual({ orders: 'read' });
    expect((await rolesOf('eng')).sort()).toEqual([roleId('auditor'), roleId('deployer')].sort());
    expect((await reconcileRun(edited, 'plan')).outcome).toBe('no-changes');

    // A namespace made afterwards (by hand) that the groups' patterns match: granted at the next reconcile (ci's
    // exported grants are by name, so it is not).
    await stack.emulator.seed({
      namespaces: [{ name: 'payments-eu', region: 'aws-us-east-1', retentionDays: 1 }],
    });
    const beforeNext = operationIds();
    const next = await reconcileRun(edited, 'apply', { autoApprove: true });
    expect(next.plan.changes.map((c) => [c.kind, c.name, c.fields])).toEqual([
      ['userGroup', 'eng', [{ field: 'access.payments-eu', from: null, to: 'write', pattern: 'payments-*' }]],
      [
        'userGroup',
        'payments-team',
        [{ field: 'access.payments-eu', from: null, to: 'read', pattern: 'payments-*' }],
      ],
    ]);
    expect(grantsOf('eng')['payments-eu']).toBe('write');
    expect(grantsOf('payments-team')['payments-eu']).toBe('read');
    expect(operationsSince(beforeNext)).toEqual([
      'setUserGroupNamespaceAccess',
      'setUserGroupNamespaceAccess',
    ]);
    expect((await reconcileRun(edited, 'plan')).outcome).toBe('no-changes');
  },
);

cloudTest(
  'removing a group and a role: the group goes before the role it holds, both only once approved',
  async () => {
    await reconcileRun(stateOf(BASE), 'apply', { autoApprove: true });
    const pruned = stateOf(
      BASE.replace(/customRoles:\n.*\n/, 'customRoles: []\n')
        .replace(', customRoles: [auditor] }', ', customRoles: [] }')
        .replace(/userGroups:\n.*\n/, 'prune: { userGroups: [eng], customRoles: [auditor] }\n'),
    );
    stack.emulator.clearRequestLog();
    const result = await reconcileRun(pruned, 'apply', { autoApprove: true });
    expect(
      result.plan.changes.filter((c) => c.destructive).map((c) => `${c.action} ${c.kind} ${c.name}`),
    ).toEqual(['delete customRole auditor', 'update user ana@example.com', 'delete userGroup eng']);
    expect(result.applied.filter((a) => a.outcome !== 'done')).toEqual([]);
    // The role's delete comes after the user let it go and the group was deleted (the emulator refuses a held role).
    expect(mutations(stack.emulator)).toEqual(['updateUser', 'deleteUserGroup', 'deleteCustomRole']);
    expect(stack.emulator.snapshot().customRoles).toEqual([]);
    // Taking ana's last custom role away clears the field on purpose (the emulator reports every cleared field).
    expect(stack.emulator.realism.losses().map((l) => [l.operationId, l.field])).toEqual([
      ['updateUser', 'spec.access.accountAccess.customRoles'],
    ]);
    stack.emulator.realism.clearLosses();
    expect((await reconcileRun(pruned, 'plan')).outcome).toBe('no-changes');
  },
);

openapiTest(
  'the given document has no groups nor custom roles: plan and apply say so, and change nothing',
  async () => {
    const desired = stateOf(BASE.replace(/ {2}- \{ name: orders-worker.*\n/, ''));
    const plan = await reconcileRun(desired, 'plan');
    expect(plan.plan.problems).toEqual([
      `userGroups, customRoles, users[].customRoles: ${ACCESS_MODEL_MISSING}`,
    ]);
    stack.emulator.clearRequestLog();
    const failed = await reconcileRun(desired, 'apply', { autoApprove: true }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect(String((failed as WorkflowFailedError).cause?.message)).toMatch(
      /needs an Ops API with user groups and custom roles/,
    );
    expect(mutations(stack.emulator)).toEqual([]);
  },
);
