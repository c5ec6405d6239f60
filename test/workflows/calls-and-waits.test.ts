// What a unit of work costs: the Ops API calls of an offboarding and of a rotation (each operation counted in the
// emulator's request log), and the Temporal Actions of a wait that polls inside one heartbeating attempt.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EmulatorOptions } from '../../src/emulator';
import { workflowIds } from '../../src/catalog';
import { offboardUser, rotateApiKey } from '../../src/workflows';
import { apiAnswers, createOpsStack, testDialect, type OpsStack, type StackOptions } from '../helpers/stack';
import { envPerFile } from '../helpers/temporal';

const cloud = testDialect() === 'cloud';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
envPerFile((made) => (env = made));
let stack: OpsStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Counts, not fault handling: the edge's lost answers (edge-answers.test.ts) would add retries to them. */
async function stackWith(emulator: EmulatorOptions, options: StackOptions = {}): Promise<OpsStack> {
  stack = await createOpsStack(env, { ...emulator, realism: { edgeAnswers: false } }, options);
  return stack;
}

/** How many requests of each operation the API answered (with any status). */
function callsByOperation(s: OpsStack): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { operationId = 'unknown' } of apiAnswers(s.emulator))
    counts[operationId] = (counts[operationId] ?? 0) + 1;
  return counts;
}

async function seedLeaver(s: OpsStack, keys: number): Promise<string[]> {
  const { userIds } = await s.emulator.seed({ users: [{ email: 'leaver@example.com' }] });
  const expiryTime = new Date((await env.currentTimeMs()) + 30 * DAY).toISOString();
  const { apiKeys } = await s.emulator.seed({
    apiKeys: Array.from({ length: keys }, (_, i) => ({
      displayName: `key-${i}`,
      ownerId: userIds[0]!,
      ownerType: 'user' as const,
      expiryTime,
    })),
  });
  s.emulator.clearRequestLog();
  return apiKeys.map((k) => k.keyId);
}

const LEAVER_RUN = workflowIds.offboardUser('leaver@example.com');

const startOffboarding = (s: OpsStack) =>
  env.client.workflow.start(offboardUser, {
    args: [{ email: 'leaver@example.com' }],
    workflowId: LEAVER_RUN,
    taskQueue: s.taskQueue,
  });

function offboard(s: OpsStack) {
  return s.runWorker(async () => (await startOffboarding(s)).result());
}

test('an offboarding sends each delete with the version it listed and reads nothing after a fulfilled delete', async () => {
  const s = await stackWith({ asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 5_000 });
  await seedLeaver(s, 3);
  const report = await offboard(s);
  expect(report.outcome).toBe('completed');
  expect(s.emulator.snapshot().apiKeys).toEqual([]);
  const calls = callsByOperation(s);
  // Found by email, its keys listed: no read of the user or of a key before its delete, none after (the real API's
  // user is read once, for the groups and custom roles it holds).
  expect(calls).toMatchObject({ listUsers: 1, listApiKeys: 1, deleteApiKey: 3, deleteUser: 1 });
  expect(calls.getUser).toBe(cloud ? 1 : undefined);
  expect(calls.listRegions).toBeUndefined();
  // The real API disables each key first: one read for its spec, then the update; the delete reads it again, as
  // the disable changed the version listed. The given document has no disable.
  expect(calls.getApiKey).toBe(cloud ? 6 : undefined);
  expect(calls.updateApiKey).toBe(cloud ? 3 : undefined);
  // Polls only: no first attempt looked for an operation of its own (every one answered).
  const polls = apiAnswers(s.emulator).filter((e) => e.operationId === 'getAsyncOperation');
  expect(polls.every((e) => e.status === 200)).toBe(true);
  // Each wait on a 20-s operation with a 5-s hint: ⌈20/5⌉ + 1 polls at most.
  const waits = (cloud ? 3 : 0) + 3 + 1;
  expect(polls.length).toBeLessThanOrEqual(waits * 5);
});

test('a rotation reads the old key once and the new one once, and deletes the old one with the version it read', async () => {
  const s = await stackWith({ asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 10_000 });
  const { serviceAccountIds } = await s.emulator.seed({ serviceAccounts: [{ name: 'billing-sa' }] });
  const ownerId = serviceAccountIds[0]!;
  const expiryTime = new Date((await env.currentTimeMs()) + 10 * DAY).toISOString();
  const { apiKeys } = await s.emulator.seed({
    apiKeys: [{ displayName: 'billing-key', ownerId, ownerType: 'service-account', expiryTime }],
  });
  s.emulator.clearRequestLog();
  const result = await s.runWorker(async () =>
    (
      await env.client.workflow.start(rotateApiKey, {
        args: [{ keyId: apiKeys[0]!.keyId, gracePeriod: '0', deleteOldKey: true }],
        workflowId: workflowIds.rotateApiKey('service-account', ownerId),
        taskQueue: s.taskQueue,
      })
    ).result(),
  );
  expect(result.outcome).toBe('rotated');
  const calls = callsByOperation(s);
  expect(calls).toMatchObject({ getApiKey: 2, listApiKeys: 1, createApiKey: 1, deleteApiKey: 1 });
  expect(calls.listRegions).toBeUndefined();
});

/** The attempt numbers of each awaitAsyncOperation in the run's history (one entry per wait). */
async function waitAttempts(workflowId: string): Promise<number[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const waits = new Set<string>();
  const attempts: number[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'awaitAsyncOperation') waits.add(String(e.eventId));
    const started = e.activityTaskStartedEventAttributes;
    if (started && waits.has(String(started.scheduledEventId))) attempts.push(started.attempt ?? 0);
  }
  return attempts;
}

test('with a hint shorter than the heartbeat interval, a wait polls inside one attempt: one Action per wait', async () => {
  // Real seconds: the test server cannot skip time while an activity sleeps.
  const s = await stackWith(
    { asyncOperationDurationMs: { '*': 3_000 }, checkDurationMs: 1_000 },
    { waitMode: 'auto' },
  );
  await seedLeaver(s, 1);
  expect((await offboard(s)).outcome).toBe('completed');
  const attempts = await waitAttempts(LEAVER_RUN);
  // A delete of the key and of the user (and the key's disable on the real API), each one attempt.
  expect(attempts).toEqual(cloud ? [1, 1, 1] : [1, 1]);
  // ...which polled several times: the polls happened inside it.
  const polls = apiAnswers(s.emulator).filter((e) => e.operationId === 'getAsyncOperation').length;
  expect(polls).toBeGreaterThanOrEqual(attempts.length * 3);
});

test('in retries mode (what the time-skipping stacks run) the same wait is one attempt per poll', async () => {
  const s = await stackWith({ asyncOperationDurationMs: { '*': 3_000 }, checkDurationMs: 1_000 });
  await seedLeaver(s, 1);
  expect((await offboard(s)).outcome).toBe('completed');
  const attempts = await waitAttempts(LEAVER_RUN);
  expect(attempts.every((a) => a >= 3)).toBe(true);
});
