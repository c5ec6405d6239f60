import path from 'node:path';
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type LogEntry,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { temporalExecutable } from '../../src/temporal-binaries';

/** Everything the SDK logged in this test file (workflow and activity loggers included), for leak checks. */
export const runtimeLogs: LogEntry[] = [];
let runtimeInstalled = false;

/**
 * Keeps the SDK's per-attempt worker chatter (every async-operation poll is a logged retry) in memory
 * instead of the test output; errors still reach stderr. Runs before the first environment is made.
 */
export function captureRuntimeLogs(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => {
      runtimeLogs.push(entry);
      if (entry.level === 'ERROR') console.error(`[temporal] ${entry.message}`, entry.meta ?? '');
    }),
  });
}

/** Time-skipping test server from .temporal/ (or env/PATH); see src/temporal-binaries.ts. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  captureRuntimeLogs();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: await temporalExecutable('test-server') },
  });
}

type DevServerOptions = NonNullable<LocalTestWorkflowEnvironmentOptions['server']>;

/** `temporal server start-dev` on a free loopback port, in-memory, headless. Pass overrides e.g. searchAttributes. */
export async function createLocalEnv(
  server: Partial<DevServerOptions> = {},
): Promise<TestWorkflowEnvironment> {
  captureRuntimeLogs();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: await temporalExecutable('cli'),
      ip: '127.0.0.1',
      ui: false,
      // No dbFilename: in-memory SQLite, nothing to clean up and no fsync.
      log: { format: 'pretty', level: 'error' },
      ...server,
      extraArgs: [
        // One task-queue partition: polls and tasks always meet, no forwarding delays between partitions.
        '--dynamic-config-value',
        'matching.numTaskqueueReadPartitions=1',
        '--dynamic-config-value',
        'matching.numTaskqueueWritePartitions=1',
        // Search attributes registered at start-up are usable immediately instead of after a cache refresh.
        '--dynamic-config-value',
        'system.forceSearchAttributesCacheRefreshOnRead=true',
        ...(server.extraArgs ?? []),
      ],
    },
  });
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
