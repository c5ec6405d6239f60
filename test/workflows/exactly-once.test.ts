// Exactly once, proven: rollback removes only what the run provably made (whatever the clocks say), a
// create that commits after the client gave up never leaves a second or tokenless key, and the
// offboarding audit credits this run with the deletes it made even when their answers were lost.
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EmulatorOptions } from '../../src/emulator';
import { workflowIds } from '../../src/catalog';
import { offboardUser, provisionNamespace, rotateApiKey } from '../../src/workflows';
import {
  apiAnswers,
  createOpsStack,
  isClientError,
  testDialect,
  type OpsStack,
  type StackOptions,
} from '../helpers/stack';
import { envPerFile } from '../helpers/temporal';
import { expectOneOfEach, failOperationOnce, provisionRequest } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack | undefined;

const DAY = 24 * 60 * 60_000;
const TIMINGS: EmulatorOptions = { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 5_000 };

envPerFile((made) => (env = made));
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  // A failed test must not leave its run behind to collide with the next test's business key.
  await env.client.workflow
    .getHandle(workflowIds.provisionNamespace(input.name))
    .terminate('test over')
    .catch(() => undefined);
});

async function useStack(options: EmulatorOptions = {}, stackOptions: StackOptions = {}): Promise<OpsStack> {
  stack = await createOpsStack(env, { ...TIMINGS, ...options }, stackOptions);
  return stack;
}

const input = provisionRequest;
const NAMESPACE = 'payments-prod.a1b2c';
/** The spec a provisioning with an API key asks for (API-key auth on). */
const namespaceSpec = {
  name: input.name,
  region: input.region,
  retentionDays: 30,
  apiKeyAuth: { enabled: true },
};

function startProvisioning(s: OpsStack) {
  return env.client.workflow.start(provisionNamespace, {
    args: [input],
    workflowId: workflowIds.provisionNamespace(input.name),
    taskQueue: s.taskQueue,
  });
}

async function provisionFailure(s: OpsStack): Promise<string> {
  const err = await s.runWorker(async () =>
    (await startProvisioning(s)).result().then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return messages(err);
}

function messages(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as Error | undefined; e; e = (e as { cause?: Error }).cause) parts.push(e.message);
  return parts.join(' <- ');
}

/** Every key exists once and its token is in the sink: no key is left active without its token. */
async function expectEveryKeyHasItsToken(s: OpsStack): Promise<void> {
  for (const key of s.emulator.snapshot().apiKeys) {
    expect(await s.secrets.read(`api-keys/${key.id}`)).toBeDefined();
  }
}

describe('provisioning: rollback deletes only what the run provably created', () => {
  test('the Ops API clock 2 s ahead and a namespace made by someone else just before: adopted, kept', async () => {
    const s = await useStack({ clockSkewMs: 2_000 });
    // Made "moments before" the run: with the skew its createdTime is after the run's start.
    await s.emulator.seed({ namespaces: [{ ...namespaceSpec }] });
    failOperationOnce(s.emulator, 'createApiKey');

    const message = await provisionFailure(s);
    expect(message).toContain('quota exceeded');
    expect(message).toMatch(/Not created by this run, so left as found: namespace payments-prod\.a1b2c/);
    expect(message).toMatch(/Rolled back: service account \w+, API key \w+\./);
    const state = s.emulator.snapshot();
    expect(state.namespaces.map((n) => [n.namespace, n.state])).toEqual([[NAMESPACE, 'active']]);
    expect(state.serviceAccounts).toHaveLength(0);
    expect(s.emulator.requestLog.filter((e) => e.operationId === 'deleteNamespace')).toEqual([]);
  });

  test('no skew: a namespace and account made by hand after the request but before the worker ran are left', async () => {
    const s = await useStack();
    const handle = await startProvisioning(s); // no worker yet: the run has started, nothing happened
    const made = await s.emulator.seed({
      namespaces: [{ ...namespaceSpec }],
    });
    // As the run would make it: scoped to the namespace where the API has such accounts.
    const write = { permission: 'write' as const };
    await s.emulator.seed({
      serviceAccounts: [
        testDialect() === 'cloud'
          ? { name: 'payments-prod-sa', namespaceScopedAccess: { namespace: NAMESPACE, access: write } }
          : { name: 'payments-prod-sa', access: { namespaceAccesses: { [NAMESPACE]: write } } },
      ],
    });
    failOperationOnce(s.emulator, 'createApiKey');

    const err = await s.runWorker(() => handle.result().catch((e: unknown) => e));
    const message = messages(err);
    // Only the key (whose create failed) was this run's.
    expect(message).toMatch(/Rolled back: API key \w+\./);
    expect(message).toMatch(/left as found: namespace payments-prod\.a1b2c, service account \w+\./);
    const state = s.emulator.snapshot();
    expect(state.namespaces.map((n) => n.namespace)).toEqual(made.namespaceIds);
    expect(state.serviceAccounts.map((a) => a.spec.name)).toEqual(['payments-prod-sa']);
    const deleted = s.emulator.requestLog.filter((e) => e.method === 'DELETE').map((e) => e.operationId);
    // The key's rollback read that it was gone already (its create failed); nothing was deleted.
    expect(deleted).toEqual([]);
  });

  test('the Ops API clock 2 s behind and the create answer lost: still this run’s, rolled back and named', async () => {
    const s = await useStack({ clockSkewMs: -2_000 });
    s.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'createNamespace', count: 1 });
    failOperationOnce(s.emulator, 'createApiKey');

    const message = await provisionFailure(s);
    expect(message).toMatch(
      /Rolled back: namespace payments-prod\.a1b2c, service account \w+, API key \w+\./,
    );
    expect(message).not.toMatch(/left as found/);
    const state = s.emulator.snapshot();
    expect(state.namespaces).toHaveLength(0);
    expect(state.serviceAccounts).toHaveLength(0);
    expect(state.apiKeys).toHaveLength(0);
  });

  test('a server that refuses reused operation ids (any client error) instead of replaying: still exactly one of each', async () => {
    const s = await useStack({ operationIdReuse: 'refuse' });
    for (const operationId of ['createNamespace', 'createServiceAccount', 'createApiKey', 'deleteApiKey']) {
      s.emulator.faults.add({ kind: 'commit-then-drop', operationId, count: 1 });
    }
    const result = await s.runWorker(async () => (await startProvisioning(s)).result());
    const state = expectOneOfEach(s.emulator);
    expect(result.created).toEqual({
      namespace: NAMESPACE,
      serviceAccountId: state.serviceAccounts[0]!.id,
      apiKeyId: state.apiKeys[0]!.id,
    });
    // Refused repeats (409 ALREADY_EXISTS, or with undocumentedConflictCodes on, 400 FAILED_PRECONDITION).
    expect(s.emulator.requestLog.some((e) => e.method !== 'GET' && isClientError(e.status))).toBe(true);
    await expectEveryKeyHasItsToken(s);
  });
});

describe('a create that commits after the client gave up leaves no second, tokenless key', () => {
  // The activities' client gives up after 1 s; the server commits the create 2.5 s after it arrived.
  const late = { clientTimeoutMs: 1_000 };

  test('the retry lands first: the late commit is a repeat of it, one key', async () => {
    const s = await useStack({}, late);
    s.emulator.faults.add({ kind: 'late-commit', ms: 2_500, operationId: 'createApiKey', count: 1 });
    const result = await s.runWorker(async () => (await startProvisioning(s)).result());
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the late commit has landed by now
    const keys = s.emulator.snapshot().apiKeys;
    expect(keys.map((k) => k.id)).toEqual([result.apiKeyId]);
    await expectEveryKeyHasItsToken(s);
    // One key: the late request (whose client had left: status 0) was answered as a repeat. (The edge's
    // answers, on in the cloud dialect, may add retries of their own: each a 200 of the API.)
    const creates = apiAnswers(s.emulator).filter((e) => e.operationId === 'createApiKey');
    expect(creates.filter((e) => e.status !== 200).map((e) => [e.status, e.fault])).toEqual([
      [0, 'late-commit'],
    ]);
  });

  test('the late commit lands first: its tokenless key is deleted and replaced, one key left', async () => {
    // This test stages a race with latencies; the edge's answers (edge-answers.test.ts) would reorder it.
    const s = await useStack({ realism: { edgeAnswers: false } }, late);
    // The first listing is slow, so the retry's create arrives after the late commit.
    s.emulator.faults.add({ kind: 'latency', ms: 800, operationId: 'listApiKeys', count: 2 });
    s.emulator.faults.add({ kind: 'late-commit', ms: 1_500, operationId: 'createApiKey', count: 1 });
    const result = await s.runWorker(async () => (await startProvisioning(s)).result());
    const state = s.emulator.snapshot();
    expect(state.apiKeys.map((k) => k.id)).toEqual([result.apiKeyId]);
    await expectEveryKeyHasItsToken(s);
    const deletes = s.emulator.requestLog.filter((e) => e.operationId === 'deleteApiKey' && e.status === 200);
    expect(deletes.length).toBeGreaterThanOrEqual(1);
    expect(result.created.apiKeyId).toBe(result.apiKeyId);
  });

  test('in a rotation the owner ends with exactly one key, the new one, its token in the sink', async () => {
    const s = await useStack({}, late);
    const ownerId = (await s.emulator.seed({ serviceAccounts: [{ name: 'billing-sa' }] }))
      .serviceAccountIds[0]!;
    const expiryTime = new Date((await env.currentTimeMs()) + 10 * DAY).toISOString();
    const { apiKeys } = await s.emulator.seed({
      apiKeys: [{ displayName: 'billing-key', ownerId, ownerType: 'service-account', expiryTime }],
    });
    s.emulator.faults.add({ kind: 'latency', ms: 800, operationId: 'listApiKeys', count: 3 });
    s.emulator.faults.add({ kind: 'late-commit', ms: 1_500, operationId: 'createApiKey', count: 1 });
    const result = await s.runWorker(async () =>
      (
        await env.client.workflow.start(rotateApiKey, {
          args: [{ keyId: apiKeys[0]!.keyId, gracePeriod: '1h' }],
          workflowId: workflowIds.rotateApiKey('service-account', ownerId),
          taskQueue: s.taskQueue,
        })
      ).result(),
    );
    expect(result.outcome).toBe('rotated');
    expect(s.emulator.snapshot().apiKeys.map((k) => k.id)).toEqual([result.newKeyId]);
    await expectEveryKeyHasItsToken(s);
    expect(s.emulator.requestLog.filter((e) => e.operationId === 'createApiKey').length).toBeGreaterThan(1);
  });
});

describe('the offboarding audit credits this run with the deletes whose answers were lost', () => {
  async function offboardWithLostAnswers(s: OpsStack) {
    const { userIds } = await s.emulator.seed({ users: [{ email: 'leaver@example.com' }] });
    const expiryTime = new Date((await env.currentTimeMs()) + 30 * DAY).toISOString();
    const { apiKeys } = await s.emulator.seed({
      apiKeys: Array.from({ length: 4 }, (_, i) => ({
        displayName: `leaver-key-${i}`,
        ownerId: userIds[0]!,
        ownerType: 'user' as const,
        expiryTime,
      })),
    });
    s.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'deleteApiKey', count: 3 });
    s.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'deleteUser', count: 1 });
    const report = await s.runWorker(async () =>
      (
        await env.client.workflow.start(offboardUser, {
          args: [{ email: 'leaver@example.com', requireApproval: false }],
          workflowId: workflowIds.offboardUser('leaver@example.com'),
          taskQueue: s.taskQueue,
        })
      ).result(),
    );
    expect(report.removed.map((r) => r.id).sort()).toEqual(
      [...apiKeys.map((k) => k.keyId), userIds[0]!].sort(),
    );
    expect(report.skipped).toEqual([]);
    expect(s.emulator.snapshot().apiKeys).toHaveLength(0);
    expect(s.emulator.snapshot().users).toHaveLength(0);
  }

  test('the retry finds its own delete still running', async () => {
    await offboardWithLostAnswers(await useStack());
  });

  test('the retry finds the key gone already (a 404 after its own delete)', async () => {
    await offboardWithLostAnswers(await useStack({ asyncOperationDurationMs: { '*': 0 } }));
  });

  test('a server that refuses reused operation ids', async () => {
    await offboardWithLostAnswers(await useStack({ operationIdReuse: 'refuse' }));
  });
});
