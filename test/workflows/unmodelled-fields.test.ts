// The real API replaces the whole spec on an update, so what an update leaves out is cleared. The emulator's
// `unmodelledFields` switch keeps the fields this product does not model (custom roles, descriptions, a
// namespace's lifecycle and search attributes) and reports each one an update loses. Every update path of
// the product starts from the spec as read: a test per path seeds the fields and checks they survive.
import type { DesiredStateInput } from '../../src/desired-state/schema';
import { workflowIds } from '../../src/catalog';
import { reconcile, updateNamespace } from '../../src/workflows';
import { suiteWithStack, testDialect } from '../helpers/stack';

// Only the real API's dialect has fields this product does not model.
const cloudOnly = testDialect() === 'cloud' ? test : test.skip;

const suite = suiteWithStack({ asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 5_000 });

const NS_EXTRAS = {
  lifecycle: { enableDeleteProtection: true },
  searchAttributes: { CustomerId: 'SEARCH_ATTRIBUTE_TYPE_KEYWORD' },
};
/** The users' custom roles (a role that exists, by id: set by seedAccount). */
let ROLES: { access: { accountAccess: { customRoles: string[] } } };
let seeds = 0;
const DESCRIPTION = { description: 'deploys payments' };

/** The account as someone set it up in the console, with what this product does not model. */
async function seedAccount() {
  const region = 'aws-us-east-1';
  await suite.stack.emulator.seed({
    namespaces: [
      { name: 'payments', region, retentionDays: 30, apiKeyAuth: { enabled: true }, preserved: NS_EXTRAS },
      { name: 'orders', region, retentionDays: 30, apiKeyAuth: { enabled: true }, preserved: NS_EXTRAS },
    ],
  });
  const read = { permission: 'read' as const };
  const permissions = [
    { resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:read'] },
  ];
  const roles = await suite.stack.emulator.seed({
    customRoles: [{ name: `auditor-${++seeds}`, permissions }],
  });
  ROLES = { access: { accountAccess: { customRoles: roles.customRoleIds } } };
  const seeded = await suite.stack.emulator.seed({
    serviceAccounts: [
      {
        name: 'payments-ci',
        access: { namespaceAccesses: { 'payments.a1b2c': { permission: 'write' }, 'orders.a1b2c': read } },
        preserved: DESCRIPTION,
      },
    ],
    users: [
      { email: 'ana@example.com', access: { accountAccess: { role: 'admin' } }, preserved: ROLES },
      {
        email: 'bo@example.com',
        access: { accountAccess: { role: 'developer' }, namespaceAccesses: { 'payments.a1b2c': read } },
        preserved: ROLES,
      },
      {
        email: 'ed@example.com',
        access: {
          accountAccess: { role: 'read' },
          namespaceAccesses: { 'payments.a1b2c': read, 'orders.a1b2c': read },
        },
        preserved: ROLES,
      },
    ],
  });
  return { serviceAccountId: seeded.serviceAccountIds[0]!, userIds: seeded.userIds };
}

const expectKept = async (ids: Awaited<ReturnType<typeof seedAccount>>) => {
  expect(suite.stack.emulator.realism.losses()).toEqual([]);
  for (const id of ['payments.a1b2c', 'orders.a1b2c'])
    expect((await suite.stack.client.getNamespace(id)).spec.preserved).toEqual(NS_EXTRAS);
  expect((await suite.stack.client.getServiceAccount(ids.serviceAccountId)).spec.preserved).toEqual(
    DESCRIPTION,
  );
  for (const id of ids.userIds) expect((await suite.stack.client.getUser(id)).spec.preserved).toEqual(ROLES);
};

cloudOnly(
  'reconcile: a role change, a grant, two revokes and a namespace change keep every unmodelled field',
  async () => {
    const ids = await seedAccount();
    const desired: DesiredStateInput = {
      namespaces: [
        { name: 'payments', region: 'aws-us-east-1', retentionDays: 14 },
        { name: 'orders', region: 'aws-us-east-1', retentionDays: 30 },
      ],
      serviceAccounts: [{ name: 'payments-ci', access: { payments: 'write' } }],
      users: [
        { email: 'ana@example.com', role: 'developer' },
        { email: 'bo@example.com', role: 'developer', access: { payments: 'read', orders: 'read' } },
        { email: 'ed@example.com', role: 'read', access: { payments: 'read' } },
      ],
      prune: { access: ['payments-ci', 'ed@example.com'] },
    };
    const result = await suite.stack.runWorker(async () =>
      (
        await suite.env.client.workflow.start(reconcile, {
          args: [{ name: 'acct', desired, mode: 'apply', autoApprove: true }],
          workflowId: workflowIds.reconcile('acct'),
          taskQueue: suite.stack.taskQueue,
        })
      ).result(),
    );
    expect(result).toMatchObject({ outcome: 'applied' });
    // Each change made, and each by the path it is meant to take.
    const changed = suite.stack.emulator.requestLog.filter((e) => e.status === 200 && e.method === 'POST');
    expect(new Set(changed.map((e) => e.operationId))).toEqual(
      new Set(['updateNamespace', 'updateUser', 'setUserNamespaceAccess', 'updateServiceAccount']),
    );
    const state = suite.stack.emulator.snapshot();
    expect(state.namespaces.find((n) => n.spec.name === 'payments')!.spec.retentionDays).toBe(14);
    const user = (email: string) => state.users.find((u) => u.spec.email === email)!.spec.access;
    expect(user('ana@example.com')?.accountAccess?.role).toBe('developer');
    expect(Object.keys(user('bo@example.com')?.namespaceAccesses ?? {}).sort()).toEqual([
      'orders.a1b2c',
      'payments.a1b2c',
    ]);
    expect(Object.keys(user('ed@example.com')?.namespaceAccesses ?? {})).toEqual(['payments.a1b2c']);
    expect(Object.keys(state.serviceAccounts[0]!.spec.access?.namespaceAccesses ?? {})).toEqual([
      'payments.a1b2c',
    ]);
    await expectKept(ids);
  },
);

cloudOnly(
  'update-namespace: a retention and codec change keep the namespace’s lifecycle and search attributes',
  async () => {
    const ids = await seedAccount();
    const result = await suite.stack.runWorker(async () =>
      (
        await suite.env.client.workflow.start(updateNamespace, {
          args: [
            { name: 'orders', retentionDays: 7, codecServer: { endpoint: 'https://codec.example.com' } },
          ],
          workflowId: workflowIds.updateNamespace('orders'),
          taskQueue: suite.stack.taskQueue,
        })
      ).result(),
    );
    expect(result).toMatchObject({ changed: true, spec: { retentionDays: 7 } });
    await expectKept(ids);
  },
);
