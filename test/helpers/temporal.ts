import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type LogEntry,
  type WorkflowBundle,
} from '@temporalio/worker';
import { createLogger } from '../../src/logger';
import { writeWorkflowBundle } from '../../src/worker';
import { startDevServer } from '../../src/service/dev-server';
import { temporalExecutable } from '../../src/temporal-binaries';

/** Everything the SDK logged in this test file (workflow and activity loggers included), for leak checks. */
export const runtimeLogs: LogEntry[] = [];
let runtimeInstalled = false;

/**
 * Keeps the SDK's per-attempt worker chatter (every async-operation poll is a logged retry) in memory
 * instead of the test output; errors still reach stderr. Core's own logs are forwarded here too instead of
 * going straight to the console (e.g. its warning, once per worker, that the time-skipping server lacks a
 * capability). Runs before the first environment is made.
 */
export function captureRuntimeLogs(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => {
      runtimeLogs.push(entry);
      if (entry.level === 'ERROR') console.error(`[temporal] ${entry.message}`, entry.meta ?? '');
    }),
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
  });
}

/** Time-skipping test server from .temporal/ (or env/PATH); see src/temporal-binaries.ts. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  captureRuntimeLogs();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: await temporalExecutable('test-server') },
  });
}

/**
 * Runs `set` before the first test (of the file, or of the describe block it is called in) with a Temporal server,
 * time-skipping unless `makeEnv` says otherwise, and tears the server down after the last.
 */
export function envPerFile(
  set: (env: TestWorkflowEnvironment) => unknown,
  makeEnv: () => Promise<TestWorkflowEnvironment> = createTimeSkippingEnv,
): void {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await makeEnv();
    await set(env);
  });
  afterAll(async () => {
    await env?.teardown();
  });
}

/** Dev server lines at error level go to the test output; its start-up banner and warnings do not. */
const devServerLogger = createLogger(
  { name: 'test-dev-server', level: 'error', format: 'json' },
  { write: (line: string) => console.error(line.trimEnd()) },
);

/**
 * `temporal server start-dev` on a free loopback port, in-memory, headless, started as the product starts it
 * (src/service/dev-server.ts) rather than by the SDK, whose child writes its banner straight to the test
 * output. `extraArgs` adds server arguments, e.g. `--dynamic-config-value`. teardown() also stops the server.
 */
export async function createLocalEnv(
  server: { extraArgs?: string[] } = {},
): Promise<TestWorkflowEnvironment> {
  captureRuntimeLogs();
  const devServer = await startDevServer({
    port: 0,
    ui: false,
    logger: devServerLogger,
    extraArgs: [
      // Search attributes registered at start-up are usable immediately instead of after a cache refresh.
      '--dynamic-config-value',
      'system.forceSearchAttributesCacheRefreshOnRead=true',
      ...(server.extraArgs ?? []),
    ],
  });
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: devServer.address });
  } catch (err) {
    await devServer.stop();
    throw err;
  }
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await devServer.stop();
  };
  return env;
}

/**
 * For the workflow suites' workers: workflows run in the test's own thread (the SDK's debugMode) instead of a worker
 * thread that each Worker.create starts by loading the SDK anew (~0.6 s of CPU, once per test). Same sandbox, same
 * bundle. debugMode alone would also lift the limit on one workflow activation (a busy loop would then hang the jest
 * worker): the SDK's default of 5 s is set again (`isolateExecutionTimeout`, honoured though not in the SDK's types).
 * Not for the service suites' stacks: they check what the product's worker logs, and a workflow's log line reaches
 * the logger differently when it does not cross from the workflow thread (a failure keeps its own type).
 */
export const inThreadWorkflows = { debugMode: true, isolateExecutionTimeout: '5s' };

const bundles = new Map<string, Promise<WorkflowBundle>>();
// Webpack's INFO chatter drowns test output; warnings still show.
const bundlerLogger = new DefaultLogger('WARN');

/**
 * Bundles a workflows module once per jest run; pass the result as `Worker.create({ workflowBundle })`. Bundling
 * takes seconds of CPU, and some thirty test files need the same bundle: the first to ask builds it into the run's
 * folder (TEST_BUNDLE_DIR, made by global-setup.ts) and every other file, in any jest worker, reads it there. Outside
 * jest (no folder), once per process.
 */
export function bundleOnce(workflowsPath: string): Promise<WorkflowBundle> {
  const key = path.resolve(workflowsPath);
  let bundle = bundles.get(key);
  if (!bundle) {
    const dir = process.env.TEST_BUNDLE_DIR;
    bundle = dir ? sharedBundle(key, dir) : build(key);
    // A failed bundle (e.g. syntax error being fixed in watch mode) must not stick.
    bundle.catch(() => bundles.delete(key));
    bundles.set(key, bundle);
  }
  return bundle;
}

const bundleName = (workflowsPath: string, dir: string) =>
  path.join(dir, createHash('sha256').update(workflowsPath).digest('hex').slice(0, 16));

/**
 * The run's bundle as a file, for worker processes (`WORKFLOW_BUNDLE`): they then start without bundling, ~4 s of
 * CPU each. Undefined outside jest's run folder.
 */
export async function bundleFileOnce(workflowsPath: string): Promise<string | undefined> {
  const dir = process.env.TEST_BUNDLE_DIR;
  if (!dir) return undefined;
  await bundleOnce(workflowsPath);
  return `${bundleName(path.resolve(workflowsPath), dir)}.js`;
}

async function build(workflowsPath: string): Promise<WorkflowBundle> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: bundlerLogger });
  return { code };
}

/** How long a file waits for another to finish the bundle before making its own (e.g. that one was killed). */
const BUNDLE_WAIT_MS = 120_000;

/**
 * The bundle from the run's folder: whoever creates `<name>.lock` first builds it and writes `<name>.js` (renamed into
 * place, so a reader never sees half of it); the others wait for that file. A failed build removes its lock, and
 * then each file builds its own (and reports the error itself).
 */
async function sharedBundle(workflowsPath: string, dir: string): Promise<WorkflowBundle> {
  const name = bundleName(workflowsPath, dir);
  const built = await readIfThere(`${name}.js`);
  if (built) return built;
  const lock = await open(`${name}.lock`, 'wx').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return undefined;
    throw err;
  });
  if (!lock) return (await builtByAnother(name)) ?? build(workflowsPath);
  try {
    // The product's own writer, whose file worker processes then start from (WORKFLOW_BUNDLE).
    await writeWorkflowBundle(`${name}.js`, { workflowsPath, logger: bundlerLogger });
    await lock.close();
    return { code: await readFile(`${name}.js`, 'utf8') };
  } catch (err) {
    await lock.close();
    await rm(`${name}.lock`, { force: true });
    throw err;
  }
}

async function builtByAnother(name: string): Promise<WorkflowBundle | undefined> {
  const deadline = Date.now() + BUNDLE_WAIT_MS;
  while (Date.now() < deadline) {
    const built = await readIfThere(`${name}.js`);
    if (built) return built;
    if (!existsSync(`${name}.lock`)) return readIfThere(`${name}.js`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

async function readIfThere(file: string): Promise<WorkflowBundle | undefined> {
  return readFile(file, 'utf8').then(
    (code) => ({ code }),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    },
  );
}
