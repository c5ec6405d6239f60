// A worker process killed (SIGKILL) in the middle of a provisioning: a new worker process finishes the run, and the
// emulator ends up with exactly one of each resource, each created by exactly one request.
import path from 'node:path';
import { silentLogger } from '../../src/logger';
import { FileSecretSink } from '../../src/secrets';
import type { Stack } from '../../src/service/stack';
import type { ProvisionStatus, ReconcileStatus } from '../../src/workflows';
import {
  descendants,
  exitWithin,
  killLeftovers,
  npmRun,
  prebuilt,
  sigkill,
  startWorkerProcess,
  survivors,
  waitForOutput,
} from '../helpers/processes';
import { startTestStack } from '../helpers/service';

const stacks: Stack[] = [];

afterAll(async () => {
  killLeftovers();
  for (const stack of stacks) await stack.stop();
});

/**
 * A dev server and an emulator of the test's own (the two tests run at once, each mostly waiting for Temporal to
 * notice a dead worker), with a long namespace activation so the kill lands while the run waits for it; and what a
 * worker process needs to serve them.
 */
async function durabilityStack(name: string) {
  const stack = await startTestStack(`durability-${name}`, {
    logger: silentLogger,
    env: { PATH: process.env.PATH, TASK_QUEUE: `durability-${name}-${process.pid}` },
    emulatorOptions: { asyncOperationDurationMs: { createNamespace: 5_000, '*': 500 }, checkDurationMs: 250 },
    events: false,
    worker: false,
  });
  stacks.push(stack);
  const emulator = stack.opsApi.emulator!;
  const workerEnv = {
    TEMPORAL_ADDRESS: stack.temporal.address,
    OPS_API_URL: emulator.url,
    OPS_API_KEY: emulator.apiKey,
    TASK_QUEUE: stack.taskQueue,
    SECRET_SINK_DIR: path.join(stack.dataDir, 'secrets'),
  };
  return { stack, emulator, workerEnv };
}

test.concurrent('a run survives its worker being SIGKILLed mid-way, with nothing done twice', async () => {
  const { stack, emulator, workerEnv } = await durabilityStack('provision');
  const first = await startWorkerProcess(workerEnv);
  const handle = await stack.client.workflow.start('provisionNamespace', {
    workflowId: 'provision-namespace/durable-ns',
    taskQueue: stack.taskQueue,
    args: [
      {
        name: 'durable-ns',
        region: 'aws-us-east-1',
        retentionDays: 7,
        serviceAccount: {},
        apiKey: {},
        wait: { minPollSeconds: 0.25 },
      },
    ],
  });
  // Wait until the namespace is being created, then kill the worker without any chance to clean up.
  for (;;) {
    const status = await handle.query<ProvisionStatus>('status').catch(() => undefined);
    if (status?.step === 'waiting-for-namespace') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await sigkill(first);
  expect(emulator.snapshot().namespaces.map((n) => n.state)).toEqual(['activating']);

  // The second one as a user runs it, to stop it with Ctrl-C below.
  const second = npmRun('worker', [], {
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...(await prebuilt()),
    ...workerEnv,
  });
  await waitForOutput(second, /"msg":"worker started"/);
  const result = await handle.result();
  expect(result).toMatchObject({ namespace: 'durable-ns.a1b2c' });

  const state = emulator.snapshot();
  expect(state.namespaces.map((n) => n.state)).toEqual(['active']);
  expect(state.serviceAccounts).toHaveLength(1);
  expect(state.apiKeys).toHaveLength(1);
  const creates = emulator.requestLog.filter((e) => e.method === 'POST').map((e) => e.operationId);
  expect(creates.sort()).toEqual(['createApiKey', 'createNamespace', 'createServiceAccount']);

  // Ctrl-C in a terminal reaches npm and the worker, and npm forwards its own SIGINT: the worker must drain
  // and stop once (the SDK's handler let the second SIGINT kill it mid-drain), leaving nothing behind.
  const tree = descendants(second.pid);
  expect(tree).toHaveLength(1);
  process.kill(-second.pid, 'SIGINT');
  expect(await exitWithin(second, 30_000)).toEqual({ code: 0, signal: null });
  expect(second.output()).toContain('"msg":"worker stopped"');
  expect(second.output()).not.toContain('forced exit');
  expect(await survivors(tree)).toEqual([]);
});

test.concurrent(
  'a desired-state apply survives its worker being SIGKILLed mid-way: every resource made once',
  async () => {
    const { stack, emulator, workerEnv } = await durabilityStack('apply');
    const desired = {
      namespaces: ['alpha', 'beta'].map((name) => ({ name, region: 'aws-us-east-1', retentionDays: 7 })),
      serviceAccounts: [
        { name: 'alpha-ci', access: { alpha: 'write' }, apiKeys: [{ displayName: 'ci' }] },
        { name: 'beta-ci', access: { beta: 'read' }, apiKeys: [{ displayName: 'ci' }] },
      ],
      users: [{ email: 'kim@example.com', role: 'developer', access: { alpha: 'read' } }],
    };
    const first = await startWorkerProcess(workerEnv);
    const handle = await stack.client.workflow.start('reconcile', {
      workflowId: 'reconcile/durable',
      taskQueue: stack.taskQueue,
      args: [{ name: 'durable', desired, mode: 'apply' }],
    });
    // Killed while applying, once the namespaces are being made.
    for (;;) {
      const status = await handle.query<ReconcileStatus>('status').catch(() => undefined);
      if (status?.step === 'applying' && emulator.snapshot().namespaces.some((n) => n.spec.name === 'alpha'))
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await sigkill(first);
    const second = await startWorkerProcess(workerEnv);
    const result = await handle.result();
    second.kill('SIGTERM');
    expect(result).toMatchObject({ outcome: 'applied' });
    const state = emulator.snapshot();
    const names = (items: Array<{ spec: { name?: string; email?: string } }>) =>
      items.map((i) => i.spec.name ?? i.spec.email).sort();
    expect(names(state.namespaces)).toEqual(['alpha', 'beta']);
    expect(names(state.serviceAccounts)).toEqual(['alpha-ci', 'beta-ci']);
    expect(state.users.map((u) => u.spec.email)).toEqual(['kim@example.com']);
    // One key per account of the file, each with its token in the sink.
    expect(state.apiKeys.map((k) => k.spec.displayName)).toEqual(['ci', 'ci']);
    const sink = new FileSecretSink({ dir: workerEnv.SECRET_SINK_DIR });
    for (const key of state.apiKeys)
      expect((await sink.read(`api-keys/${key.id}`))?.secret).toMatch(/^tmprl_/);
  },
);
