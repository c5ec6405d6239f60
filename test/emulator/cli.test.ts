import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const children: ChildProcessWithoutNullStreams[] = [];

function run(args: string[]): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' };
  delete env.EMULATOR_API_KEY;
  const child = spawn(tsx, ['src/emulator/main.ts', ...args], { cwd: root, env });
  children.push(child);
  return child;
}

afterEach(() => {
  // Never leave a server behind if an assertion failed half-way.
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

/** Resolves with stdout once it matches every pattern; rejects if the process exits first. */
function output(child: ChildProcessWithoutNullStreams, ...patterns: RegExp[]): Promise<string> {
  let stdout = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (patterns.every((p) => p.test(stdout))) resolve(stdout);
    });
    child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
  });
}

test('starts on the given port, serves the API with the given key, and stops cleanly on SIGTERM', async () => {
  const child = run([
    '--port',
    '0',
    '--api-key',
    'cli-key-123',
    '--async-duration',
    '1.5s',
    '--realism',
    'off',
    '--read-after-create-lag',
    '5s',
  ]);
  const done = exited(child);
  const stdout = await output(child, /listening on http:\/\/\S+\n/, /API key: .*\n/);
  const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
  expect(stdout).not.toContain('cli-key-123');
  const ok = await fetch(`${url}/api/v1/regions`, { headers: { authorization: 'Bearer cli-key-123' } });
  expect(ok.status).toBe(200);
  // Both base paths are printed, and the real API's answers at the one it names.
  expect(stdout).toContain(`${url}/api/v1/...`);
  expect(stdout).toContain(`${url}/cloud/...`);
  expect(stdout).toContain('temporal-cloud-api-version: v0.17.0');
  const cloud = await fetch(`${url}/cloud/regions`, {
    headers: { authorization: 'Bearer cli-key-123', 'temporal-cloud-api-version': 'v0.17.0' },
  });
  expect(cloud.status).toBe(200);
  // --realism off: no switch is on, on /cloud either (the admin endpoint lists them).
  const realism = await fetch(`${url}/_emulator/realism`, {
    headers: { authorization: 'Bearer cli-key-123' },
  });
  const { switches } = (await realism.json()) as { switches: Record<string, { cloud: boolean }> };
  expect(Object.values(switches).map((s) => s.cloud)).toEqual(Object.values(switches).map(() => false));
  const denied = await fetch(`${url}/api/v1/regions`, { headers: { authorization: 'Bearer wrong' } });
  expect(denied.status).toBe(401);
  // The realism flags reach the emulator's configuration.
  const config = await fetch(`${url}/_emulator/config`, {
    method: 'POST',
    headers: { authorization: 'Bearer cli-key-123', 'content-type': 'application/json' },
    body: '{}',
  });
  expect(await config.json()).toMatchObject({
    realism: { serviceAccountRoleRule: { cloud: false, openapi: false } },
    realismParams: { readAfterCreateLag: { lagMs: 5_000 } },
  });
  child.kill('SIGTERM');
  expect((await done).code).toBe(0);
}, 30_000);

test('prints a random key when none is given, and stops on SIGINT', async () => {
  const child = run(['--port', '0']);
  const done = exited(child);
  const stdout = await output(child, /listening on http:\/\/\S+\n/, /API key: \S+\n/);
  const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
  const key = /API key: (\S+)/.exec(stdout)![1]!;
  expect((await fetch(`${url}/api/v1/regions`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
    200,
  );
  child.kill('SIGINT');
  expect((await done).code).toBe(0);
}, 30_000);

test('rejects bad flags with a clear message and exit code 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'abc'], /--port must be an integer/],
    [['--async-duration', 'soon'], /--async-duration must be/],
    [['--realism', 'edges=off'], /--realism: realism: unknown switch 'edges'/],
  ];
  // In parallel: each run pays tsx's start-up.
  const results = await Promise.all(cases.map(([args]) => exited(run(args))));
  results.forEach(({ code, stderr }, i) => {
    expect(code).toBe(2);
    expect(stderr).toMatch(cases[i]![1]);
    expect(stderr).toContain('Usage:');
  });
}, 30_000);
