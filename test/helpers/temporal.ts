import path from 'node:path';
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporalExecutable } from '../../src/temporal-binaries';

/** Time-skipping test server from .temporal/ (or env/PATH); see src/temporal-binaries.ts. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: await temporalExecutable('test-server') },
  });
}

type DevServerOptions = NonNullable<LocalTestWorkflowEnvironmentOptions['server']>;

/** `temporal server start-dev` on a free loopback port, in-memory, headless. Pass overrides e.g. searchAttributes. */
export async function createLocalEnv(
  server: Partial<DevServerOptions> = {},
): Promise<TestWorkflowEnvironment> {
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
