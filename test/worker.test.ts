import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { dataConverterFromEnv } from '../src/codec';
import { ConfigError, loadWorkerConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { RateLimiter } from '../src/ops-api';
import { FileSecretSink } from '../src/secrets';
import { provisionNamespace } from '../src/workflows';
import { createOpsWorker } from '../src/worker';
import { historyText } from './helpers/history';
import { createOpsStack, workflowsPath } from './helpers/stack';
import { bundleFileOnce, envPerFile } from './helpers/temporal';

const root = path.resolve(__dirname, '..');

describe('configuration', () => {
  const good = { OPS_API_URL: 'http://127.0.0.1:7243', OPS_API_KEY: 'k' };

  test('defaults', () => {
    expect(loadWorkerConfig(good)).toMatchObject({ TASK_QUEUE: 'cloud-ops', OPS_API_TIMEOUT_MS: 20_000 });
  });

  test('every problem names its variable', () => {
    const attempt = () => loadWorkerConfig({ OPS_API_URL: 'not a url', OPS_API_RATE_LIMIT: '-3' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/OPS_API_URL: must be a URL/);
    expect(attempt).toThrow(/OPS_API_KEY: is required/);
    expect(attempt).toThrow(/OPS_API_RATE_LIMIT/);
  });

  test('the worker reports a bad configuration in one line and exits 2', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, OPS_API_URL: 'nope', OPS_API_KEY: 'secret-ops-key-123' },
    });
    const err = (await run.catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/OPS_API_URL: must be a URL/);
    expect(err.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(err.stderr).not.toContain('secret-ops-key-123');
  });
});

test('the rate limiter spaces requests to its rate after the burst', async () => {
  let now = 0;
  const limiter = new RateLimiter(2, 1, () => now);
  const times: number[] = [];
  const realSetTimeout = global.setTimeout;
  // Advance the fake clock by exactly the time the limiter asks to sleep.
  jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
    now += ms;
    return realSetTimeout(fn, 0);
  }) as typeof setTimeout);
  try {
    await Promise.all([1, 2, 3, 4].map(() => limiter.acquire().then(() => times.push(now))));
  } finally {
    jest.restoreAllMocks();
  }
  expect(times).toEqual([0, 500, 1000, 1500]);
  expect(() => new RateLimiter(0)).toThrow(/positive/);
});

describe('payload encryption is wired into the worker and clients', () => {
  let env: TestWorkflowEnvironment;
  envPerFile((made) => (env = made));

  test('a WORKFLOW_BUNDLE with no file is a configuration error naming it', async () => {
    const config = loadWorkerConfig({
      OPS_API_URL: 'http://127.0.0.1:1',
      OPS_API_KEY: 'k',
      WORKFLOW_BUNDLE: 'no/such.js',
    });
    const made = createOpsWorker({
      connection: env.nativeConnection,
      config,
      secrets: new FileSecretSink({ dir: os.tmpdir() }),
      logger: silentLogger,
    });
    await expect(made).rejects.toThrow(ConfigError);
    await expect(made).rejects.toThrow(/WORKFLOW_BUNDLE: no file at no\/such\.js/);
  });

  test('history holds only ciphertext; the codec-aware client reads the result', async () => {
    const codecEnv = { PAYLOAD_CODEC_KEY: randomBytes(32).toString('base64') };
    const stack = await createOpsStack(env, { asyncOperationDurationMs: 1_000 });
    try {
      // The workflows from a prebuilt bundle file, as the image runs them.
      const config = loadWorkerConfig({
        OPS_API_URL: stack.emulator.url,
        OPS_API_KEY: stack.emulator.apiKey,
        TASK_QUEUE: stack.taskQueue,
        WORKFLOW_BUNDLE: (await bundleFileOnce(workflowsPath))!,
      });
      const worker = await createOpsWorker({
        connection: env.nativeConnection,
        config,
        secrets: stack.secrets,
        logger: silentLogger,
        env: codecEnv,
      });
      const client = new Client({
        connection: env.connection,
        dataConverter: dataConverterFromEnv(codecEnv),
      });
      const input = { name: 'secret-project', region: 'aws-us-east-1', retentionDays: 3 };
      const handle = await worker.runUntil(async () => {
        const h = await client.workflow.start(provisionNamespace, {
          args: [input],
          workflowId: 'provision-namespace/secret-project',
          taskQueue: stack.taskQueue,
        });
        expect(await h.result()).toMatchObject({ namespace: 'secret-project.a1b2c' });
        return h;
      });
      const history = historyText(await handle.fetchHistory());
      expect(history).toContain('binary/encrypted');
      expect(history).not.toContain('secret-project.a1b2c');
      expect(history).not.toContain('aws-us-east-1');
    } finally {
      await stack.close();
    }
  });
});
