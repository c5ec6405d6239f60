// What `npm start` prints works as printed on a fresh data folder: every starter command and the signed curl are
// run through bash, as a user would paste them, against the stack the banner describes. Also: the worker's
// "Workflow failed" log line says what failed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createLogger } from '../../src/logger';
import { banner, BANNER_APPROVER, BANNER_EVENT_NAMESPACE, BANNER_NAMESPACE } from '../../src/service/banner';
import { sendEvent, waitForRequest } from '../../src/service/demo';
import { DEMO_USER, type Stack } from '../../src/service/stack';
import { hermeticEnv, repoRoot } from '../starters/run-starter';
import { startTestStack } from '../helpers/service';

const execFileAsync = promisify(execFile);

let stack: Stack | undefined;
/** Every JSON line the stack logged (warnings and errors). */
const logLines: string[] = [];

beforeAll(async () => {
  stack = await startTestStack('banner', {
    logger: createLogger(
      { name: 'banner-test', level: 'warn', format: 'json' },
      { write: (line: string) => logLines.push(line) },
    ),
    emulatorOptions: { asyncOperationDurationMs: 300, checkDurationMs: 100 },
    events: { host: '127.0.0.1', port: 0 },
    seedDemoUser: true,
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** The banner's shell commands: each starter line (continuations joined) and the curl block as one script. */
function commands(text: string): { starters: string[]; signedEvent: string } {
  const lines = text.split('\n');
  const joined: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    while (line.endsWith('\\')) line = `${line.slice(0, -1).trim()} ${lines[++i]!.trim()}`;
    joined.push(line);
  }
  const starters = joined.filter((l) => /^(TEMPORAL_ADDRESS=\S+ )?npm run /.test(l));
  const from = joined.findIndex((l) => l.startsWith('SECRET='));
  const to = joined.findIndex((l, i) => i > from && l.startsWith('curl -sS') && l.includes('statusUrl'));
  return { starters, signedEvent: joined.slice(from, to + 1).join('\n') };
}

async function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: repoRoot,
      env: hermeticEnv({}),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('every command the banner prints works as printed on a fresh data folder', async () => {
  const text = banner(stack!, { temporalAddressGiven: false, cwd: repoRoot });
  const demo = stack!.opsApi.demoUser!;
  expect(demo.email).toBe(DEMO_USER.email);
  expect(text).toContain(`Demo user        ${DEMO_USER.email} (id ${demo.id})`);

  const { starters, signedEvent } = commands(text);
  expect(starters.map((c) => c.match(/npm run (\S+)/)![1])).toEqual([
    'provision-namespace',
    'rotate-api-key',
    'rotate-api-key',
    'offboard-user',
    'decommission-namespace',
    'decommission-namespace',
  ]);
  for (const command of [...starters, signedEvent]) expect(command).not.toMatch(/<[^>]*>/); // No placeholders.
  // The approvals are someone else's: the requester is whoever runs the commands.
  expect(starters[2]).toContain(`--approve --approver ${BANNER_APPROVER}`);
  expect(starters[5]).toContain(`--approve --approver ${BANNER_APPROVER}`);

  // In the order printed, except that the rotation and its approval (which then waits out the 5 s grace period)
  // and the signed event (another namespace) run alongside.
  const run = async (command: string) => ({ command, ...(await bash(command)) });
  const event = bash(signedEvent);
  const rotation = run(starters[1]!).then(async (started) => [started, await run(starters[2]!)]);
  const outcomes = [await run(starters[0]!)];
  for (const command of starters.slice(3)) outcomes.push(await run(command));
  outcomes.push(...(await rotation));
  expect(outcomes.filter((o) => o.code !== 0)).toEqual([]);
  const dryRun = outcomes.find((o) => o.command.includes('offboard-user'))!;
  // The rotation runs alongside, so the user holds one key or two by now: the line counts what its plan holds.
  const planned = (
    JSON.parse(dryRun.stdout.slice(dryRun.stdout.indexOf('{'))) as { plan: { apiKeys: unknown[] } }
  ).plan.apiKeys.length;
  expect(dryRun.stdout).toContain(`would delete ${planned} API key${planned === 1 ? '' : 's'} and the user`);

  const { stdout: eventOut } = await event;
  const [accepted, status] = eventOut
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(accepted).toMatchObject({ workflowId: `provision-namespace/${BANNER_EVENT_NAMESPACE}` });
  expect(status).toMatchObject({ workflowId: `provision-namespace/${BANNER_EVENT_NAMESPACE}` });
  await waitForRequest(String(accepted!.statusUrl), undefined, 30_000);

  const state = stack!.opsApi.emulator!.snapshot();
  // Provisioned then decommissioned; the event's namespace is there; the demo user's key was rotated (the dry run
  // changed nothing).
  expect(state.namespaces.map((n) => [n.spec.name, n.state])).toEqual([[BANNER_EVENT_NAMESPACE, 'active']]);
  expect(BANNER_NAMESPACE).not.toBe(BANNER_EVENT_NAMESPACE);
  const demoKeys = state.apiKeys.filter((k) => k.spec.ownerId === demo.id);
  expect(demoKeys.map((k) => [k.spec.displayName, k.state])).toEqual([[expect.any(String), 'active']]);
  expect(state.users.map((u) => u.spec.email)).toEqual([DEMO_USER.email]);
});

test('a failed workflow is logged with its error message and type, not "error":{}', async () => {
  const email = 'nobody-here@example.com';
  const sent = await sendEvent(stack!.events!.url, stack!.events!.secret, {
    id: 'evt-banner-fail',
    type: 'user.offboarding.requested',
    data: { email },
  });
  expect(sent.status).toBe(202);
  const final = await waitForRequest(String(sent.body.statusUrl), undefined, 30_000);
  expect(final.status).toBe('FAILED');

  const failedLine = async () => {
    for (let i = 0; i < 30; i++) {
      const line = logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'Workflow failed' && l.workflowId === `offboard-user/${email}`);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 100)); // The SDK's log buffer.
    }
    throw new Error(`no "Workflow failed" line in:\n${logLines.join('')}`);
  };
  const line = await failedLine();
  // The failure's own type (FailureType.NotFound) does not survive the SDK's log sink; its class does.
  expect(line.error).toEqual({
    type: 'ApplicationFailure',
    message: expect.stringContaining(`no user with email ${email}`),
  });
  expect(logLines.join('')).not.toMatch(/tmprl_/); // No API-key token in any log line.
});

test('once the demo user is gone, the banner shows a seed call that adds a user', async () => {
  const { demoUser: _gone, ...opsApi } = stack!.opsApi;
  const text = banner({ ...stack!, opsApi }, { temporalAddressGiven: false, cwd: repoRoot });
  const lines = text.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('curl') && l.includes('/_emulator/seed'));
  const seed = `${lines[at]!.replace(/\\$/, '')} ${lines[at + 1]}`;
  const { code, stdout } = await bash(seed);
  expect(code).toBe(0);
  const { userIds } = JSON.parse(stdout) as { userIds: string[] };
  expect(stack!.opsApi.emulator!.snapshot().users.find((u) => u.id === userIds[0])?.state).toBe('active');
});
