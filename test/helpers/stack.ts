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
import type { WaitMode } from '../../src/activities/wait-mode';
import { bundleOnce, envPerFile, inThreadWorkflows } from './temporal';

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
  /**
   * The real activities with this server's Temporal client, as the product's worker has them (for what an activity
   * asks of Temporal itself); `activities` has none.
   */
  activitiesWithTemporal(): ReturnType<typeof createActivities>;
  /** A client for the emulator, as activities use it (calls made through it are not in `calls`). */
  client: OpsApiClient;
  /** Ops API calls made by activities, in order. */
  calls: RequestEvent[];
  /** Runs `fn` while a fresh worker polls the task queue. */
  runWorker<T>(fn: () => Promise<T>, overrides?: Partial<WorkerOptions>): Promise<T>;
  /** Stops the emulator and removes the secrets folder; again, does nothing. */
  close(): Promise<void>;
}

let stackCount = 0;
/** Stacks of this test file not closed yet (stackPerTest closes them after each test). */
const openStacks = new Set<OpsStack>();

export interface StackOptions {
  /** The activities' Ops API client timeout; default 5 s (late-commit tests make it shorter). */
  clientTimeoutMs?: number;
  /** Default: TEST_OPS_API_DIALECT (the jest project `cloud` sets it), else `openapi`. */
  dialect?: DialectName;
  /** Where the activities post drift summaries. */
  driftWebhook?: { url: string; secret: string };
  /** Where the expiry watch posts its warnings. */
  expiryWebhook?: { url: string; secret: string };
  /**
   * Default `retries`: the test server skips time only while no activity runs, so a wait that sleeps inside its
   * attempt (the product's `auto`) would take its operation's whole duration in real time. The suite of the
   * heartbeating wait sets `auto`.
   */
  waitMode?: WaitMode;
}

/** The dialect this test run speaks to the emulator: every workflow suite runs in both (jest projects). */
export function testDialect(): DialectName {
  return process.env.TEST_OPS_API_DIALECT === 'cloud' ? 'cloud' : 'openapi';
}

/**
 * A test whose subject speaks no dialect — bounded parallelism, the history's size over a day of polls, a crashed
 * run's resume: it runs in the `openapi` project and shows as skipped in `cloud`, where the calls it makes are
 * covered by the file's other tests.
 */
export const dialectFreeTest: typeof test = testDialect() === 'cloud' ? test.skip : test;

/** A test of what only the real API's dialect can do: it runs in the `cloud` project and shows as skipped in `openapi`. */
export const cloudDialectTest: typeof test = testDialect() === 'cloud' ? test : test.skip;

/**
 * The emulator for a dev server (createLocalEnv), whose clock is the wall's: operations finish at once, and a new
 * namespace lags for 0.5 s rather than a minute.
 */
export const wallClockEmulator: EmulatorOptions = {
  asyncOperationDurationMs: 0,
  checkDurationMs: 100,
  realismParams: { readAfterCreateLag: { lagMs: 500 } },
};

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
    // The real service's behaviours (src/emulator/realism.ts): all on for the cloud dialect's routes, as the
    // emulator has them by default; a test turns one off only to show what the product's handling is for.
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
  const deps = {
    client,
    secrets,
    waitMode: options.waitMode ?? 'retries',
    ...(options.driftWebhook ? { driftWebhook: options.driftWebhook } : {}),
    ...(options.expiryWebhook ? { expiryWebhook: options.expiryWebhook } : {}),
  };
  const activities = createActivities(deps);
  const taskQueue = `test-${process.pid}-${++stackCount}`;
  const workflowBundle = await bundleOnce(workflowsPath);

  const stack: OpsStack = {
    env,
    emulator,
    secrets,
    secretsDir,
    taskQueue,
    activities,
    activitiesWithTemporal: () => createActivities({ ...deps, temporal: env.client }),
    client: new OpsApiClient({
      baseUrl: emulator.url,
      apiKey: emulator.apiKey,
      dialect,
      fetch: retryingEdgeAnswers,
    }),
    calls,
    async runWorker(fn, overrides = {}) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle,
        activities,
        ...inThreadWorkflows,
        ...overrides,
      });
      return worker.runUntil(fn);
    },
    async close() {
      if (!openStacks.delete(stack)) return;
      const losses = emulator.realism.losses();
      await emulator.close();
      await rm(secretsDir, { recursive: true, force: true });
      // A whole-spec update that left out a field the product does not model: the real service clears it.
      if (losses.length > 0) throw new Error(`updates lost unmodelled fields: ${JSON.stringify(losses)}`);
    },
  };
  openStacks.add(stack);
  return stack;
}

/** Closes every open stack, then reports the first that failed (e.g. one whose updates lost a field). */
async function closeOpenStacks(): Promise<void> {
  const closed = await Promise.allSettled([...openStacks].map((stack) => stack.close()));
  const failed = closed.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The workflow suites' set-up: the file's Temporal server (envPerFile) and a fresh stack before each test, handed to
 * the file's variables by `set`; after each test, every stack left open (one the test made, too) is closed.
 */
export function stackPerTest(
  emulatorOptions: EmulatorOptions,
  set: (made: { env: TestWorkflowEnvironment; stack: OpsStack }) => void,
  makeEnv?: () => Promise<TestWorkflowEnvironment>,
): void {
  let env: TestWorkflowEnvironment;
  envPerFile((made) => (env = made), makeEnv);
  beforeEach(async () => {
    set({ env, stack: await createOpsStack(env, emulatorOptions) });
  });
  afterEach(closeOpenStacks);
}

/** As stackPerTest, with one stack for the whole file. */
export function stackPerFile(
  emulatorOptions: EmulatorOptions,
  set: (made: { env: TestWorkflowEnvironment; stack: OpsStack }) => void,
  makeEnv?: () => Promise<TestWorkflowEnvironment>,
): void {
  afterAll(closeOpenStacks); // declared first, so it runs before the server's teardown
  envPerFile(async (env) => set({ env, stack: await createOpsStack(env, emulatorOptions) }), makeEnv);
}

/**
 * The test's own hand on the API (someone else changing something by hand): like any client of the real
 * service it retries the edge's answers (realism switch `edgeAnswers`), so a test's setup never fails on
 * one. Its mutations carry an asyncOperationId, so a retry after an answer lost at the edge replays.
 */
async function retryingEdgeAnswers(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(request.clone());
    const fromEdge =
      [429, 502, 503, 504].includes(response.status) &&
      !/json/.test(response.headers.get('content-type') ?? '');
    if (!fromEdge || attempt === 5) return response;
    await response.body?.cancel();
  }
}

/**
 * What the API itself answered: the request log without the answers of the edge in front of it (realism
 * switch `edgeAnswers`; the product retries those, and a retry is an entry of its own).
 */
export function apiAnswers(emulator: Emulator): Emulator['requestLog'] {
  return emulator.requestLog.filter((e) => e.edge === undefined);
}

/** A refusal of the request as it stands (a taken name is a 409 ALREADY_EXISTS or a 400, as the server likes). */
export const isClientError = (status: number): boolean => status >= 400 && status < 500;

/**
 * The usual hooks of a workflow suite: one time-skipping test server for the suite, a fresh stack for each test
 * (closed after it, which fails the test on any unmodelled field an update lost).
 */
export function suiteWithStack(emulatorOptions: EmulatorOptions = {}): {
  env: TestWorkflowEnvironment;
  stack: OpsStack;
} {
  const suite = {} as { env: TestWorkflowEnvironment; stack: OpsStack };
  stackPerTest(emulatorOptions, (made) => Object.assign(suite, made));
  return suite;
}

/**
 * Requests that changed (or tried to change) state, as `operationId` strings, as the API answered them: a
 * mutation the edge answered is retried until the API answers, so it is counted once, by that answer.
 */
export function mutations(emulator: Emulator): string[] {
  return apiAnswers(emulator)
    .filter((e) => e.method !== 'GET')
    .map((e) => e.operationId ?? e.path);
}
