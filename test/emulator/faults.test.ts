import { startEmulator } from '../../src/emulator';
import { API_KEY, httpClient, nsSpec, startTestEmulator, type TestApi } from './helpers';

let api: TestApi;
beforeEach(async () => {
  api = await startTestEmulator();
});
afterEach(() => api.close());

test('error faults answer 500 internal / 503 unavailable and change nothing', async () => {
  api.emu.faults.add({ kind: 'error', status: 500, operationId: 'createNamespace', count: 1 });
  api.emu.faults.add({ kind: 'error', status: 503, operationId: 'createUser', count: 1 });
  const before = api.emu.snapshot();
  const a = await api.post('/api/v1/namespaces', nsSpec('faulty'));
  expect(a.status).toBe(500);
  expect(a.body).toEqual({ code: 'internal', message: expect.any(String) });
  const b = await api.post('/api/v1/users', { spec: { email: 'f@example.com' } });
  expect(b.status).toBe(503);
  expect(b.body).toEqual({ code: 'unavailable', message: expect.any(String) });
  expect(api.emu.snapshot()).toEqual(before);
  // Both rules are spent: the retries go through.
  expect((await api.post('/api/v1/namespaces', nsSpec('faulty'))).status).toBe(200);
  expect((await api.post('/api/v1/users', { spec: { email: 'f@example.com' } })).status).toBe(200);
  expect(api.emu.faults.list()).toEqual([]);
});

test('rate-limit fault answers 429 rate_limited with Retry-After', async () => {
  api.emu.faults.add({ kind: 'rate-limit', retryAfterSeconds: 7, count: 1 });
  const res = await api.get('/api/v1/regions');
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe('7');
  expect(res.body).toEqual({ code: 'rate_limited', message: expect.any(String) });
  expect((await api.get('/api/v1/regions')).status).toBe(200);
});

test('latency fault delays only the matching operation', async () => {
  api.emu.faults.add({ kind: 'latency', ms: 300, operationId: 'listUsers' });
  const order: string[] = [];
  const started = Date.now();
  const slow = api.get('/api/v1/users').then((r) => {
    order.push('slow');
    return r;
  });
  const fast = api.get('/api/v1/regions').then((r) => {
    order.push('fast');
    return r;
  });
  const [s, f] = await Promise.all([slow, fast]);
  expect([s.status, f.status]).toEqual([200, 200]);
  expect(order).toEqual(['fast', 'slow']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  const log = api.emu.requestLog;
  expect(log.map((e) => e.operationId)).toEqual(['listRegions', 'listUsers']);
});

test('commit-then-drop: the client sees a connection failure, yet the change is committed', async () => {
  api.emu.faults.add({ kind: 'commit-then-drop', operationId: 'createNamespace', count: 1 });
  await expect(api.post('/api/v1/namespaces', nsSpec('dropped'))).rejects.toThrow();
  const ns = await api.get('/api/v1/namespaces/dropped.a1b2c');
  expect(ns.status).toBe(200);
  expect(ns.body.state).toBe('activating');
  // The retry a client would make now finds the namespace.
  const retry = await api.post('/api/v1/namespaces', nsSpec('dropped'));
  expect(retry.status).toBe(409);
  expect(api.emu.requestLog.map((e) => [e.operationId, e.status])).toEqual([
    ['createNamespace', 0],
    ['getNamespace', 200],
    ['createNamespace', 409],
  ]);
});

test('commit-then-drop is not spent on a request that is rejected', async () => {
  api.emu.faults.add({ kind: 'commit-then-drop', operationId: 'createUser', count: 1 });
  expect((await api.post('/api/v1/users', { spec: { email: 'bad' } })).status).toBe(400);
  expect(api.emu.faults.list()).toHaveLength(1);
  await expect(api.post('/api/v1/users', { spec: { email: 'good@example.com' } })).rejects.toThrow();
  expect(api.emu.snapshot().users.map((u) => u.spec.email)).toEqual(['good@example.com']);
});

test('async-fail: the mutation is accepted, its operation ends failed with the reason', async () => {
  api.emu.faults.add({ kind: 'async-fail', operationId: 'createServiceAccount', reason: 'quota', count: 1 });
  // A rejected request does not spend the rule.
  expect((await api.post('/api/v1/service-accounts', { spec: { name: '' } })).status).toBe(400);
  const sa = await api.post('/api/v1/service-accounts', { spec: { name: 'unlucky' } });
  expect(sa.status).toBe(200);
  api.clock.advance(1000);
  const op = await api.get(`/api/v1/async-operations/${sa.body.asyncOperationId}`);
  expect(op.body).toMatchObject({
    state: 'failed',
    failureReason: 'quota',
    operationType: 'createServiceAccount',
  });
  expect((await api.get(`/api/v1/service-accounts/${sa.body.serviceAccountId}`)).status).toBe(404);
  const next = await api.post('/api/v1/service-accounts', { spec: { name: 'lucky' } });
  api.clock.advance(1000);
  expect((await api.get(`/api/v1/async-operations/${next.body.asyncOperationId}`)).body.state).toBe(
    'fulfilled',
  );
});

test('count: a rule applies to the next N matching requests only, and list() shows what is left', async () => {
  const id = api.emu.faults.add({ kind: 'error', status: 503, operationId: 'getUser', count: 3 });
  expect((await api.get('/api/v1/regions')).status).toBe(200); // not matching: not spent
  expect(api.emu.faults.list()).toEqual([
    { id, kind: 'error', status: 503, operationId: 'getUser', count: 3 },
  ]);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await api.get('/api/v1/users/ghost')).status);
  expect(statuses).toEqual([503, 503, 503, 404, 404]);
  expect(api.emu.faults.list()).toEqual([]);
});

test('without count a rule is unlimited until removed; clear() removes all', async () => {
  const id = api.emu.faults.add({ kind: 'error', status: 500, operationId: '*' });
  for (let i = 0; i < 3; i++) expect((await api.get('/api/v1/regions')).status).toBe(500);
  api.emu.faults.remove(id);
  expect((await api.get('/api/v1/regions')).status).toBe(200);
  api.emu.faults.add({ kind: 'error', status: 500 });
  api.emu.faults.add({ kind: 'latency', ms: 1 });
  api.emu.faults.clear();
  expect(api.emu.faults.list()).toEqual([]);
  expect((await api.get('/api/v1/regions')).status).toBe(200);
});

test('probability: a seeded share of requests, reproducible run to run', async () => {
  const run = async (seed: number) => {
    const emu = await startEmulator({
      apiKey: API_KEY,
      faults: [{ kind: 'error', status: 500, operationId: 'listRegions', probability: 0.3, seed }],
    });
    try {
      const http = httpClient(emu.url, API_KEY);
      const out: number[] = [];
      for (let i = 0; i < 60; i++) out.push((await http.get('/api/v1/regions')).status);
      return out;
    } finally {
      await emu.close();
    }
  };
  const a = await run(42);
  const b = await run(42);
  const c = await run(7);
  expect(a).toEqual(b);
  expect(a).not.toEqual(c);
  const failures = a.filter((s) => s === 500).length;
  expect(failures).toBeGreaterThan(5);
  expect(failures).toBeLessThan(30);
});

test('probability with count: only hits spend the count', async () => {
  api.emu.faults.add({ kind: 'error', status: 500, probability: 0.5, count: 4, seed: 3 });
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) statuses.push((await api.get('/api/v1/regions')).status);
  expect(statuses.filter((s) => s === 500)).toHaveLength(4);
  expect(statuses.slice(-10).every((s) => s === 200)).toBe(true);
});

test('invalid fault rules are rejected', () => {
  expect(() => api.emu.faults.add({ kind: 'error', status: 502 as 500 })).toThrow(/status/);
  expect(() => api.emu.faults.add({ kind: 'latency', ms: 5, operationId: 'getNamspace' })).toThrow(
    /operationId/,
  );
  expect(() => api.emu.faults.add({ kind: 'latency', ms: 5, probability: 2 })).toThrow(/probability/);
});

describe('rate limiter', () => {
  test('token bucket over all requests: burst, then 429 with Retry-After until the clock refills it', async () => {
    const rl = await startTestEmulator({ rateLimit: { requestsPerSecond: 2, burst: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await rl.get('/api/v1/regions')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await rl.post('/api/v1/users', { spec: { email: 'r@example.com' } });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.body).toEqual({ code: 'rate_limited', message: expect.any(String) });
      expect(rl.emu.snapshot().users).toEqual([]);
      // Admin endpoints are not limited.
      expect((await rl.get('/_emulator/state')).status).toBe(200);
      rl.clock.advance(500); // one token at 2/s
      expect((await rl.get('/api/v1/regions')).status).toBe(200);
      expect((await rl.get('/api/v1/regions')).status).toBe(429);

      rl.emu.configure({ rateLimit: { requestsPerSecond: 0.1, burst: 1 } });
      expect((await rl.get('/api/v1/regions')).status).toBe(200);
      expect((await rl.get('/api/v1/regions')).headers.get('retry-after')).toBe('10');
      rl.emu.configure({ rateLimit: null });
      for (let i = 0; i < 5; i++) expect((await rl.get('/api/v1/regions')).status).toBe(200);
    } finally {
      await rl.close();
    }
  });

  test('is off by default', async () => {
    const statuses = await Promise.all(Array.from({ length: 50 }, () => api.get('/api/v1/regions')));
    expect(statuses.every((r) => r.status === 200)).toBe(true);
  });
});
