// The compensation helper every undoing workflow uses: newest first, past failures (kept for a retry), and to the
// end even while the workflow is being cancelled.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { bundleOnce, envPerFile, inThreadWorkflows } from '../helpers/temporal';
import { undoAfterClear, undoInOrder, undoWhenCancelled } from './compensation-workflows';

const workflowsPath = require.resolve('./compensation-workflows');
let env: TestWorkflowEnvironment;
envPerFile((made) => (env = made));
let runs = 0;

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `compensation-${process.pid}-${++runs}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleOnce(workflowsPath),
    ...inThreadWorkflows,
  });
  return worker.runUntil(fn(taskQueue));
}

test('undoes newest first, goes on past a failed step and keeps it for the next run', async () => {
  const report = await withWorker((taskQueue) =>
    env.client.workflow.execute(undoInOrder, {
      args: [['namespace', 'service account', 'API key'], ['service account']],
      taskQueue,
      workflowId: `undo-in-order-${runs}`,
    }),
  );
  expect(report).toEqual({
    undone: ['API key', 'namespace'],
    failures: ['service account: service account could not be undone'],
    retried: ['service account'],
    pendingAfter: false,
  });
});

test('finishes its undo steps while the workflow is being cancelled', async () => {
  const undone = await withWorker(async (taskQueue) => {
    const handle = await env.client.workflow.start(undoWhenCancelled, {
      taskQueue,
      workflowId: `undo-when-cancelled-${runs}`,
    });
    await handle.query('__stack_trace'); // the run is waiting
    await handle.cancel();
    return handle.result();
  });
  expect(undone).toEqual(['second', 'first']);
});

test('forgets every step on clear', async () => {
  const result = await withWorker((taskQueue) =>
    env.client.workflow.execute(undoAfterClear, { taskQueue, workflowId: `undo-after-clear-${runs}` }),
  );
  expect(result).toEqual({ undone: [], pending: false });
});
