// The expiry watch as it runs in the product, against the whole service (dev server with real Schedules, emulator,
// worker with EXPIRY_WEBHOOK_*, portal): `schedule-expiry-watch` schedules it, a triggered run rotates what it may and
// reports the rest through the signed webhook, a run triggered again gets the first one's ledger from the Schedule
// (its last completion result) and reports nothing new; the portal's "Expiring soon" page and `npm run expiring`
// (table and JSON) show the same items, without a token. Days passing are shown in test/workflows/watch-expiry.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { FileSecretSink } from '../../src/secrets';
import { verifyWebhookSignature } from '../../src/secrets/webhook-signature';
import type { Stack } from '../../src/service/stack';
import { STACK_FILES } from '../../src/service/stack/types';
import { main as expiring } from '../../src/starters/expiring';
import { main as schedule } from '../../src/starters/schedule-expiry-watch';
import type { WatchExpiryResult } from '../../src/workflows';
import { seedExpiringAccount, WATCHED_USER as DEV } from '../helpers/expiring-account';
import { eventually, Visitor } from '../helpers/portal';
import { startTestStack } from '../helpers/service';
import { runMain } from '../starters/run-starter';

const SECRET = 'expiry-webhook-secret-0123';
const ALICE = 'alice@example.com';

let stack: Stack;
const posts: Array<{ body: string; signed: boolean }> = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const h = req.headers;
    posts.push({
      body,
      signed: verifyWebhookSignature(body, h['x-signature-timestamp'], h['x-signature-256'], SECRET),
    });
    res.writeHead(204).end();
  });
});
let ids: Map<string, string>;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  stack = await startTestStack('expiring', {
    emulatorOptions: { asyncOperationDurationMs: 300, checkDurationMs: 100 },
    events: { host: '127.0.0.1', port: 0, portal: { approvers: [ALICE], trustedProxies: ['127.0.0.1'] } },
    env: {
      PATH: process.env.PATH,
      EXPIRY_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/expiry`,
      EXPIRY_WEBHOOK_HMAC_SECRET: SECRET,
    },
  });
  ids = await seedExpiringAccount(stack.opsApi.emulator!, Date.now());
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

const io = () => ({ client: stack.client, env: { TASK_QUEUE: stack.taskQueue } });

/** Triggers the schedule and returns the result of the run it started (the `n`th). */
async function triggered(n: number): Promise<WatchExpiryResult> {
  expect((await runMain(schedule, ['--trigger-now', '--json'], io())).code).toBe(0);
  const handle = stack.client.schedule.getHandle('expiry-watch');
  const workflowId = await eventually(async () => {
    const recent = (await handle.describe()).info.recentActions;
    const action = recent.length >= n ? recent[n - 1]!.action : undefined;
    return action?.type === 'startWorkflow' ? action.workflow.workflowId : undefined;
  }, `run ${n} of the schedule`);
  return stack.client.workflow.getHandle<() => Promise<WatchExpiryResult>>(workflowId).result();
}

test('scheduled, triggered twice: rotates, reports once through the webhook, and shows the same in the portal and the command', async () => {
  const created = await runMain(schedule, ['--rotate-service-accounts', 'svc-auto', '--json'], io());
  expect(created).toMatchObject({ code: 0 });
  expect(JSON.parse(created.stdout)).toMatchObject({ outcome: 'created' });

  const first = await triggered(1);
  expect(first.rotation).toMatchObject({ rotated: 1, failed: 0 });
  expect(first.rotation!.rotatedKeys.map((r) => r.keyId)).toEqual([ids.get('svc-auto-5d')]);
  const reported = first.reported.map((r) => [r.name, r.level]).sort();
  expect(reported).toEqual(
    [
      ['CN=CA 20d', 30],
      ['CN=CA 5d', 7],
      ['dev-20d', 30],
      ['dev-5d', 7],
      ['svc-manual-20d', 30],
      ['svc-manual-5d', 7],
    ].sort(),
  );
  expect(posts).toHaveLength(1);
  expect(posts[0]!.signed).toBe(true);
  expect((JSON.parse(posts[0]!.body) as { entries: unknown[] }).entries).toHaveLength(6);

  // The Schedule hands the first run's result to the next: nothing crossed a threshold since, nothing is posted.
  const second = await triggered(2);
  expect(second).toMatchObject({ reported: [], notified: 'nothing-new', ledger: first.ledger });
  expect(posts).toHaveLength(1);

  // The portal: an approver sees the whole window; a user the keys they own; nobody without a session.
  const page = await new Visitor(stack.events!.url, { headers: { 'x-forwarded-email': ALICE } }).get(
    '/expiring',
  );
  expect(page.status).toBe(200);
  for (const name of ['svc-auto-20d', 'svc-manual-20d', 'dev-5d', 'CN=CA 5d'])
    expect(page.body).toContain(`${name} <span class="muted id">`);
  expect(page.body).toContain('rotated automatically 14 days before expiry');
  expect(page.body).toContain('reported: not set up for automatic rotation');
  expect(page.body).not.toContain('svc-manual-40d'); // outside the 30-day window
  expect(page.body).not.toContain(ids.get('svc-auto-5d')); // rotated away
  const own = await new Visitor(stack.events!.url, { headers: { 'x-forwarded-email': DEV } }).get(
    '/expiring',
  );
  expect(own.body).toContain('dev-5d');
  expect(own.body).not.toContain('svc-manual');
  expect(own.body).not.toContain('CA 5d');
  expect((await new Visitor(stack.events!.url).get('/expiring')).status).toBe(401);

  // The command: further ahead, what the scheduled watch does with each.
  const table = await runMain(expiring, ['--within', '45d'], io());
  expect(table.code).toBe(0);
  const lines = table.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^DAYS LEFT\s+EXPIRES\s+KIND\s+NAME\s+ID\s+OWNER\s+WHAT HAPPENS$/);
  expect(lines.find((l) => l.includes('svc-auto-40d'))).toMatch(
    /^40\s.*API key\s+svc-auto-40d\s.*service-account svc-auto\s+rotated automatically 14 days before expiry$/,
  );
  expect(lines.find((l) => l.includes('CN=CA 5d'))).toMatch(
    /^5\s.*CA\s.*namespace payments\s+reported: roll the CA over$/,
  );
  expect(lines.some((l) => l.includes('100d'))).toBe(false);
  const json = await runMain(expiring, ['--within', '2w', '--json'], io());
  const doc = JSON.parse(json.stdout) as {
    ok: boolean;
    withinDays: number;
    items: Array<{ name: string; reason: string }>;
  };
  expect(doc).toMatchObject({
    ok: true,
    withinDays: 14,
    rotation: { serviceAccounts: ['svc-auto'], leadDays: 14 },
  });
  expect(doc.items.map((i) => [i.name, i.reason]).sort()).toEqual(
    [
      ['CN=CA 5d', 'ca-certificate'],
      ['dev-5d', 'user-owned'],
      ['svc-manual-5d', 'not-configured'],
    ].sort(),
  );
  // Without the watch's schedule nothing rotates on its own, and the command says so.
  const unscheduled = await runMain(expiring, ['--schedule-id', 'no-such-watch', '--json'], io());
  expect(unscheduled.stderr).toMatch(
    /no expiry watch is scheduled as no-such-watch: nothing is rotated on its own/,
  );
  const auto20 = (JSON.parse(unscheduled.stdout) as typeof doc).items.find((i) => i.name === 'svc-auto-20d');
  expect(auto20).toMatchObject({
    reason: 'not-configured',
    does: 'reported: not set up for automatic rotation',
  });
  const bad = await runMain(expiring, ['--within', '45x'], io());
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--within: must be a number of days such as 30d, 2w or 45/);

  // No token in any of it.
  const replacement = first.rotation!.rotatedKeys[0]!.newKeyId;
  const sink = new FileSecretSink({ dir: path.join(stack.dataDir, STACK_FILES.secrets) });
  const token = (await sink.read(`api-keys/${replacement}`))!.secret;
  for (const text of [posts[0]!.body, page.body, table.stdout, json.stdout, JSON.stringify(first)])
    expect(text).not.toContain(token);
});
