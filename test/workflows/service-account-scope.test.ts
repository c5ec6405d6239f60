// Service accounts as the real API has them: namespace-scoped by default where the API offers them (the `cloud`
// dialect), account-wide with an account role when asked — the real API refuses an account-wide one without a
// role (emulator switch `serviceAccountRoleRule`). The `openapi` dialect keeps the given document's accounts.
// Decommission and rotation know namespace-scoped accounts.
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import type { DesiredStateInput } from '../../src/desired-state/schema';
import {
  decommissionNamespace,
  exportAccount,
  provisionNamespace,
  reconcile,
  rotateApiKey,
} from '../../src/workflows';
import { mutations, testDialect, type OpsStack, stackPerTest, dialectFreeTest } from '../helpers/stack';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
const cloud = testDialect() === 'cloud';
const NS = 'ci-payments.a1b2c';

stackPerTest({ asyncOperationDurationMs: 5_000, checkDurationMs: 5_000 }, (made) => ({ env, stack } = made));

type ServiceAccountInput = NonNullable<Parameters<typeof provisionNamespace>[0]['serviceAccount']>;

const provision = (serviceAccount: ServiceAccountInput) =>
  stack.runWorker(() =>
    env.client.workflow
      .execute(provisionNamespace, {
        args: [
          {
            name: 'ci-payments',
            region: 'aws-us-east-1',
            retentionDays: 7,
            serviceAccount,
            apiKey: { expiryDays: 30 },
          },
        ],
        workflowId: workflowIds.provisionNamespace('ci-payments'),
        taskQueue: stack.taskQueue,
      })
      .catch((e: unknown) => e as WorkflowFailedError),
  );

const account = () => stack.emulator.snapshot().serviceAccounts[0]!;

describe('provisioning', () => {
  test('makes the account namespace-scoped where the API has such accounts (the given document has none)', async () => {
    const result = await provision({ permission: 'write' });
    expect(result).toMatchObject({ serviceAccountScope: cloud ? 'namespace' : 'account' });
    expect(account().spec).toEqual(
      cloud
        ? {
            name: 'ci-payments-sa',
            namespaceScopedAccess: { namespace: NS, access: { permission: 'write' } },
          }
        : { name: 'ci-payments-sa', access: { namespaceAccesses: { [NS]: { permission: 'write' } } } },
    );
    expect(stack.emulator.snapshot().apiKeys).toHaveLength(1);
  });

  test('makes an account-wide account with the role asked for', async () => {
    expect(await provision({ permission: 'read', accountRole: 'developer' })).toMatchObject({
      serviceAccountScope: 'account',
    });
    expect(account().spec.access).toEqual({
      accountAccess: { role: 'developer' },
      namespaceAccesses: { [NS]: { permission: 'read' } },
    });
  });

  test('an account-wide account without a role gets the one the API requires (read), or none where it requires none', async () => {
    // Without the product's default role, the real API (switch serviceAccountRoleRule) answers INVALID_ARGUMENT.
    expect(await provision({ permission: 'write', scope: 'account' })).toMatchObject({
      serviceAccountScope: 'account',
    });
    expect(account().spec.access).toEqual({
      ...(cloud ? { accountAccess: { role: 'read' } } : {}),
      namespaceAccesses: { [NS]: { permission: 'write' } },
    });
  });

  (cloud ? test.skip : test)(
    'asking for a namespace-scoped account where the API has none fails before any change',
    async () => {
      const err = await provision({ permission: 'write', scope: 'namespace' });
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause?.message).toMatch(
        /serviceAccount\.scope: this Ops API has no namespace-scoped service accounts/,
      );
      expect(mutations(stack.emulator)).toEqual([]);
    },
  );

  dialectFreeTest('a role for a namespace-scoped account is refused up front', async () => {
    const err = await provision({ permission: 'write', scope: 'namespace', accountRole: 'read' });
    expect((err as WorkflowFailedError).cause?.message).toMatch(
      /serviceAccount\.accountRole: a namespace-scoped service account has no account role/,
    );
    expect(mutations(stack.emulator)).toEqual([]);
  });
});

test('decommission takes a namespace-scoped account and its keys with the namespace; account-wide ones stay unless asked', async () => {
  await provision({ permission: 'write' });
  const provisioned = account();
  // Someone else's account-wide account that also reaches the namespace, with a key.
  const [other] = (
    await stack.emulator.seed({
      serviceAccounts: [
        {
          name: 'other',
          access: { accountAccess: { role: 'read' }, namespaceAccesses: { [NS]: { permission: 'read' } } },
        },
      ],
    })
  ).serviceAccountIds;
  const expiryTime = new Date((await env.currentTimeMs()) + 30 * 86_400_000).toISOString();
  await stack.emulator.seed({
    apiKeys: [{ displayName: 'other-key', ownerId: other!, ownerType: 'service-account', expiryTime }],
  });

  const result = await stack.runWorker(() =>
    env.client.workflow.execute(decommissionNamespace, {
      args: [{ name: 'ci-payments' }],
      workflowId: workflowIds.decommissionNamespace('ci-payments'),
      taskQueue: stack.taskQueue,
    }),
  );
  const state = stack.emulator.snapshot();
  expect(result.outcome).toBe('deleted');
  expect(state.namespaces).toEqual([]);
  // The scoped account cannot outlive its namespace; the given document's account-wide one stays (as before).
  expect(state.serviceAccounts.map((s) => s.spec.name)).toEqual(
    cloud ? ['other'] : ['ci-payments-sa', 'other'],
  );
  expect(state.apiKeys.map((k) => k.spec.displayName)).toEqual(
    cloud ? ['other-key'] : ['ci-payments-key', 'other-key'],
  );
  expect(result.deletedServiceAccounts).toEqual(cloud ? [provisioned.id] : []);
});

(cloud ? test : test.skip)(
  'rotation of a namespace-scoped account’s key keeps the account as it is',
  async () => {
    await provision({ permission: 'admin' });
    const before = account();
    const result = await stack.runWorker(() =>
      env.client.workflow.execute(rotateApiKey, {
        args: [{ ownerId: before.id, ownerType: 'service-account', gracePeriod: '0' }],
        workflowId: workflowIds.rotateApiKey('service-account', before.id),
        taskQueue: stack.taskQueue,
      }),
    );
    expect(result.outcome).toBe('rotated');
    const after = stack.emulator.snapshot();
    expect(after.apiKeys.map((k) => k.id)).toEqual([result.newKeyId]);
    expect(account().spec).toEqual(before.spec);
  },
);

describe('desired state', () => {
  let runs = 0;
  const FILE: DesiredStateInput = {
    namespaces: [{ name: 'ci-payments', region: 'aws-us-east-1', retentionDays: 7 }],
    serviceAccounts: [
      {
        name: 'payments-ci',
        namespaceScoped: 'ci-payments',
        access: { 'ci-payments': 'write' },
        apiKeys: [{ displayName: 'ci' }],
      },
      { name: 'deployer', accountRole: 'developer', access: { 'ci-payments': 'read' } },
    ],
  };
  const run = (desired: DesiredStateInput, mode: 'plan' | 'apply') =>
    stack.runWorker(() =>
      env.client.workflow.execute(reconcile, {
        args: [{ name: 'scoped', desired, mode, autoApprove: true }],
        workflowId: `reconcile/scoped-${++runs}`,
        taskQueue: stack.taskQueue,
      }),
    );
  const spec = (name: string) =>
    stack.emulator.snapshot().serviceAccounts.find((s) => s.spec.name === name)!.spec;

  (cloud ? test : test.skip)(
    'applies namespace-scoped accounts and roles, changes them in place, and exports them',
    async () => {
      expect((await run(FILE, 'apply')).outcome).toBe('applied');
      expect(spec('payments-ci')).toEqual({
        name: 'payments-ci',
        namespaceScopedAccess: { namespace: NS, access: { permission: 'write' } },
      });
      expect(spec('deployer').access).toEqual({
        accountAccess: { role: 'developer' },
        namespaceAccesses: { [NS]: { permission: 'read' } },
      });
      expect((await run(FILE, 'plan')).plan.changes).toEqual([]);

      const changed: DesiredStateInput = {
        ...FILE,
        serviceAccounts: [
          { ...FILE.serviceAccounts![0]!, access: { 'ci-payments': 'admin' } },
          { ...FILE.serviceAccounts![1]!, accountRole: 'read' },
        ],
      };
      const applied = await run(changed, 'apply');
      // Changes of one phase run side by side, so they finish in either order.
      const outcomes = applied.applied.map((a) => [a.name, a.outcome]).sort();
      expect(outcomes).toEqual([
        ['deployer', 'done'],
        ['payments-ci', 'done'],
      ]);
      expect(spec('payments-ci').namespaceScopedAccess).toEqual({
        namespace: NS,
        access: { permission: 'admin' },
      });
      expect(spec('deployer').access?.accountAccess).toEqual({ role: 'read' });

      const exported = await stack.runWorker(() =>
        env.client.workflow.execute(exportAccount, {
          args: [{}],
          workflowId: `export-account/scoped-${++runs}`,
          taskQueue: stack.taskQueue,
        }),
      );
      const byName = [...exported.serviceAccounts!].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName).toEqual([
        expect.objectContaining({ name: 'deployer', accountRole: 'read', access: { 'ci-payments': 'read' } }),
        expect.objectContaining({
          name: 'payments-ci',
          namespaceScoped: 'ci-payments',
          access: { 'ci-payments': 'admin' },
        }),
      ]);
      expect((await run(exported, 'plan')).plan.changes).toEqual([]);
    },
  );

  (cloud ? test : test.skip)(
    'answers with every unset field spelled out (null, false, "", [], {}): an account-wide account stays account-wide, no false changes',
    async () => {
      // On by default for /cloud, as the real gateway marshals (realism switch emitUnpopulated).
      expect(stack.emulator.realism.describe().emitUnpopulated).toMatchObject({ cloud: true });
      const desired: DesiredStateInput = {
        namespaces: [
          {
            name: 'ci-payments',
            region: 'aws-us-east-1',
            retentionDays: 7,
            codecServer: { endpoint: 'https://codec.example.com', passAccessToken: false },
          },
        ],
        serviceAccounts: [{ name: 'deployer', accountRole: 'developer', access: { 'ci-payments': 'read' } }],
      };
      expect((await run(desired, 'apply')).outcome).toBe('applied');
      const asApplied = spec('deployer');
      expect(asApplied.namespaceScopedAccess).toBeUndefined();
      expect((await run(desired, 'plan')).plan.changes).toEqual([]);

      const exported = await stack.runWorker(() =>
        env.client.workflow.execute(exportAccount, {
          args: [{}],
          workflowId: `export-account/unpopulated-${++runs}`,
          taskQueue: stack.taskQueue,
        }),
      );
      expect(exported.serviceAccounts).toEqual([
        expect.objectContaining({
          name: 'deployer',
          accountRole: 'developer',
          access: { 'ci-payments': 'read' },
        }),
      ]);
      expect(exported.serviceAccounts![0]).not.toHaveProperty('namespaceScoped');
      expect(exported.namespaces![0]!.codecServer).toEqual({ endpoint: 'https://codec.example.com' });
      expect((await run(exported, 'plan')).plan.changes).toEqual([]);
      stack.emulator.clearRequestLog();
      expect((await run(exported, 'apply')).outcome).toBe('no-changes');
      expect(mutations(stack.emulator)).toEqual([]);
      expect(spec('deployer')).toEqual(asApplied);
    },
  );

  (cloud ? test.skip : test)(
    'an API without namespace-scoped accounts: the plan says so and apply changes nothing',
    async () => {
      const plan = await run(FILE, 'plan');
      expect(plan.plan.problems).toEqual([
        expect.stringMatching(/payments-ci: namespaceScoped needs an Ops API/),
      ]);
      await expect(run(FILE, 'apply')).rejects.toThrow();
      expect(mutations(stack.emulator)).toEqual([]);
    },
  );
});
