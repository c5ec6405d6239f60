// Offboarding's keys: where the API can disable a key (the real API's updateApiKey), every key of the leaver
// stops working first, all at once, then each is deleted; the report says when each stopped working.
import { workflowIds } from '../../src/catalog';
import { offboardUser } from '../../src/workflows';
import { apiAnswers, suiteWithStack, testDialect } from '../helpers/stack';

const cloud = testDialect() === 'cloud';
const cloudOnly = cloud ? test : test.skip;

const suite = suiteWithStack({ asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 5_000 });

/** The leaver with `count` keys, each with a description this product does not model. */
async function seedLeaver(count: number): Promise<{ userId: string; keyIds: string[] }> {
  const { userIds } = await suite.stack.emulator.seed({ users: [{ email: 'leaver@example.com' }] });
  const expiryTime = new Date((await suite.env.currentTimeMs()) + 30 * 86_400_000).toISOString();
  const { apiKeys } = await suite.stack.emulator.seed({
    apiKeys: Array.from({ length: count }, (_, i) => ({
      displayName: `key-${i}`,
      ownerId: userIds[0]!,
      ownerType: 'user' as const,
      expiryTime,
      preserved: { description: `laptop ${i}` },
    })),
  });
  suite.stack.emulator.clearRequestLog();
  return { userId: userIds[0]!, keyIds: apiKeys.map((k) => k.keyId) };
}

const offboard = (input: Parameters<typeof offboardUser>[0]) =>
  suite.stack.runWorker(async () =>
    (
      await suite.env.client.workflow.start(offboardUser, {
        args: [input],
        workflowId: workflowIds.offboardUser(input.email ?? ''),
        taskQueue: suite.stack.taskQueue,
      })
    ).result(),
  );

const operations = (type: string) =>
  suite.stack.emulator.snapshot().asyncOperations.filter((op) => op.operationType === type);

test('each key stopped working at a time the report gives: its disable (real API) or its delete', async () => {
  const { keyIds } = await seedLeaver(4);
  const report = await offboard({ email: 'leaver@example.com' });
  expect(report.outcome).toBe('completed');
  expect(suite.stack.emulator.snapshot().apiKeys).toEqual([]);
  const how = cloud ? 'updateApiKey' : 'deleteApiKey';
  const finished = new Map(operations(how).map((op) => [op.id, op.finishedTime]));
  expect(report.keysStopped.map((k) => k.id).sort()).toEqual([...keyIds].sort());
  for (const key of report.keysStopped) {
    expect(key.by).toBe(cloud ? 'disable' : 'delete');
    expect([...finished.values()]).toContain(key.at);
  }
  // Only the real API can disable a key: the given document's dialect never tries.
  expect(apiAnswers(suite.stack.emulator).some((e) => e.operationId === 'updateApiKey')).toBe(cloud);
});

cloudOnly(
  'every key is disabled, all at once, before the first is deleted; nothing else in its spec is lost',
  async () => {
    const { keyIds } = await seedLeaver(6);
    await offboard({ email: 'leaver@example.com', concurrency: 10 });
    const disables = operations('updateApiKey');
    expect(disables).toHaveLength(6);
    // All six were sent before the first finished: one call each, at once.
    const lastStart = Math.max(...disables.map((op) => Date.parse(op.startedTime!)));
    const firstEnd = Math.min(...disables.map((op) => Date.parse(op.finishedTime!)));
    expect(lastStart).toBeLessThan(firstEnd);
    const log = apiAnswers(suite.stack.emulator).filter((e) => e.method !== 'GET');
    const lastDisable = log.map((e) => e.operationId).lastIndexOf('updateApiKey');
    const firstDelete = log.map((e) => e.operationId).indexOf('deleteApiKey');
    expect(lastDisable).toBeLessThan(firstDelete);
    // One delete per key, counted by the operations started: the edge may lose a delete's answer (cloud).
    expect(operations('deleteApiKey')).toHaveLength(keyIds.length);
    // Each disable sent the key as read: its description went back with it (the stack checks no loss).
    expect(suite.stack.emulator.realism.losses()).toEqual([]);
  },
);

cloudOnly(
  'lost answers and retries: still one disable per key, each under its step’s operation id',
  async () => {
    // More keys than faults: an edge answer after a commit (a 502/504 on a mutation) settles a key's disable
    // without the fault layer, and which requests the edge takes depends on the order they arrive in.
    await seedLeaver(8);
    suite.stack.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'updateApiKey', count: 3 });
    suite.stack.emulator.faults.add({ kind: 'error', status: 503, operationId: 'updateApiKey', count: 2 });
    suite.stack.emulator.configure({ realismParams: { edgeAnswers: { every: 4 } } });
    const report = await offboard({ email: 'leaver@example.com' });
    expect(report.outcome).toBe('completed');
    expect(operations('updateApiKey')).toHaveLength(8);
    expect(report.keysStopped.every((k) => k.by === 'disable' && k.at !== undefined)).toBe(true);
    expect(suite.stack.emulator.faults.list()).toEqual([]);
  },
);
