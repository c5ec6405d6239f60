import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import { caBundleToBase64, parseCertificates } from '../../src/certificates';
import { decommissionNamespace, updateNamespace } from '../../src/workflows';
import { makeTestCertificate } from '../helpers/certificates';
import { dialectFreeTest, mutations, stackPerTest, type OpsStack } from '../helpers/stack';

// A real CA, as the real service keeps it (re-encoded): its realism switch caBundleChecks refuses anything else.
const acceptedClientCa = caBundleToBase64(parseCertificates(makeTestCertificate({ commonName: 'Vault CA' })));

let env: TestWorkflowEnvironment;
let stack: OpsStack;

stackPerTest(
  { asyncOperationDurationMs: 60_000, checkDurationMs: 10_000 },
  (made) => ({ env, stack } = made),
);
beforeEach(async () => {
  await stack.emulator.seed({
    namespaces: [
      { name: 'orders', region: 'aws-eu-west-1', retentionDays: 30 },
      { name: 'billing', region: 'aws-eu-west-1', retentionDays: 30 },
    ],
  });
});

describe('updateNamespace', () => {
  const run = (input: Parameters<typeof updateNamespace>[0], overrides = {}) =>
    stack.runWorker(
      async () =>
        env.client.workflow
          .execute(updateNamespace, {
            args: [input],
            workflowId: workflowIds.updateNamespace(input.name),
            taskQueue: stack.taskQueue,
          })
          .catch((e: unknown) => e),
      overrides,
    );

  test('the update round trip keeps every field it did not change (mTLS, codec, API-key auth)', async () => {
    const full = {
      name: 'vault',
      region: 'aws-eu-west-1',
      retentionDays: 30,
      codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
      mtlsAuth: { acceptedClientCa },
      apiKeyAuth: { enabled: true },
    };
    await stack.emulator.seed({ namespaces: [full] });
    expect(await run({ name: 'vault', retentionDays: 7 })).toMatchObject({ changed: true });
    const ns = stack.emulator.snapshot().namespaces.find((n) => n.namespace === 'vault.a1b2c')!;
    expect(ns.spec).toEqual({ ...full, retentionDays: 7 });
    // ... and API-key auth is switched with its own flag, leaving the rest.
    expect(await run({ name: 'vault', apiKeyAuth: false })).toMatchObject({ changed: true });
    const after = stack.emulator.snapshot().namespaces.find((n) => n.namespace === 'vault.a1b2c')!;
    expect(after.spec).toEqual({ ...full, retentionDays: 7, apiKeyAuth: { enabled: false } });
  });

  test('changes retention and codec server and waits for the operation', async () => {
    const result = await run({
      name: 'orders',
      retentionDays: 14,
      codecServer: { endpoint: 'https://codec.example.com' },
    });
    expect(result).toMatchObject({ namespace: 'orders.a1b2c', changed: true, conflictsRetried: 0 });
    const ns = stack.emulator.snapshot().namespaces[0]!;
    expect(ns.state).toBe('active');
    expect(ns.spec).toMatchObject({
      retentionDays: 14,
      codecServer: { endpoint: 'https://codec.example.com' },
    });
  });

  // Which code answers a stale version is documented nowhere (ABORTED is what the emulator says with the
  // switch off): the test chooses, on both dialects, and the product must not care.
  test.each(['resource_version_mismatch', 'failed_precondition', 'invalid_argument'] as const)(
    'a stale resourceVersion (answered %s) is re-read and retried',
    async (staleVersion) => {
      stack.emulator.configure({
        realism: { undocumentedConflictCodes: true },
        realismParams: { undocumentedConflictCodes: { staleVersion } },
      });
      // The competing update lands at once, so ours meets a stale version rather than a busy namespace.
      stack.emulator.configure({ asyncOperationDurationMs: { updateNamespace: 0, '*': 60_000 } });
      let raced = false;
      const getNamespace = async (id: string) => {
        const ns = await stack.activities.getNamespace(id);
        if (!raced) {
          // Someone else changes the namespace between our read and our update.
          raced = true;
          await stack.client.updateNamespace(id, {
            resourceVersion: ns.resourceVersion,
            spec: { ...ns.spec, retentionDays: 45 },
            asyncOperationId: 'someone-else',
          });
        }
        return ns;
      };
      const result = await run(
        { name: 'orders', retentionDays: 7 },
        { activities: { ...stack.activities, getNamespace } },
      );
      expect(outcome(result)).toBe('ok');
      expect(result).toMatchObject({ changed: true, conflictsRetried: 1 });
      expect(stack.emulator.snapshot().namespaces[0]!.spec.retentionDays).toBe(7);
      const conflicts = stack.calls.filter(
        (c) => c.operationId === 'updateNamespace' && c.error?.kind === 'http',
      );
      expect(conflicts.map((c) => c.error?.code)).toEqual([staleVersion]);
    },
  );

  test('an unknown namespace fails non-retryably without changes', async () => {
    const err = await run({ name: 'missing', retentionDays: 7 });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(/namespace missing does not exist/);
    expect(mutations(stack.emulator)).toEqual([]);
  });

  dialectFreeTest('an empty update is refused up front', async () => {
    const err = await run({ name: 'orders' });
    expect((err as WorkflowFailedError).cause?.message).toMatch(/nothing to update/);
    expect(stack.emulator.requestLog).toEqual([]);
  });
});

describe('decommissionNamespace', () => {
  const run = (input: Parameters<typeof decommissionNamespace>[0]) =>
    stack.runWorker(async () =>
      env.client.workflow.execute(decommissionNamespace, {
        args: [input],
        workflowId: workflowIds.decommissionNamespace(input.name),
        taskQueue: stack.taskQueue,
      }),
    );

  test("deletes the namespace and, when asked, its service accounts' keys and accounts", async () => {
    const { serviceAccountIds } = await stack.emulator.seed({
      serviceAccounts: [
        { name: 'orders-sa', access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'write' } } } },
        { name: 'other-sa', access: { namespaceAccesses: { 'billing.a1b2c': { permission: 'read' } } } },
      ],
    });
    // The emulator's clock is the test server's, which has skipped ahead in earlier tests.
    const expiryTime = new Date((await env.currentTimeMs()) + 30 * 86_400_000).toISOString();
    await stack.emulator.seed({
      apiKeys: [
        { displayName: 'k1', ownerId: serviceAccountIds[0]!, ownerType: 'service-account', expiryTime },
        { displayName: 'k2', ownerId: serviceAccountIds[0]!, ownerType: 'service-account', expiryTime },
        { displayName: 'k3', ownerId: serviceAccountIds[1]!, ownerType: 'service-account', expiryTime },
      ],
    });
    const result = await run({ name: 'orders', deleteServiceAccountKeys: true, deleteServiceAccounts: true });
    expect(result).toMatchObject({ outcome: 'deleted', namespace: 'orders.a1b2c' });
    expect(result.deletedApiKeys).toHaveLength(2);
    expect(result.deletedServiceAccounts).toEqual([serviceAccountIds[0]]);
    const state = stack.emulator.snapshot();
    expect(state.namespaces.map((n) => n.namespace)).toEqual(['billing.a1b2c']);
    expect(state.serviceAccounts.map((s) => s.spec.name)).toEqual(['other-sa']);
    expect(state.apiKeys.map((k) => k.spec.displayName)).toEqual(['k3']);
  });

  test('is idempotent: a namespace that is already gone is reported, not an error', async () => {
    await run({ name: 'orders' });
    stack.emulator.clearRequestLog();
    const again = await env.client.workflow.start(decommissionNamespace, {
      args: [{ name: 'orders' }],
      workflowId: `${workflowIds.decommissionNamespace('orders')}/again`,
      taskQueue: stack.taskQueue,
    });
    const result = await stack.runWorker(() => again.result());
    expect(result.outcome).toBe('already-gone');
    expect(mutations(stack.emulator)).toEqual([]);
  });

  test('a commit-then-drop delete is retried into the same operation', async () => {
    stack.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'deleteNamespace', count: 1 });
    const result = await run({ name: 'orders' });
    expect(result.outcome).toBe('deleted');
    expect(stack.emulator.snapshot().namespaces.map((n) => n.namespace)).toEqual(['billing.a1b2c']);
  });
});

function outcome(result: unknown): string {
  if (!(result instanceof Error)) return 'ok';
  const parts: string[] = [];
  for (let e: Error | undefined = result; e; e = e.cause as Error | undefined) parts.push(e.message);
  return parts.join(' <- ');
}
