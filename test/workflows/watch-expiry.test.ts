// The expiry watch over days of simulated time: an account with API keys (a service account the watch rotates, one it
// does not, a user) and accepted CA certificates expiring at 5, 20, 40 and 100 days. The time-skipping server has
// no Schedules, so the test does what the schedule does: a run each day, handing each run the previous run's ledger
// (the schedule hands over the last completion result; test/portal/expiring.test.ts shows it on a real one).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { verifyWebhookSignature } from '../../src/secrets/webhook-signature';
import type { ExpiryLedger, WatchExpiryInput } from '../../src/shared/expiry';
import { listExpiring, watchExpiry, type WatchExpiryResult } from '../../src/workflows';
import { seedExpiringAccount } from '../helpers/expiring-account';
import { searchableText } from '../helpers/history';
import { createOpsStack, dialectFreeTest, mutations, type OpsStack } from '../helpers/stack';
import { envPerFile } from '../helpers/temporal';

const DAY = 86_400_000;
const SECRET = 'expiry-webhook-secret-0123';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
let t0: number;
/** What the receiver got, each checked against its signature; `answer` is what it says next. */
const received: Array<{ body: Record<string, unknown>; signed: boolean }> = [];
let answer = 204;
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const h = req.headers;
    const signed = verifyWebhookSignature(body, h['x-signature-timestamp'], h['x-signature-256'], SECRET);
    received.push({ body: JSON.parse(body) as Record<string, unknown>, signed });
    res.writeHead(answer).end();
  });
});

/** Key name → its id, as seeded. */
let seeded: Map<string, string>;

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => receiver.close(resolve));
});
envPerFile(async (made) => {
  env = made;
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/expiry`;
  stack = await createOpsStack(
    env,
    { asyncOperationDurationMs: { '*': 1000 }, checkDurationMs: 1000 },
    { expiryWebhook: { url, secret: SECRET } },
  );
  t0 = await env.currentTimeMs();
  seeded = await seedExpiringAccount(stack.emulator, t0);
  // The bundle reads back as it was seeded, in this dialect too.
  const [ns] = (await stack.client.listNamespaces()).namespaces!;
  expect(ns!.spec.mtlsAuth?.acceptedClientCa).toBeTruthy();
});

const INPUT: WatchExpiryInput = { rotateServiceAccounts: ['svc-auto'], gracePeriod: '0' };

/** One scheduled run on `day`, with the ledger the previous run left. */
async function watchOn(day: number, ledger: ExpiryLedger | undefined, id = `day-${day}`) {
  const wait = t0 + day * DAY - (await env.currentTimeMs());
  if (wait > 0) await env.sleep(wait);
  return env.client.workflow.execute(watchExpiry, {
    args: ledger ? [INPUT, ledger] : [INPUT],
    workflowId: `expiry-watch/watch-${id}`,
    taskQueue: stack.taskQueue,
  });
}

/** The name an item was seeded under. */
const nameOf = (item: { kind: string; name: string; id: string }) =>
  item.kind === 'api-key' ? item.name : item.name.replace(/^CN=/, '');

test('over eleven days, what the watch may rotate it rotates and the rest is reported once per threshold crossed', async () => {
  const results: Array<{ day: number; result: WatchExpiryResult; posts: typeof received }> = [];
  await stack.runWorker(async () => {
    let ledger: ExpiryLedger | undefined;
    // Day 6 is missed (a worker down, a paused schedule): the next run reports what crossed meanwhile.
    for (const day of [0, 1, 2, 3, 4, 5, 7, 8, 9, 10]) {
      const before = received.length;
      const result = await watchOn(day, ledger);
      results.push({ day, result, posts: received.slice(before) });
      ledger = result.ledger;
    }
  });

  // Every item, the levels it was reported at, in order (0: expired).
  const reports = new Map<string, number[]>();
  for (const { result } of results)
    for (const r of result.reported) reports.set(nameOf(r), [...(reports.get(nameOf(r)) ?? []), r.level]);
  const once = (levels: number[]) => (name: string) => [
    [`svc-manual-${name}`, levels],
    [`dev-${name}`, levels],
    [`CA ${name}`, levels],
  ];
  expect(Object.fromEntries(reports)).toEqual(
    Object.fromEntries([...once([7, 1, 0])('5d'), ...once([30, 14])('20d'), ...once([30])('40d')]),
  );
  // The days they were reported on: the first run, a crossing, and day 7 for what crossed on the missed day 6.
  expect(results.filter((r) => r.result.reported.length > 0).map((r) => r.day)).toEqual([0, 4, 7, 10]);

  // One signed post per run that had something to report, one entry per item reported, none on other runs.
  for (const { day, result, posts } of results) {
    expect({ day, posts: posts.length }).toEqual({ day, posts: result.reported.length ? 1 : 0 });
    expect(result.notified).toBe(result.reported.length ? 'sent' : 'nothing-new');
    for (const post of posts) {
      expect(post.signed).toBe(true);
      expect(post.body).toMatchObject({
        type: 'expiry.warning',
        id: expect.stringMatching(/^expiry-watch\//),
      });
      const entries = post.body.entries as Array<{ id: string; threshold: number; owner: { name: string } }>;
      expect(entries.map((e) => [e.id, e.threshold])).toEqual(result.reported.map((r) => [r.id, r.level]));
    }
  }

  // svc-auto's keys are rotated as they come within 14 days (5d at once, 20d on day 7), never reported.
  const rotatedOn = results.flatMap(({ day, result }) =>
    (result.rotation?.rotatedKeys ?? []).map((r) => [day, r.keyId]),
  );
  expect(rotatedOn).toEqual([
    [0, seeded.get('svc-auto-5d')],
    [7, seeded.get('svc-auto-20d')],
  ]);
  const last = results.at(-1)!.result;
  expect(last.items.find((i) => i.id === seeded.get('svc-auto-40d'))).toMatchObject({
    action: 'rotate',
    reason: 'auto-rotated',
    daysLeft: 30,
  });
  expect(last.items.some((i) => i.name.startsWith('svc-auto-') && i.daysLeft < 30)).toBe(false);
  expect(last.items.some((i) => i.id === seeded.get('dev-100d'))).toBe(false);
  expect(last.items.find((i) => i.name === 'CN=CA 5d')).toMatchObject({
    kind: 'ca-certificate',
    owner: { type: 'namespace', name: 'payments' },
    action: 'report',
    daysLeft: -5,
  });

  // No token anywhere: not in a post, a result or a run's history.
  const tokens = await Promise.all(
    rotatedOn.map(async ([, keyId]) => {
      const replacement = stack.emulator
        .snapshot()
        .apiKeys.find((k) =>
          k.spec.displayName.startsWith(`${[...seeded].find(([, id]) => id === keyId)![0]} ~r`),
        );
      return (await stack.secrets.read(`api-keys/${replacement!.id}`))!.secret;
    }),
  );
  const seen =
    JSON.stringify(received) +
    JSON.stringify(results) +
    searchableText(await env.client.workflow.getHandle('expiry-watch/watch-day-7').fetchHistory());
  for (const token of tokens) expect(seen).not.toContain(token);

  // `npm run expiring`'s read: further ahead, what the scheduled watch would do; it changes nothing.
  stack.emulator.clearRequestLog();
  const listed = await stack.runWorker(() =>
    env.client.workflow.execute(listExpiring, {
      args: [{ withinDays: 45, rotation: { serviceAccounts: ['svc-auto'], leadDays: 14 } }],
      workflowId: 'list-expiring',
      taskQueue: stack.taskQueue,
    }),
  );
  expect(listed.items.map((i) => [nameOf(i), i.daysLeft, i.reason])).toEqual(
    expect.arrayContaining([
      ['svc-auto-40d', 30, 'auto-rotated'],
      ['svc-manual-40d', 30, 'not-configured'],
      ['dev-40d', 30, 'user-owned'],
      ['CA 40d', 30, 'ca-certificate'],
    ]),
  );
  expect(listed.items.every((i) => i.daysLeft <= 45)).toBe(true);
  expect(mutations(stack.emulator)).toEqual([]);
});

dialectFreeTest(
  'a first run reports everything inside the window; a refused post is reported again next run',
  async () => {
    const refused = await stack.runWorker(async () => {
      answer = 400;
      try {
        return await watchOn(11, undefined, 'refused');
      } finally {
        answer = 204;
      }
    });
    expect(refused).toMatchObject({ notified: 'failed', reported: [], ledger: {} });
    expect(refused.notifyError).toMatch(/expiry webhook at http:\/\/127\.0\.0\.1:\d+ failed with HTTP 400/);
    const again = await stack.runWorker(() => watchOn(11, refused.ledger, 'again'));
    expect(again.notified).toBe('sent');
    // Everything to report inside 30 days, each at its level now: the 5d ones expired, 20d at 14, 40d at 30.
    expect(again.reported.map((r) => [nameOf(r), r.level]).sort()).toEqual(
      [
        ['CA 5d', 0],
        ['svc-manual-5d', 0],
        ['dev-5d', 0],
        ['CA 20d', 14],
        ['svc-manual-20d', 14],
        ['dev-20d', 14],
        ['CA 40d', 30],
        ['svc-manual-40d', 30],
        ['dev-40d', 30],
      ].sort(),
    );
    expect(Object.keys(again.ledger)).toHaveLength(9);
  },
);

dialectFreeTest('bad settings are refused, each by its field, before anything is called', async () => {
  stack.emulator.clearRequestLog();
  const failed = await stack.runWorker(() =>
    env.client.workflow
      .execute(watchExpiry, {
        args: [{ thresholds: [30, 30, 0], rotateServiceAccounts: [], leadDays: 30, expiryDays: 20 }],
        workflowId: 'expiry-watch/watch-bad',
        taskQueue: stack.taskQueue,
      })
      .catch((err: Error) => err),
  );
  const message = String((failed as Error & { cause?: Error }).cause?.message);
  expect(message).toMatch(/thresholds: must not repeat a threshold/);
  expect(message).toMatch(/thresholds\.2: must be at least 1/);
  expect(message).toMatch(/rotateServiceAccounts: must name one at least/);
  expect(message).toMatch(/expiryDays: must be greater than leadDays/);
  expect(stack.emulator.requestLog).toEqual([]);
});
