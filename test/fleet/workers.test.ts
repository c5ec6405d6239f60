// Three workers on one task queue — two in this process, one a real process that is SIGKILLed mid-run — under more
// load than the fleet-wide caps allow: what the Ops API emulator saw never exceeds the configured request rate or
// async operations in flight, and the killed worker's slots come back to the others. Per-process caps are off, so
// the fleet limiter alone holds the line.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { operationIntervals, peakConcurrent, peakInWindow } from '../../bench/metrics';
import { loadWorkerConfig } from '../../src/config';
import { startEmulator, type Emulator } from '../../src/emulator';
import { silentLogger } from '../../src/logger';
import { FileSecretSink } from '../../src/secrets';
import { temporalCoordinator } from '../../src/fleet';
import { FLEET_LIMITER, type LimiterView } from '../../src/shared/fleet-limits';
import { createOpsWorker, type OpsWorker } from '../../src/worker';
import { killLeftovers, startWorkerProcess } from '../helpers/processes';
import { workflowsPath } from '../helpers/stack';
import { bundleOnce, createLocalEnv } from '../helpers/temporal';

const RATE = 8;
const MUTATIONS = 3;
const LEASE_SECONDS = 6.5; // the least OPS_API_TIMEOUT_MS=2000 allows, so the dead worker's lease ends quickly

let env: TestWorkflowEnvironment;
let emulator: Emulator;
let secretsDir: string;
const workers: Array<{ worker: OpsWorker; connection: NativeConnection; running: Promise<void> }> = [];

beforeAll(async () => {
  [env, emulator, secretsDir] = await Promise.all([
    createLocalEnv(),
    startEmulator({
      apiKey: 'fleet-test-key-0123456789',
      asyncOperationDurationMs: 500,
      checkDurationMs: 200,
    }),
    mkdtemp(path.join(os.tmpdir(), 'fleet-secrets-')),
  ]);
});

afterAll(async () => {
  killLeftovers();
  for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  for (const { worker, connection, running } of workers) {
    await running.catch(() => undefined);
    await worker.fleet?.close();
    await connection.close();
  }
  await emulator?.close();
  await env?.teardown();
  if (secretsDir) await rm(secretsDir, { recursive: true, force: true });
});

function workerEnv(taskQueue: string): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: env.address,
    OPS_API_URL: emulator.url,
    OPS_API_KEY: emulator.apiKey,
    TASK_QUEUE: taskQueue,
    SECRET_SINK_DIR: secretsDir,
    OPS_API_FLEET_RATE_LIMIT: String(RATE),
    OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS: String(MUTATIONS),
    OPS_API_FLEET_LEASE_SECONDS: String(LEASE_SECONDS),
    OPS_API_TIMEOUT_MS: '2000',
    // No per-process caps: only the fleet-wide ones can keep three workers under them.
    OPS_API_MAX_CONCURRENT_MUTATIONS: '0',
  };
}

async function startInProcess(vars: Record<string, string>): Promise<OpsWorker> {
  // One connection each: one connection may not carry two workers of the same task queue.
  const connection = await NativeConnection.connect({ address: env.address });
  const worker = await createOpsWorker({
    connection,
    config: loadWorkerConfig(vars),
    secrets: new FileSecretSink({ dir: secretsDir }),
    logger: silentLogger,
    overrides: { workflowBundle: await bundleOnce(workflowsPath) },
  });
  workers.push({ worker, connection, running: worker.run() });
  return worker;
}

test('three workers never exceed the fleet-wide caps, and a killed one gives its slots back', async () => {
  const taskQueue = `fleet-${process.pid}`;
  const vars = workerEnv(taskQueue);
  const [proc, ...local] = await Promise.all([
    startWorkerProcess(vars),
    startInProcess(vars),
    startInProcess(vars),
  ]);
  const ours = new Set(local.map((w) => w.fleet!.holder));
  const limiter = env.client.workflow.getHandle(FLEET_LIMITER.workflowId(taskQueue));

  // More than the caps allow: twelve creates (and their first requests) at once, each operation taking 0.5 s.
  const names = Array.from({ length: 12 }, (_, i) => `fleet-${i}`);
  const handles = await Promise.all(
    names.map((name) =>
      env.client.workflow.start('provisionNamespace', {
        taskQueue,
        workflowId: `provision-namespace/${name}`,
        args: [{ name, region: 'aws-us-east-1', retentionDays: 7, wait: { minPollSeconds: 0.3 } }],
      }),
    ),
  );
  const all = Promise.all(handles.map((h) => h.result()));

  // The limiter's own view while the runs go on; the worker process is killed while it holds slots.
  let killed: string | undefined;
  let peakMutationSlots = 0;
  let done = false;
  void all.finally(() => (done = true));
  while (!done) {
    const view = await limiter.query<LimiterView>(FLEET_LIMITER.stateQuery).catch(() => undefined);
    peakMutationSlots = Math.max(peakMutationSlots, view?.mutationSlotsInUse ?? 0);
    const theirs =
      view?.holders.find((h) => !ours.has(h.holder) && h.slots > 0)?.holder ??
      view?.mutations.find((m) => !ours.has(m.holder))?.holder;
    if (!killed && theirs) {
      killed = theirs;
      proc.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const results = await all;
  expect(results.map((r) => r.namespace).sort()).toEqual(names.map((n) => `${n}.a1b2c`).sort());
  expect(killed).toBeDefined();
  // Sampled every 50 ms: never over the cap, and the load did reach the limiter.
  expect(peakMutationSlots).toBeLessThanOrEqual(MUTATIONS);
  expect(peakMutationSlots).toBeGreaterThan(0);

  // What the API saw, over the whole run (the kill included).
  const log = emulator.requestLog;
  const operations = emulator.snapshot().asyncOperations;
  expect(operations).toHaveLength(names.length);
  expect(
    peakInWindow(
      log.map((e) => e.wallTime),
      1000,
    ),
  ).toBeLessThanOrEqual(RATE);
  expect(peakConcurrent(operationIntervals(operations))).toBeLessThanOrEqual(MUTATIONS);

  // Every slot came back: the killed worker's request slots with its lease; its operations' slots once a poll saw them
  // finish (another worker's, asking about them after the lease, or the wait that took over).
  const deadline = Date.now() + 3 * LEASE_SECONDS * 1000;
  let view = await limiter.query<LimiterView>(FLEET_LIMITER.stateQuery);
  while (view.holders.some((h) => h.holder === killed) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    view = await limiter.query<LimiterView>(FLEET_LIMITER.stateQuery);
  }
  expect(view.holders.map((h) => h.holder)).not.toContain(killed);
  expect(view.mutations).toEqual([]);
});

test('a limiter nobody runs fails the call instead of hanging it (the gates back off and ask again)', async () => {
  // No worker polls this task queue: the limiter is started but its first task is never processed.
  const coordinator = temporalCoordinator(env.client, `fleet-unserved-${process.pid}`);
  await expect(
    coordinator.acquireMutation({
      key: 'op-unserved',
      holder: 'h',
      operation: true,
      holdLimitMs: 60_000,
      leaseMs: 10_000,
      caps: { requestsPerSecond: 0, mutations: 1 },
    }),
  ).rejects.toThrow();
});
