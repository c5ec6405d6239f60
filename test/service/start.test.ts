// `npm start` as a real process: clear one-line errors, health, the portal's link and login token, a clean SIGTERM
// stop that leaves no dev server behind, and a restart on the same data folder that finishes the run the first
// process left in flight.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sendEvent, waitForRequest } from '../../src/service/demo';
import { assertPortFree, freePort } from '../../src/service/dev-server';
import type { EmulatorState } from '../../src/emulator';
import {
  alive,
  descendants,
  exitWithin,
  killLeftovers,
  npmRun,
  prebuilt,
  survivors,
  waitForOutput,
  type NpmRun,
} from '../helpers/processes';
import { Visitor } from '../helpers/portal';

const dirs: string[] = [];

afterAll(async () => {
  killLeftovers(); // Only after a failure is anything left.
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

// The run's workflow bundle: each start then skips bundling its workflows (`npm run demo`'s test keeps that path).
let bundle: Record<string, string> = {};
beforeAll(async () => {
  bundle = await prebuilt();
});

function start(env: Record<string, string>): NpmRun {
  const run = npmRun('start', [], {
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    ...bundle,
    ...env,
  });
  return run;
}

/** A free port whose Web UI port (port + 1000, as the product derives it) is free too. */
async function temporalPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const ui = port + 1000;
    if (
      ui < 65536 &&
      (await assertPortFree('127.0.0.1', ui, 'ui', 'TEMPORAL_PORT').then(
        () => true,
        () => false,
      ))
    ) {
      return port;
    }
  }
}

async function ports() {
  return {
    TEMPORAL_PORT: String(await temporalPort()),
    EMULATOR_PORT: String(await freePort()),
    EVENTS_PORT: String(await freePort()),
  };
}

/** Healthy, and the banner printed (it comes once the log lines before it are out). */
async function waitHealthy(url: string, proc: NpmRun, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`npm start exited early:\n${proc.output()}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      await waitForOutput(proc, /Ctrl-C stops everything/, 10_000);
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not healthy after ${timeoutMs / 1000} s:\n${proc.output()}`);
}

/**
 * Sends `signal` to npm alone (`kill <pid>`) or, with `group`, to npm's whole process group (what a terminal's
 * Ctrl-C does), and checks that npm exits 0 within `ms` leaving no process it started and no port open.
 */
async function stopWithin(
  proc: NpmRun,
  ms: number,
  how: { signal: NodeJS.Signals; group?: boolean },
  ports: string[],
): Promise<void> {
  const tree = descendants(proc.pid);
  expect(tree.length).toBeGreaterThanOrEqual(2); // The service (node) and the dev server.
  const t0 = Date.now();
  process.kill(how.group ? -proc.pid : proc.pid, how.signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), ms);
  const exit = await proc.exited;
  clearTimeout(timer);
  expect(Date.now() - t0).toBeLessThan(ms);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(proc.output()).not.toContain('forced exit');
  expect(await survivors(tree)).toEqual([]);
  for (const port of ports) await assertPortFree('127.0.0.1', Number(port), `port ${port}`, 'test');
}

test('a port in use is one clear line and a non-zero exit', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-port-'));
  dirs.push(dataDir);
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  try {
    const proc = start({ DATA_DIR: dataDir, ...(await ports()), EVENTS_PORT: String(taken) });
    const { code } = await proc.exited;
    expect(code).not.toBe(0);
    expect(proc.output()).toMatch(
      new RegExp(`port ${taken} on 127.0.0.1 \\(the events endpoint\\) is already in use`),
    );
    expect(proc.output()).not.toMatch(/\n\s+at /); // No stack trace.
  } finally {
    blocker.close();
  }
});

test('a missing temporal binary is one clear line and a non-zero exit', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-bin-'));
  dirs.push(dataDir);
  const proc = start({
    DATA_DIR: dataDir,
    ...(await ports()),
    TEMPORAL_CLI_PATH: path.join(dataDir, 'no-such-temporal'),
  });
  const { code } = await proc.exited;
  expect(code).not.toBe(0);
  expect(proc.output()).toMatch(/TEMPORAL_CLI_PATH=.* is not an executable file/);
  expect(proc.output()).not.toMatch(/\n\s+at /);
});

test('comes up, stops cleanly on SIGTERM, and a restart finishes the run left in flight', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-smoke-'));
  dirs.push(dataDir);
  const env = { DATA_DIR: dataDir, ...(await ports()) };
  const eventsUrl = `http://127.0.0.1:${env.EVENTS_PORT}`;

  const first = start(env);
  await waitHealthy(eventsUrl, first);
  expect(first.output()).toContain(`Events endpoint  ${eventsUrl}/events`);
  // The portal's link and, on this first start only, its login token, which signs in.
  expect(first.output()).toContain(`Portal           ${eventsUrl}/`);
  const loginToken = /Portal login token \(shown this once;[^)]*\): (\S+)/.exec(first.output())?.[1];
  expect(loginToken).toBeDefined();
  expect((await new Visitor(eventsUrl).signIn(loginToken!, 'ops@example.com')).status).toBe(303);
  const devServerPid = Number(await readFile(path.join(dataDir, 'temporal.pid'), 'utf8'));
  expect(alive(devServerPid)).toBe(true);
  const secret = (await readFile(path.join(dataDir, 'events-hmac-secret'), 'utf8')).trim();

  // The emulator's default namespace activation (5 s) keeps this run in flight across the restart.
  const sent = await sendEvent(eventsUrl, secret, {
    id: 'evt-restart-1',
    type: 'namespace.requested',
    data: { name: 'restart-ns', region: 'aws-us-east-1', retentionDays: 7, wait: { minPollSeconds: 0.25 } },
  });
  expect(sent.status).toBe(202);
  const statusUrl = String(sent.body.statusUrl);
  for (;;) {
    const status = (await (await fetch(statusUrl)).json()) as { progress?: { step?: string } };
    if (status.progress?.step === 'waiting-for-namespace') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // `kill <npm pid>`: npm passes SIGTERM on to the service, which stops everything in order.
  await stopWithin(first, 15_000, { signal: 'SIGTERM' }, [
    env.TEMPORAL_PORT,
    env.EMULATOR_PORT,
    env.EVENTS_PORT,
  ]);
  expect(alive(devServerPid)).toBe(false);

  // At the default log level: what follows the banner while the run resumes is what a person would see.
  const second = start({ ...env, LOG_LEVEL: 'info' });
  await waitHealthy(eventsUrl, second);
  // Printed once: now the banner only says where its hash is, and the same token still signs in.
  expect(second.output()).toContain('Portal login token: printed at the first start');
  expect(second.output()).not.toContain(loginToken!);
  expect((await new Visitor(eventsUrl).signIn(loginToken!, 'ops@example.com')).status).toBe(303);
  const final = await waitForRequest(statusUrl, undefined, 60_000);
  expect(final).toMatchObject({ status: 'COMPLETED', result: { namespace: 'restart-ns.a1b2c' } });
  // Re-delivering the event after the restart answers with the same run.
  const again = await sendEvent(eventsUrl, secret, {
    id: 'evt-restart-1',
    type: 'namespace.requested',
    data: { name: 'restart-ns', region: 'aws-us-east-1', retentionDays: 7, wait: { minPollSeconds: 0.25 } },
  });
  expect(again).toMatchObject({ status: 200, body: { runId: sent.body.runId, duplicate: true } });
  // The banner stays the last thing on the screen while the run resumes: the worker's polls and the emulator's
  // requests log at debug. (This test's own requests to the events endpoint and portal are logged by them.)
  const afterBanner = second.output().split('Restarting resumes every run where it was.')[1]!;
  const ownRequests = /"component":"(events|portal)"/;
  expect(afterBanner.split('\n').filter((line) => line.trim() !== '' && !ownRequests.test(line))).toEqual([]);

  const key = (await readFile(path.join(dataDir, 'emulator-api-key'), 'utf8')).trim();
  const state = (await (
    await fetch(`http://127.0.0.1:${env.EMULATOR_PORT}/_emulator/state`, {
      headers: { authorization: `Bearer ${key}` },
    })
  ).json()) as EmulatorState;
  expect(state.namespaces.map((n) => [n.namespace, n.state])).toEqual([['restart-ns.a1b2c', 'active']]);

  // Ctrl-C in a terminal: SIGINT to npm and the service at once, and npm forwards its own; one key press must
  // count once (a second one would force exit).
  await stopWithin(second, 15_000, { signal: 'SIGINT', group: true }, [
    env.TEMPORAL_PORT,
    env.EMULATOR_PORT,
    env.EVENTS_PORT,
  ]);
});

test('SIGTERM to npm during start-up stops what has started, leaving nothing', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-early-'));
  dirs.push(dataDir);
  const proc = start({ DATA_DIR: dataDir, ...(await ports()) });
  // As soon as the dev server runs (its pid file appears): the service is still starting.
  let devServerPid = 0;
  for (let i = 0; i < 600 && !devServerPid; i++) {
    devServerPid = Number(await readFile(path.join(dataDir, 'temporal.pid'), 'utf8').catch(() => 0));
    if (proc.child.exitCode !== null) throw new Error(`npm start exited early:\n${proc.output()}`);
    if (!devServerPid) await new Promise((r) => setTimeout(r, 50));
  }
  const tree = descendants(proc.pid);
  expect(tree).toContain(devServerPid);
  process.kill(proc.pid, 'SIGTERM');
  expect(await exitWithin(proc, 60_000)).toEqual({ code: 0, signal: null });
  expect(proc.output()).not.toContain('Temporal Cloud Ops is running');
  expect(await survivors(tree)).toEqual([]);
});
