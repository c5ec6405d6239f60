import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { offboardUserKind, workflowIds } from '../../src/catalog';
import { main as offboardMain } from '../../src/starters/offboard-user';
import {
  approveOffboardingSignal,
  offboardStatusQuery,
  offboardUser,
  rejectOffboardingSignal,
  type OffboardStatus,
} from '../../src/workflows';
import { dialectFreeTest, mutations, stackPerTest, testDialect, type OpsStack } from '../helpers/stack';
import { expectRefusedUnchanged, untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
let leaverId: string;
let stayerKeyId: string;

const EMAIL = 'Leaver@Example.com';
const DAY = 24 * 60 * 60_000;

stackPerTest(
  { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 10_000 },
  (made) => ({ env, stack } = made),
);

/** The leaver with `keyCount` keys, and a colleague with one key that must survive. */
async function seedUsers(keyCount: number): Promise<string[]> {
  const { userIds } = await stack.emulator.seed({
    users: [{ email: 'leaver@example.com' }, { email: 'stayer@example.com' }],
  });
  leaverId = userIds[0]!;
  const expiryTime = new Date((await env.currentTimeMs()) + 30 * DAY).toISOString();
  const { apiKeys } = await stack.emulator.seed({
    apiKeys: [
      { displayName: 'stayer-key', ownerId: userIds[1]!, ownerType: 'user', expiryTime },
      ...Array.from({ length: keyCount }, (_, i) => ({
        displayName: `leaver-key-${i}`,
        ownerId: leaverId,
        ownerType: 'user' as const,
        expiryTime,
      })),
    ],
  });
  stayerKeyId = apiKeys[0]!.keyId;
  stack.emulator.clearRequestLog();
  return apiKeys.slice(1).map((k) => k.keyId);
}

function start(input: Parameters<typeof offboardUser>[0]) {
  return env.client.workflow.start(offboardUser, {
    args: [input],
    workflowId: workflowIds.offboardUser(input.email ?? input.userId ?? ''),
    taskQueue: stack.taskQueue,
  });
}

const until = (handle: WorkflowHandle, done: (s: OffboardStatus) => boolean, step = '1s') =>
  untilStatus(env, handle, offboardStatusQuery, done, step);

const state = () => stack.emulator.snapshot();

test('dry run returns the plan and changes nothing', async () => {
  const keyIds = await seedUsers(3);
  const report = await stack.runWorker(async () => (await start({ email: EMAIL, dryRun: true })).result());
  expect(report).toMatchObject({ outcome: 'dry-run', changed: false, removed: [] });
  expect(report.plan.user).toMatchObject({ id: leaverId, email: 'leaver@example.com' });
  expect(report.plan.apiKeys.map((k) => k.id).sort()).toEqual([...keyIds].sort());
  expect(report.skipped.map((s) => s.reason)).toEqual(Array(4).fill('dry run'));
  expect(mutations(stack.emulator)).toEqual([]);
  expect(state().apiKeys).toHaveLength(4);
});

(testDialect() === 'cloud' ? test : test.skip)(
  'dry run shows a disabled key as disabled (the API still calls it active)',
  async () => {
    const [keyId] = await seedUsers(2);
    const key = await stack.client.getApiKey(keyId!);
    await stack.client.updateApiKey({
      keyId: keyId!,
      resourceVersion: key.resourceVersion,
      spec: { ...key.spec, disabled: true },
      asyncOperationId: 'test-disable',
    });
    await env.sleep('30s');
    const report = await stack.runWorker(async () => (await start({ email: EMAIL, dryRun: true })).result());
    const planned = Object.fromEntries(report.plan.apiKeys.map((k) => [k.id, [k.state, k.disabled]]));
    expect(planned[keyId!]).toEqual(['active', true]);
    expect(Object.values(planned).filter(([, disabled]) => !disabled)).toEqual([['active', false]]);
    expect(offboardUserKind.starter!.summarize!(report)).toMatch(
      /would delete 2 API keys \(1 of them disabled already\)/,
    );
  },
);

dialectFreeTest(
  "the policy's approval is the run's own: the requester's approval and an unlisted approver's are refused in its status",
  async () => {
    await seedUsers(1);
    const report = await stack.runWorker(async () => {
      // As the front door starts it: requireApproval left out (false), the policy's answer in `approval`.
      const h = await start({
        email: EMAIL,
        approval: {
          requestedBy: 'pat@example.com',
          approvers: ['alice'],
          required: true,
          reasons: ['policy'],
        },
      });
      await until(h, (st) => st.step === 'awaiting-approval');
      // However it is sent (this is what `temporal workflow signal --name approve` does).
      await h.signal(approveOffboardingSignal, { approver: 'Pat@Example.com' });
      await h.signal(approveOffboardingSignal, { approver: 'mallory' });
      const s = await until(h, (st) => st.refusedDecisions?.length === 2);
      expect(s).toMatchObject({
        step: 'awaiting-approval',
        approval: { requestedBy: 'pat@example.com', approvers: ['alice'], required: true },
      });
      expect(s.refusedDecisions!.map((r) => r.by)).toEqual(['Pat@Example.com', 'mallory']);
      expect(mutations(stack.emulator)).toEqual([]);
      await h.signal(approveOffboardingSignal, { approver: 'alice' });
      return h.result();
    });
    expect(report).toMatchObject({
      outcome: 'completed',
      request: { requireApproval: true },
      approval: { by: 'alice' },
    });
  },
);

test('with approval: waits for the signal, then deletes keys and user; the report names the approver', async () => {
  const keyIds = await seedUsers(3);
  const report = await stack.runWorker(async () => {
    const h = await start({ email: EMAIL, requireApproval: true });
    const s = await until(h, (st) => st.step === 'awaiting-approval');
    expect(s.plan?.apiKeys).toHaveLength(3);
    expect(mutations(stack.emulator)).toEqual([]);
    await h.signal(approveOffboardingSignal, { approver: 'alice', comment: 'ticket OPS-42' });
    return h.result();
  });
  expect(report).toMatchObject({
    outcome: 'completed',
    changed: true,
    approval: { decision: 'approved', by: 'alice', comment: 'ticket OPS-42' },
    skipped: [],
  });
  expect(
    report.removed
      .filter((r) => r.kind === 'apiKey')
      .map((r) => r.id)
      .sort(),
  ).toEqual([...keyIds].sort());
  expect(report.removed.at(-1)).toEqual({ kind: 'user', id: leaverId, name: 'leaver@example.com' });
  expect(state().users.map((u) => u.spec.email)).toEqual(['stayer@example.com']);
  expect(state().apiKeys.map((k) => k.id)).toEqual([stayerKeyId]);
});

dialectFreeTest('rejection changes nothing and says who rejected', async () => {
  await seedUsers(2);
  const report = await stack.runWorker(async () => {
    const h = await start({ email: EMAIL, requireApproval: true });
    await until(h, (st) => st.step === 'awaiting-approval');
    await h.signal(rejectOffboardingSignal, { approver: 'bob', reason: 'wrong person' });
    return h.result();
  });
  expect(report).toMatchObject({
    outcome: 'rejected',
    changed: false,
    approval: { decision: 'rejected', by: 'bob' },
  });
  expect(report.skipped.every((s) => s.reason === 'rejected by bob')).toBe(true);
  expect(mutations(stack.emulator)).toEqual([]);
});

dialectFreeTest('no approval in time: nothing changed, reported as such', async () => {
  await seedUsers(2);
  const report = await stack.runWorker(async () =>
    (await start({ email: EMAIL, requireApproval: true, approvalTimeout: '2d' })).result(),
  );
  expect(report).toMatchObject({ outcome: 'approval-timed-out', changed: false, removed: [] });
  expect(report.skipped[0]!.reason).toBe('no approval within 2d');
  expect(Date.parse(report.completedAt) - Date.parse(report.startedAt)).toBeGreaterThanOrEqual(2 * DAY);
  expect(mutations(stack.emulator)).toEqual([]);
});

dialectFreeTest('120 keys are deleted with bounded parallelism, each deletion waited for', async () => {
  const keyIds = await seedUsers(120);
  const report = await stack.runWorker(async () =>
    (await start({ userId: leaverId, concurrency: 8 })).result(),
  );
  expect(report.removed).toHaveLength(121);
  expect(state().apiKeys.map((k) => k.id)).toEqual([stayerKeyId]);
  expect(state().users).toHaveLength(1);

  // Each key is "in flight" from its delete until the poll that found that delete fulfilled (a fulfilled delete is
  // the key gone); never more than 8 at once.
  const deletes = state().asyncOperations.filter((op) => op.operationType === 'deleteApiKey');
  expect(deletes).toHaveLength(keyIds.length);
  const spans = deletes.map((op) => {
    const finished = Date.parse(op.finishedTime!);
    const sawIt = stack.emulator.requestLog.find(
      (e) => e.method === 'GET' && e.path.endsWith(`/${op.id}`) && e.time >= finished,
    )!;
    return [Date.parse(op.startedTime!), sawIt.time] as const;
  });
  const events = spans.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let inFlight = 0;
  let peak = 0;
  for (const [, d] of events) peak = Math.max(peak, (inFlight += d!));
  expect(peak).toBeLessThanOrEqual(8);
  expect(peak).toBeGreaterThanOrEqual(4);
});

dialectFreeTest('a re-run after a crash mid-way finishes the job without errors', async () => {
  await seedUsers(30);
  await stack.runWorker(async () => {
    const first = await start({ email: EMAIL, concurrency: 3 });
    await until(first, (st) => st.keysDone >= 6, '5s');
    await first.terminate('simulated crash');
  });
  const between = state().apiKeys.filter((k) => k.spec.ownerId === leaverId);
  expect(between.length).toBeGreaterThan(0);
  expect(between.length).toBeLessThan(30);

  const report = await stack.runWorker(async () => (await start({ email: EMAIL, concurrency: 3 })).result());
  expect(report.outcome).toBe('completed');
  // Only what was left is listed; keys the crashed run had started deleting count as done either way.
  expect(report.plan.apiKeys.length).toBe(between.length);
  expect(report.removed.length + report.skipped.length).toBe(between.length + 1);
  expect(state().apiKeys.map((k) => k.id)).toEqual([stayerKeyId]);
  expect(state().users).toHaveLength(1);
});

test('429s, 5xx and dropped delete responses: no error leaks, final state correct', async () => {
  await seedUsers(10);
  // Only these faults answer: an edge's answer after a commit (cloud) would make a retry find its own operation
  // and leave a fault below unused (edge answers have their own suite).
  stack.emulator.configure({ realism: { edgeAnswers: false } });
  const { faults } = stack.emulator;
  faults.add({ kind: 'commit-then-drop', operationId: 'deleteApiKey', count: 3 });
  faults.add({ kind: 'commit-then-drop', operationId: 'deleteUser', count: 1 });
  faults.add({ kind: 'rate-limit', retryAfterSeconds: 20, operationId: 'deleteApiKey', count: 3 });
  faults.add({ kind: 'error', status: 503, operationId: 'deleteUser', count: 1 });
  faults.add({ kind: 'error', status: 500, operationId: 'listUsers', count: 2 });
  const report = await stack.runWorker(async () => (await start({ email: EMAIL })).result());
  expect(report.outcome).toBe('completed');
  expect(report.removed).toHaveLength(11);
  expect(faults.list()).toEqual([]);
  expect(state().apiKeys.map((k) => k.id)).toEqual([stayerKeyId]);
  expect(state().users).toHaveLength(1);
});

test('keys only: deleteUser false revokes the keys and keeps the user', async () => {
  await seedUsers(2);
  const report = await stack.runWorker(async () =>
    (await start({ userId: leaverId, deleteUser: false })).result(),
  );
  expect(report.removed.map((r) => r.kind)).toEqual(['apiKey', 'apiKey']);
  expect(report.skipped).toEqual([
    { kind: 'user', id: leaverId, name: 'leaver@example.com', reason: 'kept: deleteUser is false' },
  ]);
  expect(state().users).toHaveLength(2);
});

test.each([
  ['no user with that email', { email: 'nobody@example.com' }, /no user with email nobody@example.com/],
  ['no user with that id', { userId: 'u-missing' }, /no user with id u-missing/],
  ['both email and id', { email: EMAIL, userId: 'x' }, /give exactly one of email or userId/],
])('refuses %s, non-retryably', async (_label, input, expected) => {
  await seedUsers(1);
  const err = await stack.runWorker(async () => (await start(input)).result().catch((e: unknown) => e));
  expectRefusedUnchanged(err, stack.emulator, expected);
});

dialectFreeTest(
  'starter: start, a second start attaches and says so, --approve signals the waiting run',
  async () => {
    await seedUsers(2);
    const cli = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await offboardMain(argv, {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        env: { TASK_QUEUE: stack.taskQueue },
        connect: async () => ({
          client: env.client,
          namespace: 'default',
          address: 'test',
          close: async () => undefined,
        }),
      });
      return { code, stdout, stderr };
    };
    const usage = await cli('--email', 'not-an-email', '--approve');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--email: must be an email address/);
    expect(usage.stderr).toMatch(/--approve: needs --approver/);

    await stack.runWorker(async () => {
      const first = await cli('--email', EMAIL, '--require-approval');
      expect(first).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/started new run of offboard-user\/leaver@example.com/),
      });
      const second = await cli('--email', EMAIL, '--require-approval');
      expect(second.stdout).toMatch(
        /attached to existing run of offboard-user\/leaver@example.com .*RUNNING.*no new run started/,
      );
      await until(
        env.client.workflow.getHandle(workflowIds.offboardUser(EMAIL)),
        (s) => s.step === 'awaiting-approval',
      );
      const approved = await cli('--email', EMAIL, '--approve', '--approver', 'alice', '--wait', '--json');
      expect(approved.code).toBe(0);
      const doc = JSON.parse(approved.stdout) as { result: { outcome: string; approval: { by: string } } };
      expect(doc.result).toMatchObject({ outcome: 'completed', approval: { by: 'alice' } });
      // Nothing is waiting any more: a signal is refused instead of starting anything.
      expect((await cli('--email', EMAIL, '--reject')).code).toBe(1);
      // The finished run does not block a new one under the same id (e.g. a re-run after a partial run).
      const again = await cli('--email', EMAIL, '--wait');
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(
        /started new run of offboard-user\/leaver@example.com[\s\S]*no user with email/,
      );
    });
    expect(state().users).toHaveLength(1);
  },
);
