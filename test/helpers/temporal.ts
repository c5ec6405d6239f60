import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type LogEntry,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createLogger } from '../../src/logger';
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

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
// Webpack's INFO chatter drowns test output; warnings still show.
const bundlerLogger = new DefaultLogger('WARN');

/**
 * Bundles a workflows module once per test process; pass the result as `Worker.create({ workflowBundle })`.
 * Bundling takes seconds, so suites creating several workers share one bundle.
 */
export function bundleOnce(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  const key = path.resolve(workflowsPath);
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath: key, logger: bundlerLogger });
    // A failed bundle (e.g. syntax error being fixed in watch mode) must not stick.
    bundle.catch(() => bundles.delete(key));
    bundles.set(key, bundle);
  }
  return bundle;
}
