// startStack as the service suites run it: a fresh data folder (removed by stop()), free ports, no Web UI, error
// logs only, and the run's workflow bundle for the in-process worker.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import { startStack, type Stack, type StackOptions } from '../../src/service/stack';
import { workflowsPath } from './stack';
import { bundleOnce } from './temporal';

/** `name` prefixes the data folder and names the logger; `options` add to or replace the defaults above. */
export async function startTestStack(name: string, options: Partial<StackOptions> = {}): Promise<Stack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
  try {
    const stack = await startStack({
      dataDir,
      // Errors only: the SDK logs every async-operation poll.
      logger: createLogger({ name: `${name}-test`, level: 'error', format: 'json' }),
      env: { PATH: process.env.PATH },
      temporalPort: 0,
      ui: false,
      emulatorPort: 0,
      ...(options.worker === false
        ? {}
        : { workerOverrides: { workflowBundle: await bundleOnce(workflowsPath) } }),
      ...options,
    });
    const stop = stack.stop;
    return Object.assign(stack, {
      stop: async () => {
        await stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
