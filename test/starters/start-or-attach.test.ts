import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startOrAttach, WorkflowIdTakenError } from '../../src/client';
import { provisionNamespace } from '../../src/workflows/provision-namespace';
import { createLocalEnv } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createLocalEnv();
});
afterAll(async () => {
  await env?.teardown();
});

// No worker polls this queue: runs stay RUNNING until the test closes them, which is all startOrAttach sees.
const options = (workflowId: string) => ({
  workflowId,
  taskQueue: 'start-or-attach-no-worker',
  args: [{ name: 'payments-prod', region: 'aws-us-east-1', retentionDays: 30 }] as [
    Parameters<typeof provisionNamespace>[0],
  ],
});

test('a duplicate start attaches to the running execution', async () => {
  const first = await startOrAttach(env.client, provisionNamespace, options('soa/running'));
  const second = await startOrAttach(env.client, provisionNamespace, options('soa/running'));
  expect(first).toMatchObject({ started: true });
  expect(first.existing).toBeUndefined();
  expect(second).toMatchObject({
    started: false,
    runId: first.runId,
    existing: { status: 'RUNNING', sameArgs: true },
  });
  expect(second.handle.workflowId).toBe('soa/running');
  expect((await second.handle.describe()).runId).toBe(first.runId);
});

test('a start after the run finished attaches to it instead of starting another', async () => {
  const first = await startOrAttach(env.client, provisionNamespace, options('soa/finished'));
  await first.handle.terminate('test');
  const again = await startOrAttach(env.client, 'provisionNamespace', options('soa/finished'));
  expect(again).toMatchObject({ started: false, runId: first.runId, existing: { status: 'TERMINATED' } });
  expect(again.existing!.closeTime).toBeInstanceOf(Date);
});

test('an id held by another workflow type is an error, not an attach', async () => {
  await startOrAttach(env.client, provisionNamespace, options('soa/typed'));
  await expect(startOrAttach(env.client, 'decommissionNamespace', options('soa/typed'))).rejects.toThrow(
    WorkflowIdTakenError,
  );
});

test('an attach says whether the existing run was started with the same args', async () => {
  const base = options('soa/args');
  await startOrAttach(env.client, provisionNamespace, base);
  // Same content, keys in another order: the same request.
  const reordered = await startOrAttach(env.client, provisionNamespace, {
    ...base,
    args: [{ retentionDays: 30, region: 'aws-us-east-1', name: 'payments-prod' }],
  });
  expect(reordered.existing?.sameArgs).toBe(true);
  const other = await startOrAttach(env.client, provisionNamespace, {
    ...base,
    args: [{ ...base.args[0], retentionDays: 7 }],
  });
  expect(other).toMatchObject({ started: false, existing: { sameArgs: false } });

  // Started by someone else without a fingerprint: unknown, not "different".
  await env.client.workflow.start(provisionNamespace, { ...base, workflowId: 'soa/foreign' });
  const foreign = await startOrAttach(env.client, provisionNamespace, { ...base, workflowId: 'soa/foreign' });
  expect(foreign.started).toBe(false);
  expect(foreign.existing?.sameArgs).toBeUndefined();
});

test('with ALLOW_DUPLICATE a finished run no longer blocks a new one, a running one still does', async () => {
  const recurring = { ...options('soa/recurring'), workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const };
  const first = await startOrAttach(env.client, provisionNamespace, recurring);
  expect((await startOrAttach(env.client, provisionNamespace, recurring)).runId).toBe(first.runId);
  await first.handle.terminate('test');
  const next = await startOrAttach(env.client, provisionNamespace, recurring);
  expect(next.started).toBe(true);
  expect(next.runId).not.toBe(first.runId);
});

test('the same request id is the same run, also after it closed and whatever the reuse policy', async () => {
  const opts = { ...options('soa/request-id'), workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const };
  const first = await startOrAttach(env.client, provisionNamespace, { ...opts, requestId: 'req-1' });
  await first.handle.terminate('test');
  // Another request may start a new run (ALLOW_DUPLICATE); the first one, sent again, may not.
  const again = await startOrAttach(env.client, provisionNamespace, { ...opts, requestId: 'req-1' });
  expect(again.runId).toBe(first.runId);
  const other = await startOrAttach(env.client, provisionNamespace, { ...opts, requestId: 'req-2' });
  expect(other).toMatchObject({ started: true });
  expect(other.runId).not.toBe(first.runId);
});

test('a closed run is asked whether it still holds: if not, a new run takes its place; a running one is never asked', async () => {
  const asked: string[] = [];
  const first = await startOrAttach(env.client, provisionNamespace, options('soa/holds'));
  const holds = (answer: boolean) => async (run: { runId: string; status: string }) => {
    asked.push(`${run.runId}:${run.status}`);
    return answer;
  };
  // Running: joined, whatever the check would say.
  expect(
    await startOrAttach(env.client, provisionNamespace, {
      ...options('soa/holds'),
      closedRunHolds: holds(false),
    }),
  ).toMatchObject({ started: false, runId: first.runId });
  expect(asked).toEqual([]);

  await first.handle.terminate('test');
  const kept = await startOrAttach(env.client, provisionNamespace, {
    ...options('soa/holds'),
    closedRunHolds: holds(true),
  });
  expect(kept).toMatchObject({ started: false, runId: first.runId, existing: { status: 'TERMINATED' } });
  const replaced = await startOrAttach(env.client, provisionNamespace, {
    ...options('soa/holds'),
    closedRunHolds: holds(false),
  });
  expect(replaced).toMatchObject({ started: true, replaced: { runId: first.runId, status: 'TERMINATED' } });
  expect(replaced.runId).not.toBe(first.runId);
  expect(asked).toEqual([`${first.runId}:TERMINATED`, `${first.runId}:TERMINATED`]);
  expect((await replaced.handle.describe()).status.name).toBe('RUNNING');
});
