import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { OwnerType } from '../../src/ops-api/types';
import { workflowIds } from '../../src/catalog';
import { rotateApiKey, rotateExpiringKeys } from '../../src/workflows';
import { mutations, stackPerTest, type OpsStack, dialectFreeTest } from '../helpers/stack';
import { failOperationOnce } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;

const DAY = 24 * 60 * 60_000;

stackPerTest(
  { asyncOperationDurationMs: { deleteApiKey: 60_000, '*': 20_000 }, checkDurationMs: 10_000 },
  (made) => ({ env, stack } = made),
);

interface Owner {
  id: string;
  type: OwnerType;
}

/** `count` keys spread over 10 service accounts and 5 users; `expiringInDays[i]` overrides key i's expiry. */
async function seedKeys(count: number, expiringInDays: Record<number, number>) {
  const { serviceAccountIds, userIds } = await stack.emulator.seed({
    serviceAccounts: Array.from({ length: 10 }, (_, i) => ({ name: `svc-${i}` })),
    users: Array.from({ length: 5 }, (_, i) => ({ email: `dev${i}@example.com` })),
  });
  const owners: Owner[] = [
    ...serviceAccountIds.map((id) => ({ id, type: 'service-account' as const })),
    ...userIds.map((id) => ({ id, type: 'user' as const })),
  ];
  const now = await env.currentTimeMs();
  const { apiKeys } = await stack.emulator.seed({
    apiKeys: Array.from({ length: count }, (_, i) => ({
      displayName: `key-${i}`,
      ownerId: owners[i % owners.length]!.id,
      ownerType: owners[i % owners.length]!.type,
      expiryTime: new Date(now + (expiringInDays[i] ?? 200) * DAY).toISOString(),
    })),
  });
  return { owners, keyIds: apiKeys.map((k) => k.keyId) };
}

function sweep(input: Parameters<typeof rotateExpiringKeys>[0]) {
  return env.client.workflow.start(rotateExpiringKeys, {
    args: [input],
    workflowId: workflowIds.rotateExpiringKeys(),
    taskQueue: stack.taskQueue,
  });
}

test('300 keys, a few expiring: exactly those rotated, one failure reported, the rest finish', async () => {
  const expiring = [3, 18, 40, 77, 150, 299]; // 3 and 18 share an owner: rotated one after the other
  const { keyIds } = await seedKeys(300, { 3: 2, 18: 5, 40: 9, 77: 13, 150: 1, 299: 14, 10: 4, 200: 15 });
  // Due, but already on its way out: skipped.
  await stack.client.deleteApiKey(keyIds[10]!, { asyncOperationId: 'deleted-by-hand' });
  failOperationOnce(stack.emulator, 'createApiKey');
  stack.emulator.clearRequestLog();

  const result = await stack.runWorker(async () =>
    (
      await sweep({
        leadDays: 14,
        pageSize: 50,
        batchSize: 2,
        batchesPerRun: 1,
        concurrency: 3,
        gracePeriod: '0',
      })
    ).result(),
  );

  expect(result.runs).toBeGreaterThan(2); // continued as new, carrying the page token and counts
  expect(result.scanned).toBeGreaterThanOrEqual(300);
  expect(result.selected).toBe(6);
  expect(result.rotated).toBe(5);
  expect(result.failed).toBe(1);
  expect(result.skipped).toEqual({ deleting: 1 });
  expect(result.failures).toHaveLength(1);
  expect(result.failures[0]!.reason).toMatch(/quota exceeded/);

  const failedKey = result.failures[0]!.keyId;
  const expectedRotated = expiring.map((i) => keyIds[i]!).filter((id) => id !== failedKey);
  expect(result.rotatedKeys.map((r) => r.keyId).sort()).toEqual([...expectedRotated].sort());

  const state = stack.emulator.snapshot().apiKeys;
  const remaining = new Set(state.map((k) => k.id));
  for (const id of expectedRotated) expect(remaining.has(id)).toBe(false);
  expect(remaining.has(failedKey)).toBe(true); // the failed rotation kept the old key
  expect(remaining.has(keyIds[200]!)).toBe(true); // 15 days out: not due
  // Every other seeded key untouched, plus one replacement per rotated key, each with its token in the sink.
  expect(state).toHaveLength(300 - 1); // key 10 deleted; each rotated key swapped for its replacement
  for (const r of result.rotatedKeys) {
    expect(remaining.has(r.newKeyId)).toBe(true);
    expect(await stack.secrets.has(`api-keys/${r.newKeyId}`)).toBe(true);
  }
  // One delete per rotated key (counted by the operations started: a delete's answer may be lost at the edge).
  const deletes = stack.emulator
    .snapshot()
    .asyncOperations.filter((op) => op.operationType === 'deleteApiKey' && op.id !== 'deleted-by-hand');
  expect(deletes).toHaveLength(expectedRotated.length);
});

dialectFreeTest('dry run selects without changing anything', async () => {
  const { keyIds } = await seedKeys(120, { 5: 3, 60: 10, 119: 30 });
  stack.emulator.clearRequestLog();
  const result = await stack.runWorker(async () =>
    (await sweep({ leadDays: 14, dryRun: true, pageSize: 25, batchesPerRun: 2 })).result(),
  );
  expect(result.wouldRotate.map((c) => c.keyId).sort()).toEqual([keyIds[5]!, keyIds[60]!].sort());
  expect(result.wouldRotate.every((c) => c.reason === 'expiring')).toBe(true);
  expect(result).toMatchObject({ dryRun: true, rotated: 0, selected: 2, scanned: 120, notDue: 118 });
  expect(mutations(stack.emulator)).toEqual([]);
});

dialectFreeTest(
  'maxAgeDays selects old keys; an owner already being rotated is skipped, not failed',
  async () => {
    const { keyIds } = await seedKeys(30, { 1: 3, 2: 4 });
    await env.sleep('40 days'); // every seeded key is now 40 days old; keys 1 and 2 have expired
    const [busy] = stack.emulator.snapshot().apiKeys.filter((k) => k.id === keyIds[2]);
    // Another rotation of key 2's owner holds the owner's workflow id (parked on a queue nobody polls).
    // Its pending task stops the test server from skipping time, so operations finish at once here.
    stack.emulator.configure({ asyncOperationDurationMs: 0 });
    const manual = await env.client.workflow.start(rotateApiKey, {
      args: [{ keyId: busy!.id }],
      workflowId: workflowIds.rotateApiKey(busy!.spec.ownerType, busy!.spec.ownerId),
      taskQueue: `${stack.taskQueue}-parked`,
    });
    const result = await stack.runWorker(async () =>
      (await sweep({ leadDays: 0, maxAgeDays: 60, expiryDays: 30 })).result(),
    );
    await manual.terminate('test done');
    // Keys 1 and 2 expired; nothing is older than 60 days.
    expect(result.rotatedKeys.map((r) => r.keyId)).toEqual([keyIds[1]]);
    expect(result.skipped).toEqual({ 'rotation-in-progress': 1 });
    expect(result.failed).toBe(0);

    const older = await stack.runWorker(async () =>
      (await sweep({ leadDays: 0, maxAgeDays: 30, expiryDays: 30, dryRun: true })).result(),
    );
    // Everything seeded is older than 30 days now (the key in its grace period too); replacements are not.
    expect(older.selected).toBe(29);
    expect(older.wouldRotate.filter((c) => c.reason === 'too-old')).toHaveLength(28);
  },
);
