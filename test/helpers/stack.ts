// A worker wired to the real activities, an in-process emulator whose clock follows the test server's,
// and a temporary file secret sink: what the workflow suites run against.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator';
import { OpsApiClient, type DialectName, type RequestEvent } from '../../src/ops-api';
import { FileSecretSink } from '../../src/secrets';
import { bundleOnce } from './temporal';

export const workflowsPath = path.resolve(__dirname, '../../src/workflows');

export { captureRuntimeLogs, runtimeLogs } from './temporal';

export interface OpsStack {
  env: TestWorkflowEnvironment;
  emulator: Emulator;
  secrets: FileSecretSink;
  secretsDir: string;
  taskQueue: string;
  /** The real activities, for tests that wrap one of them. */
  activities: ReturnType<typeof createActivities>;
  /** A client for the emulator, as activities use it (calls made through it are not in `calls`). */
  client: OpsApiClient;
  /** Ops API calls made by activities, in order. */
  calls: RequestEvent[];
  /** Runs `fn` while a fresh worker polls the task queue. */
  runWorker<T>(fn: () => Promise<T>, overrides?: Partial<WorkerOptions>): Promise<T>;
  close(): Promise<void>;
}

let stackCount = 0;

export interface StackOptions {
  /** The activities' Ops API client timeout; default 5 s (late-commit tests make it shorter). */
  clientTimeoutMs?: number;
  /** Default: TEST_OPS_API_DIALECT (the jest project `cloud` sets it), else `openapi`. */
  dialect?: DialectName;
  /** Where the activities post drift summaries. */
  driftWebhook?: { url: string; secret: string };
}

/** The dialect this test run speaks to the emulator: every workflow suite runs in both (jest projects). */
export function testDialect(): DialectName {
  return process.env.TEST_OPS_API_DIALECT === 'cloud' ? 'cloud' : 'openapi';
}

export async function createOpsStack(
  env: TestWorkflowEnvironment,
  emulatorOptions: EmulatorOptions = {},
  options: StackOptions = {},
): Promise<OpsStack> {
  // The emulator's realism switches (src/emulator/realism.ts) are on for its /cloud routes unless a suite turns one
  // off: every workflow suite of the jest project `cloud` runs against the real service's behaviour.
  const emulator = await startEmulator({
    // The test server skips time while workflows sleep; the emulator's async operations must follow.
    clock: { now: () => (env.supportsTimeSkipping ? env.currentTimeMs() : Date.now()) },
    apiKey: 'test-ops-api-key-0123456789',
    ...emulatorOptions,
  });
  const secretsDir = await mkdtemp(path.join(os.tmpdir(), 'ops-secrets-'));
  const secrets = new FileSecretSink({ dir: secretsDir });
  const calls: RequestEvent[] = [];
  const dialect = options.dialect ?? testDialect();
  const client = new OpsApiClient({
    baseUrl: emulator.url,
    apiKey: emulator.apiKey,
    dialect,
    timeoutMs: options.clientTimeoutMs ?? 5_000,
    afterRequest: (e) => void calls.push(e),
  });
  const activities = createActivities({
    client,
    secrets,
    ...(options.driftWebhook ? { driftWebhook: options.driftWebhook } : {}),
  });
  const taskQueue = `test-${process.pid}-${++stackCount}`;
  const workflowBundle = await bundleOnce(workflowsPath);

  return {
    env,
    emulator,
    secrets,
    secretsDir,
    taskQueue,
    activities,
    client: new OpsApiClient({ baseUrl: emulator.url, apiKey: emulator.apiKey, dialect }),
    calls,
    async runWorker(fn, overrides = {}) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle,
        activities,
        ...overrides,
      });
      return worker.runUntil(fn);
    },
    async close() {
      await emulator.close();
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
}

/** Requests that changed (or tried to change) state, as `operationId` strings. */
export function mutations(emulator: Emulator): string[] {
  return emulator.requestLog.filter((e) => e.method !== 'GET').map((e) => e.operationId ?? e.path);
}
