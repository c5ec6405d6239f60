// The expiry watch's rules without Temporal: the level an item is at, what the product does with it, which items are
// due to be reported given what was reported before, and `--within`. The days themselves run in
// test/workflows/watch-expiry.test.ts.
import { loadWorkerConfig } from '../../src/config';
import { withinDays } from '../../src/starters/expiring';
import { main as scheduleWatch } from '../../src/starters/schedule-expiry-watch';
import {
  dueReports,
  expiryAction,
  ledgerFrom,
  ledgerKey,
  levelOf,
  recorded,
  type ExpiringItem,
  type RotationPolicy,
} from '../../src/shared/expiry';
import { rotateExpiringKeysInput, validate } from '../../src/shared/validation';

const THRESHOLDS = [30, 14, 7, 1];

const key = (id: string, daysLeft: number, over: Partial<ExpiringItem> = {}): ExpiringItem => ({
  kind: 'api-key',
  id,
  name: id,
  owner: { type: 'user', id: 'u1', name: 'dev@example.com' },
  expiresAt: '2030-01-31T00:00:00Z', // the same key: its days left change, its expiry does not
  daysLeft,
  action: 'report',
  reason: 'user-owned',
  ...over,
});

test('an item is at the smallest threshold at or above its days left, 0 once expired, none beyond the widest', () => {
  expect([31, 30, 15, 14, 8, 7, 2, 1, 0, -1, -30].map((d) => levelOf(d, THRESHOLDS))).toEqual([
    undefined,
    30,
    30,
    14,
    14,
    7,
    7,
    1,
    1,
    0,
    0,
  ]);
});

test('what is due: new items at their level, a lower level once, several crossed at once as one; the ledger keeps only what is still to report', () => {
  const first = dueReports([key('a', 20), key('b', 5), key('c', 40)], THRESHOLDS, {});
  expect(first.due.map((d) => [d.id, d.level])).toEqual([
    ['a', 30],
    ['b', 7],
  ]);
  const ledger = recorded(first.kept, first.due);
  // A day later nothing crossed; then `a` skips from 30 past 14 to 7 (missed runs): one report, at 7.
  expect(dueReports([key('a', 19), key('b', 4)], THRESHOLDS, ledger).due).toEqual([]);
  const later = dueReports([key('a', 7), key('b', 3)], THRESHOLDS, ledger);
  expect(later.due.map((d) => [d.id, d.level])).toEqual([['a', 7]]);
  // `b` is now rotated by the product (or gone): it leaves the ledger, and `a` keeps what was reported.
  const moved = dueReports(
    [key('a', 7), key('b', 3, { action: 'rotate', reason: 'auto-rotated' })],
    THRESHOLDS,
    {
      ...ledger,
      [ledgerKey(key('a', 7))]: 7,
    },
  );
  expect(moved).toEqual({ due: [], kept: { [ledgerKey(key('a', 7))]: 7 } });
  // A key given a new expiry is a new item to warn about.
  const renewed = key('a', 25, { expiresAt: '2030-02-04T00:00:00Z' });
  expect(dueReports([renewed], THRESHOLDS, { [ledgerKey(key('a', 7))]: 7 }).due.map((d) => d.level)).toEqual([
    30,
  ]);
});

test('what the product does: CAs and users are reported; service accounts rotated when chosen, reported when not or when rotation failed', () => {
  const sa = (name: string, daysLeft = 20) =>
    key('k', daysLeft, { owner: { type: 'service-account', id: `id-${name}`, name } });
  const chosen: RotationPolicy = { serviceAccounts: ['ci'], leadDays: 14 };
  const ca = key('fp', 3, {
    kind: 'ca-certificate',
    owner: { type: 'namespace', id: 'n1', name: 'payments' },
  });
  expect(expiryAction(ca, chosen, false)).toEqual({ action: 'report', reason: 'ca-certificate' });
  expect(expiryAction(key('u', 3), { serviceAccounts: 'all', leadDays: 14 }, false).reason).toBe(
    'user-owned',
  );
  expect(expiryAction(sa('ci'), chosen, false)).toEqual({ action: 'rotate', reason: 'auto-rotated' });
  expect(expiryAction(sa('ci', 3), chosen, false).action).toBe('rotate'); // the next watch rotates it
  expect(expiryAction(sa('ci', 3), chosen, true)).toEqual({ action: 'report', reason: 'not-rotated' });
  expect(expiryAction(sa('legacy'), chosen, false).reason).toBe('not-configured');
  expect(expiryAction(sa('ci'), { serviceAccounts: 'none', leadDays: 14 }, false).reason).toBe(
    'not-configured',
  );
  expect(expiryAction(sa('ci'), undefined, false).reason).toBe('not-configured');
});

test('a ledger is read only from a result that holds one; anything else is a first run', () => {
  expect(ledgerFrom(undefined)).toEqual({});
  expect(ledgerFrom({ ledger: ['x'] })).toEqual({});
  expect(ledgerFrom({ ledger: { a: 7, b: 'seven' } })).toEqual({ a: 7 });
});

test('--within takes days or weeks; the sweep names service accounts only for service-account keys', () => {
  expect(['30d', '2w', '45', '0', '45x', '36h', '', '3651'].map(withinDays)).toEqual([
    30,
    14,
    45,
    0,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  expect(validate(rotateExpiringKeysInput, { serviceAccounts: ['ci'], ownerType: 'user' })).toEqual({
    ok: false,
    problems: [
      { field: 'serviceAccounts', message: 'names service accounts: it cannot go with ownerType user' },
    ],
  });
});

test('the worker needs the expiry webhook secret with its URL (the receiver checks the signature)', () => {
  const env = { OPS_API_URL: 'http://127.0.0.1:7243', OPS_API_KEY: 'k' };
  const url = { EXPIRY_WEBHOOK_URL: 'https://hooks.example.com/expiry' };
  expect(() => loadWorkerConfig({ ...env, ...url })).toThrow(
    /EXPIRY_WEBHOOK_HMAC_SECRET: is required with EXPIRY_WEBHOOK_URL/,
  );
  expect(() => loadWorkerConfig({ ...env, DRIFT_WEBHOOK_URL: url.EXPIRY_WEBHOOK_URL })).toThrow(
    /DRIFT_WEBHOOK_HMAC_SECRET: is required with DRIFT_WEBHOOK_URL/,
  );
  expect(
    loadWorkerConfig({ ...env, ...url, EXPIRY_WEBHOOK_HMAC_SECRET: '0123456789abcdef' }).EXPIRY_WEBHOOK_URL,
  ).toBe(url.EXPIRY_WEBHOOK_URL);
});

test('schedule-expiry-watch names each bad flag and contacts nothing', async () => {
  let stderr = '';
  const code = await scheduleWatch(
    ['--thresholds', '30,abc,0', '--rotate-service-accounts', ',', '--interval', '5s'],
    {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
      connect: () => Promise.reject(new Error('must not connect')),
    },
  );
  expect(code).toBe(2);
  expect(stderr).toMatch(/--thresholds: must be a number/);
  expect(stderr).toMatch(/--thresholds: must be at least 1/);
  expect(stderr).toMatch(/--rotate-service-accounts: must name one at least/);
  expect(stderr).toMatch(/--interval: must be a duration of at least 1m/);
});
