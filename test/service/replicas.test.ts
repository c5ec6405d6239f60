// Two replicas of the service's front door (events endpoint + portal) against one dev server and one emulator, as a
// fleet runs them: replica A is `npm start`'s stack (dev server, emulator, worker), replica B is `npm run service`'s
// (no worker, no data folder, every shared setting from its options). Whichever replica answers, the answer is the
// same; a restarted replica answers as before; a replica with other shared settings refuses to start, or turns not
// ready when it finds them on renewal.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { createLogger, silentLogger, type Logger } from '../../src/logger';
import { sha256Hex } from '../../src/portal/auth';
import { frontDoorProblems, loadServiceConfig } from '../../src/service/config';
import { sendEvent } from '../../src/service/demo';
import { freePort } from '../../src/service/dev-server';
import { buildEventsServer } from '../../src/service/events';
import { temporalReadiness } from '../../src/service/readiness';
import { settingsWorkflowId } from '../../src/service/shared-settings';
import { statusPath } from '../../src/requests/request-status';
import { startStack, type Stack, type StackOptions } from '../../src/service/stack';
import { eventually, Visitor } from '../helpers/portal';
import { exitWithin, killTree, npmRun, waitForOutput } from '../helpers/processes';
import { startTestStack } from '../helpers/service';

const SECRET = 'replicas-events-secret-0123456789';
const SESSION_SECRET = 'replicas-session-secret-0123456789-abcdef';
const LOGIN_TOKEN = 'replicas-login-token';
const LEASE_MS = 20_000;

let dataDir: string;
let a: Stack;
let b: Stack;
const stacks: Stack[] = [];
const logger = createLogger({ name: 'replicas-test', level: 'error', format: 'json' });

/** A front-door replica as `npm run service` starts it: no worker, nothing on local disk. */
async function replica(
  overrides: {
    secret?: string;
    sessionSecret?: string;
    trustedHeader?: string;
    taskQueue?: string;
    logger?: Logger;
    /** APPROVAL_POLICY of this replica. */
    policy?: string;
  } = {},
): Promise<Stack> {
  const options: StackOptions = {
    dataDir: path.join(dataDir, 'never-created'),
    files: false,
    worker: false,
    logger: overrides.logger ?? logger,
    env: {
      PATH: process.env.PATH,
      OPS_API_KEY: a.opsApi.emulator!.apiKey,
      ...(overrides.taskQueue ? { TASK_QUEUE: overrides.taskQueue } : {}),
      ...(overrides.policy ? { APPROVAL_POLICY: overrides.policy } : {}),
    },
    temporalAddress: a.temporal.address,
    opsApiUrl: a.opsApi.url,
    settingsLeaseMs: LEASE_MS,
    events: {
      host: '127.0.0.1',
      port: 0,
      secret: overrides.secret ?? SECRET,
      portal: {
        sessionSecret: overrides.sessionSecret ?? SESSION_SECRET,
        loginTokenSha256: sha256Hex(LOGIN_TOKEN),
        ...(overrides.trustedHeader ? { trustedHeader: overrides.trustedHeader } : {}),
      },
    },
  };
  const stack = await startStack(options);
  stacks.push(stack);
  return stack;
}

beforeAll(async () => {
  a = await startTestStack('replicas', {
    emulatorOptions: { asyncOperationDurationMs: 300, checkDurationMs: 100 },
    settingsLeaseMs: LEASE_MS,
    events: {
      host: '127.0.0.1',
      port: 0,
      secret: SECRET,
      portal: { sessionSecret: SESSION_SECRET, loginTokenSha256: sha256Hex(LOGIN_TOKEN) },
    },
  });
  dataDir = a.dataDir;
  stacks.push(a);
  b = await replica();
});

afterAll(async () => {
  for (const stack of stacks.reverse()) await stack.stop(); // a, the last, removes its data folder
});

const namespaceEvent = (id: string, name: string, retentionDays = 3) => ({
  id,
  type: 'namespace.requested' as const,
  data: {
    name,
    region: 'aws-us-east-1',
    retentionDays,
    serviceAccount: {},
    apiKey: {},
    wait: { minPollSeconds: 0.1 },
  },
});

async function status(stack: Stack, workflowId: string) {
  // The status link one replica hands out works on every other: they share the events secret.
  const res = await fetch(`${stack.events!.url}${statusPath(SECRET, workflowId)}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('a replica of the front door keeps nothing on local disk', () => {
  expect(existsSync(path.join(dataDir, 'never-created'))).toBe(false);
});

test('the same event delivered to both replicas at once starts one run', async () => {
  for (const n of [1, 2, 3]) {
    const event = namespaceEvent(`evt-race-${n}`, `race-${n}`);
    const answers = await Promise.all([a, b].map((s) => sendEvent(s.events!.url, SECRET, event)));
    expect(answers.map((x) => x.status).sort()).toEqual([200, 202]);
    const runIds = new Set(answers.map((x) => x.body.runId));
    expect(runIds.size).toBe(1);
    expect(answers.find((x) => x.status === 200)!.body.duplicate).toBe(true);
    const run = await a.client.workflow.getHandle(`provision-namespace/race-${n}`).describe();
    expect(runIds.has(run.runId)).toBe(true);
  }
  // One namespace each in the Ops API, once the runs are done.
  await eventually(async () => {
    const done = await Promise.all([1, 2, 3].map((n) => status(b, `provision-namespace/race-${n}`)));
    return done.every((d) => d.body.status === 'COMPLETED') ? true : undefined;
  }, 'the raced runs to complete');
  const names = a.opsApi.emulator!.snapshot().namespaces.map((n) => n.spec.name);
  for (const n of [1, 2, 3]) expect(names.filter((x) => x === `race-${n}`)).toHaveLength(1);
});

test('an id reused with a different body is refused by either replica, and status pages agree', async () => {
  const first = await sendEvent(b.events!.url, SECRET, namespaceEvent('evt-reused', 'reused'));
  expect(first.status).toBe(202);
  for (const stack of [a, b]) {
    const again = await sendEvent(stack.events!.url, SECRET, namespaceEvent('evt-reused', 'reused', 9));
    expect(again).toMatchObject({ status: 409, body: { error: 'event_id_reused' } });
    const same = await sendEvent(stack.events!.url, SECRET, namespaceEvent('evt-reused', 'reused'));
    expect(same).toMatchObject({ status: 200, body: { duplicate: true, runId: first.body.runId } });
  }
  const final = await eventually(async () => {
    const s = await status(a, 'provision-namespace/reused');
    return s.body.done ? s : undefined;
  }, 'the run to finish');
  expect(final.body).toMatchObject({ status: 'COMPLETED', eventId: 'evt-reused' });
  expect(await status(b, 'provision-namespace/reused')).toEqual(final);
  expect(await status(b, 'provision-namespace/unknown')).toEqual(
    await status(a, 'provision-namespace/unknown'),
  );
});

test('a portal session and a form made on one replica are accepted by the other', async () => {
  const onA = new Visitor(a.events!.url);
  expect((await onA.signIn(LOGIN_TOKEN, 'ada@example.com')).status).toBe(303);
  const token = await onA.csrf('/');
  const onB = new Visitor(b.events!.url);
  for (const [k, v] of onA.cookies) onB.cookies.set(k, v);
  const page = await onB.get('/');
  expect(page.status).toBe(200);
  expect(page.body).toContain('ada@example.com');
  // A CSRF token from a page of A, posted to B: the same key signs it.
  const logout = await onB.post('/logout', { _csrf: token });
  expect(logout).toMatchObject({ status: 303, headers: { location: '/login' } });
  // Without the cookie, B does not know anyone.
  expect((await new Visitor(b.events!.url).get('/')).status).toBe(401);
});

test('a restarted replica gives the same answers', async () => {
  const before = await status(b, 'provision-namespace/reused');
  const onA = new Visitor(a.events!.url);
  await onA.signIn(LOGIN_TOKEN, 'grace@example.com');
  await b.stop();
  b = await replica();
  expect(await status(b, 'provision-namespace/reused')).toEqual(before);
  const redelivered = await sendEvent(b.events!.url, SECRET, namespaceEvent('evt-reused', 'reused'));
  expect(redelivered).toMatchObject({ status: 200, body: { duplicate: true, runId: before.body.runId } });
  const reused = await sendEvent(b.events!.url, SECRET, namespaceEvent('evt-reused', 'reused', 9));
  expect(reused.status).toBe(409);
  const onB = new Visitor(b.events!.url);
  for (const [k, v] of onA.cookies) onB.cookies.set(k, v);
  expect((await onB.get('/')).body).toContain('grace@example.com');
});

test('a replica whose shared settings differ from the running ones refuses to start, naming them in one line', async () => {
  const refusal = replica({ secret: 'another-events-secret-0123456789' });
  await expect(refusal).rejects.toThrow(/^EVENTS_HMAC_SECRET differs from the running replicas'/);
  const message = await refusal.catch((err: Error) => err.message);
  expect(message).not.toContain('\n');
  expect(message).not.toContain('another-events-secret');
  await expect(
    replica({ secret: 'another-events-secret-0123456789', sessionSecret: 'x'.repeat(40) }),
  ).rejects.toThrow(/^EVENTS_HMAC_SECRET, PORTAL_SESSION_SECRET differ from the running replicas'/);
  // The record holds fingerprints, never the values.
  const record = await a.client.workflow.getHandle(settingsWorkflowId(a.taskQueue)).describe();
  expect(record.status.name).toBe('RUNNING');
  const memo = JSON.stringify(record.memo);
  for (const secret of [SECRET, SESSION_SECRET, sha256Hex(LOGIN_TOKEN)]) expect(memo).not.toContain(secret);
  // Salted with a random salt of the record, not a public one.
  expect(record.memo?.salt).toMatch(/^[0-9a-f]{32}$/);
  // Who is asking is answered alike: the proxy's header is shared too.
  await expect(replica({ trustedHeader: 'X-Auth-Request-User' })).rejects.toThrow(
    /^PORTAL_TRUSTED_HEADER differs from the running replicas'/,
  );
  // And so is who must approve what.
  await expect(replica({ policy: '{"trustedSources": ["events"]}' })).rejects.toThrow(
    /^APPROVAL_POLICY differs from the running replicas'/,
  );
  // The replicas that agree are still serving.
  expect((await fetch(`${b.events!.url}/readyz`)).status).toBe(200);
});

test('a replica that finds other shared settings on renewal turns not ready; a fresh record has a fresh salt', async () => {
  // Its own task queue, so its record is not the one A and B share.
  const taskQueue = 'replicas-retaken';
  const handle = a.client.workflow.getHandle(settingsWorkflowId(taskQueue));
  const logLines: string[] = [];
  const firstLogger = createLogger(
    { name: 'replicas-test', level: 'error', format: 'json' },
    {
      write: (line: string) => void logLines.push(line),
    },
  );
  const first = await replica({ taskQueue, logger: firstLogger });
  const firstRecord = (await handle.describe()).memo as {
    salt?: string;
    fingerprints?: Record<string, string>;
  };
  // The record expires (terminating it is the same, at once) and a replica with another secret takes it. The first
  // one's renewal may start a record again in between; then the other is refused, and we try again.
  const other = await eventually(
    async () => {
      await handle.terminate('the lease ran out').catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
      return replica({ taskQueue, secret: 'another-events-secret-0123456789' }).catch((err: Error) => {
        if (/differs from the running replicas'/.test(err.message)) return undefined;
        throw err;
      });
    },
    'another replica to take the record',
    LEASE_MS * 3,
  );
  const retaken = await handle.describe();
  expect(retaken.memo?.salt).toMatch(/^[0-9a-f]{32}$/);
  expect(retaken.memo?.salt).not.toEqual(firstRecord.salt);
  // The same session secret on both, hashed with another salt: nothing to compare across records.
  const retakenFingerprints = retaken.memo?.fingerprints as Record<string, string>;
  expect(retakenFingerprints.PORTAL_SESSION_SECRET).not.toEqual(
    firstRecord.fingerprints?.PORTAL_SESSION_SECRET,
  );
  // The first replica's next renewal finds the other settings: the load balancer must take it out.
  const body = await eventually(
    async () => {
      const res = await fetch(`${first.events!.url}/readyz`);
      return res.status === 503 ? ((await res.json()) as Record<string, unknown>) : undefined;
    },
    "the first replica's renewal",
    LEASE_MS * 3,
  );
  expect(body).toMatchObject({ reason: 'shared_settings_mismatch' });
  expect((await fetch(`${other.events!.url}/readyz`)).status).toBe(200);
  // It stops renewing, so it says so once (two more renewal periods pass), naming the variable, never the value.
  await new Promise((r) => setTimeout(r, LEASE_MS / 2));
  const mismatches = logLines.filter((line) => line.includes('shared settings differ from the record'));
  expect(mismatches).toHaveLength(1);
  expect(mismatches[0]).toContain('EVENTS_HMAC_SECRET differs');
  expect(logLines.join('')).not.toContain(SECRET);
  await Promise.all([first.stop(), other.stop()]);
});

test('readiness fails while draining (requests are still answered) and when Temporal is unreachable', async () => {
  expect(await (await fetch(`${b.events!.url}/readyz`)).json()).toMatchObject({ status: 'ready' });
  b.drain();
  const draining = await fetch(`${b.events!.url}/readyz`);
  expect(draining.status).toBe(503);
  expect(await draining.json()).toMatchObject({ reason: 'draining' });
  expect((await fetch(`${b.events!.url}/healthz`)).status).toBe(200);
  expect((await status(b, 'provision-namespace/reused')).status).toBe(200);

  const nowhere = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
  const app = buildEventsServer({
    client: nowhere,
    taskQueue: 'nowhere',
    secret: SECRET,
    logger: silentLogger,
    ready: temporalReadiness(nowhere, 1_000).check,
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ reason: 'temporal_unreachable' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  } finally {
    await app.close();
    await nowhere.connection.close();
  }
});

test('live replicas keep renewing the shared-settings record', async () => {
  const handle = a.client.workflow.getHandle(settingsWorkflowId(a.taskQueue));
  const first = (await handle.describe()).runId;
  await eventually(
    async () => ((await handle.describe()).runId !== first ? true : undefined),
    'a renewal',
    LEASE_MS * 2,
  );
  expect((await handle.describe()).status.name).toBe('RUNNING');
});

test('npm run service: a replica process serves; on SIGTERM its readiness fails first, then it exits 0', async () => {
  const port = await freePort();
  const service = npmRun('service', [], {
    LOG_FORMAT: 'json',
    TEMPORAL_ADDRESS: a.temporal.address,
    OPS_API_URL: a.opsApi.url,
    OPS_API_KEY: a.opsApi.emulator!.apiKey,
    EVENTS_PORT: String(port),
    EVENTS_HMAC_SECRET: SECRET,
    PORTAL_SESSION_SECRET: SESSION_SECRET,
    PORTAL_LOGIN_TOKEN_SHA256: sha256Hex(LOGIN_TOKEN),
    DRAIN_SECONDS: '3',
  });
  try {
    await waitForOutput(service, /service ready/);
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const again = await sendEvent(url, SECRET, namespaceEvent('evt-reused', 'reused'));
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });

    process.kill(service.pid, 'SIGTERM');
    // Until it closes: ready, then not ready (draining) while it still answers, then gone.
    const seen: string[] = [];
    while (service.child.exitCode === null) {
      const ready = await fetch(`${url}/readyz`).then(
        async (r) => `${r.status} ${((await r.json()) as { reason?: string }).reason ?? ''}`.trim(),
        () => 'closed',
      );
      if (seen.at(-1) !== ready) seen.push(ready);
      if (ready === 'closed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.filter((x) => x !== '200')[0]).toBe('503 draining');
    expect(await exitWithin(service, 30_000)).toEqual({ code: 0, signal: null });
  } finally {
    killTree(service);
  }
});

test('npm run service whose shared settings differ from the running replicas exits 2 (a configuration mistake)', async () => {
  const service = npmRun('service', [], {
    LOG_FORMAT: 'json',
    TEMPORAL_ADDRESS: a.temporal.address,
    OPS_API_URL: a.opsApi.url,
    OPS_API_KEY: a.opsApi.emulator!.apiKey,
    EVENTS_PORT: String(await freePort()),
    EVENTS_HMAC_SECRET: 'another-events-secret-0123456789',
    PORTAL_SESSION_SECRET: SESSION_SECRET,
    PORTAL_LOGIN_TOKEN_SHA256: sha256Hex(LOGIN_TOKEN),
  });
  try {
    expect(await exitWithin(service, 30_000)).toEqual({ code: 2, signal: null });
    expect(service.output()).toMatch(
      /npm run service: EVENTS_HMAC_SECRET differs from the running replicas'/,
    );
    expect(service.output()).not.toContain('another-events-secret');
  } finally {
    killTree(service);
  }
});

test('npm run service without its shared settings exits 2, naming each missing variable', async () => {
  const service = npmRun('service', []);
  try {
    expect(await exitWithin(service, 30_000)).toEqual({ code: 2, signal: null });
    for (const name of ['TEMPORAL_ADDRESS', 'EVENTS_HMAC_SECRET', 'PORTAL_SESSION_SECRET']) {
      expect(service.output()).toContain(`${name}: is required`);
    }
  } finally {
    killTree(service);
  }
});

test('npm run service names every missing shared setting', () => {
  const env = { PORTAL_ENABLED: 'true' };
  expect(frontDoorProblems(loadServiceConfig(env), env).map((p) => p.split(':')[0])).toEqual([
    'TEMPORAL_ADDRESS',
    'OPS_API_URL',
    'OPS_API_KEY',
    'EVENTS_HMAC_SECRET',
    'PORTAL_SESSION_SECRET',
    'PORTAL_LOGIN_TOKEN_SHA256',
  ]);
  // Its fingerprint is readable in the namespace: `npm run service` wants a secret too long to guess.
  const short = { ...env, EVENTS_HMAC_SECRET: 'x'.repeat(20) };
  expect(frontDoorProblems(loadServiceConfig(short), short)).toContain(
    'EVENTS_HMAC_SECRET: must be at least 32 characters with `npm run service` (e.g. openssl rand -base64 32)',
  );
  const long = { ...env, EVENTS_HMAC_SECRET: 'x'.repeat(32) };
  expect(frontDoorProblems(loadServiceConfig(long), long).join('\n')).not.toContain('EVENTS_HMAC_SECRET');
  const noPortal = { PORTAL_ENABLED: 'false' };
  expect(frontDoorProblems(loadServiceConfig(noPortal), noPortal).map((p) => p.split(':')[0])).not.toContain(
    'PORTAL_SESSION_SECRET',
  );
});

test("the container image's command is the service's npm script", () => {
  const root = path.resolve(__dirname, '../..');
  const dockerfile = readFileSync(path.join(root, 'deploy/Dockerfile'), 'utf8');
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const [npm, run, script] = JSON.parse(cmd ?? '[]') as string[];
  expect([npm, run]).toEqual(['npm', 'run']);
  const scripts = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  expect(scripts[script!]).toBe('exec node --import tsx src/service/service.ts');
});
