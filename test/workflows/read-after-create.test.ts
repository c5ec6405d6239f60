// The real API's read-after-create lag (emulator switch `readAfterCreateLag`, turned on here for both dialects):
// a namespace just created reads PERMISSION_DENIED / NOT_FOUND for a while. Provisioning waits for it, durably and
// within a window; it never rolls back for it; and neither a rollback nor a decommission takes it for gone.
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import { decommissionNamespace, provisionNamespace } from '../../src/workflows';
import { historyEventCount } from '../helpers/history';
import { apiAnswers, type OpsStack, stackPerTest } from '../helpers/stack';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
const MINUTE = 60_000;

stackPerTest(
  {
    asyncOperationDurationMs: { createNamespace: 60_000, '*': 5_000 },
    checkDurationMs: 5_000,
    realism: { readAfterCreateLag: true },
    realismParams: { readAfterCreateLag: { lagMs: 90_000 } },
  },
  (made) => ({ env, stack } = made),
);

const input = {
  name: 'lagging',
  region: 'aws-us-east-1',
  retentionDays: 7,
  serviceAccount: { permission: 'write' as const },
  apiKey: { expiryDays: 30 },
};

const provision = (extra: Record<string, unknown> = {}) =>
  stack.runWorker(async () => {
    const handle = await env.client.workflow.start(provisionNamespace, {
      args: [{ ...input, ...extra }],
      workflowId: workflowIds.provisionNamespace(input.name),
      taskQueue: stack.taskQueue,
    });
    return { handle, result: await handle.result().catch((e: unknown) => e) };
  });

// What the API answered: the edge's answers (realism switch edgeAnswers) are not the lag's.
const lagAnswers = () =>
  apiAnswers(stack.emulator)
    .filter((e) => e.operationId === 'getNamespace' && e.status >= 400)
    .map((e) => e.status);

test('a namespace that reads PERMISSION_DENIED / NOT_FOUND once created is waited for, then provisioning goes on', async () => {
  const { handle, result } = await provision();
  expect(result).toMatchObject({ namespace: 'lagging.a1b2c', created: { namespace: 'lagging.a1b2c' } });
  // It was read every ~10 s until it answered: both of the lag's answers, then success; nothing rolled back.
  const answers = lagAnswers();
  expect(answers.length).toBeGreaterThanOrEqual(8);
  expect(new Set(answers)).toEqual(new Set([403, 404]));
  const state = stack.emulator.snapshot();
  expect([state.namespaces.length, state.serviceAccounts.length, state.apiKeys.length]).toEqual([1, 1, 1]);
  expect(stack.emulator.requestLog.filter((e) => e.method === 'DELETE')).toEqual([]);
  // Durably, on activity retries: the whole wait is a few events, not one per read.
  expect(historyEventCount(await handle.fetchHistory())).toBeLessThan(80);
});

test('past the window it fails clearly, and the namespace is left in place, neither deleted nor called gone', async () => {
  stack.emulator.configure({ realismParams: { readAfterCreateLag: { lagMs: 10 * MINUTE } } });
  const { result } = await provision({ wait: { readAfterCreateMinutes: 2 } });
  expect(result).toBeInstanceOf(WorkflowFailedError);
  const message = (result as WorkflowFailedError).cause?.message ?? '';
  expect(message).toMatch(/namespace lagging\.a1b2c still answered (PERMISSION_DENIED|NOT_FOUND) 2 min/);
  expect(message).toMatch(
    /Rolled back: nothing\. Left in place: namespace lagging\.a1b2c \(it could not be read/,
  );
  expect(stack.emulator.requestLog.filter((e) => e.method === 'DELETE')).toEqual([]);
  expect(stack.emulator.snapshot().namespaces.map((n) => n.state)).toEqual(['active']);
});

test('a decommission right after the create waits until the namespace reads, and deletes it', async () => {
  const created = await stack.client.createNamespace({
    spec: { name: 'fresh', region: 'aws-us-east-1', retentionDays: 7 },
  });
  await env.sleep(61_000); // the create is fulfilled; the namespace now lags
  const result = await stack.runWorker(() =>
    env.client.workflow.execute(decommissionNamespace, {
      args: [{ name: 'fresh' }],
      workflowId: workflowIds.decommissionNamespace('fresh'),
      taskQueue: stack.taskQueue,
    }),
  );
  expect(created.namespace).toBe('fresh.a1b2c');
  expect(result).toMatchObject({ outcome: 'deleted', namespace: 'fresh.a1b2c' });
  expect(lagAnswers().length).toBeGreaterThan(0);
  expect(stack.emulator.snapshot().namespaces).toEqual([]);
});
