import { inspect } from 'node:util';
import { ManualClock, startEmulator, type Emulator } from '../../src/emulator';
import { listAll, OpsApiClient, OpsApiError, parseRetryAfter } from '../../src/ops-api';
import { ROUTE_PROOF_MS } from '../../src/ops-api/client';

const API_KEY = 'client-test-key-7f3a9c';
let clock: ManualClock;
let emulator: Emulator;
let client: OpsApiClient;

beforeEach(async () => {
  clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
  emulator = await startEmulator({
    apiKey: API_KEY,
    clock,
    asyncOperationDurationMs: 5_000,
    checkDurationMs: 2_000,
  });
  client = new OpsApiClient({ baseUrl: emulator.url, apiKey: API_KEY, timeoutMs: 2_000 });
});
afterEach(async () => {
  await emulator.close();
});

const inAMonth = () => new Date(clock.now() + 30 * 86_400_000).toISOString();

async function failure(promise: Promise<unknown>): Promise<OpsApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpsApiError);
  const e = err as OpsApiError;
  // The Bearer key must not be in any rendering of the error.
  for (const text of [e.message, String(e), JSON.stringify(e), inspect(e, { depth: 5 }), e.stack ?? '']) {
    expect(text).not.toContain(API_KEY);
  }
  return e;
}

test('all 19 operations round-trip', async () => {
  const { regions } = await client.listRegions();
  expect(regions.map((r) => r.id)).toContain('aws-us-east-1');

  const created = await client.createNamespace({
    spec: { name: 'orders', region: 'aws-us-east-1', retentionDays: 7 },
  });
  expect(created).toEqual({ namespace: 'orders.a1b2c', asyncOperationId: expect.any(String) });
  expect(await client.getAsyncOperation(created.asyncOperationId)).toMatchObject({
    state: expect.stringMatching(/pending|in_progress/),
    checkDuration: '2s',
    operationType: 'createNamespace',
  });
  clock.advance(5_000);
  expect((await client.getAsyncOperation(created.asyncOperationId)).state).toBe('fulfilled');
  const ns = await client.getNamespace('orders.a1b2c');
  expect(ns).toMatchObject({ state: 'active', spec: { name: 'orders', retentionDays: 7 } });
  expect((await client.listNamespaces()).namespaces.map((n) => n.namespace)).toEqual(['orders.a1b2c']);
  const updated = await client.updateNamespace('orders.a1b2c', {
    resourceVersion: ns.resourceVersion,
    spec: { ...ns.spec, retentionDays: 14 },
  });
  clock.advance(5_000);
  expect((await client.getAsyncOperation(updated.asyncOperationId)).state).toBe('fulfilled');
  expect((await client.getNamespace('orders.a1b2c')).spec.retentionDays).toBe(14);

  const user = await client.createUser({
    spec: { email: 'ada@example.com', access: { accountAccess: { role: 'developer' } } },
  });
  expect(user).toEqual({ userId: expect.any(String), asyncOperationId: expect.any(String) });
  expect((await client.getUser(user.userId)).spec.email).toBe('ada@example.com');
  expect((await client.listUsers()).users).toHaveLength(1);

  const sa = await client.createServiceAccount({
    spec: { name: 'orders-ci', access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'write' } } } },
  });
  expect((await client.getServiceAccount(sa.serviceAccountId)).spec.name).toBe('orders-ci');
  expect((await client.listServiceAccounts()).serviceAccounts).toHaveLength(1);

  const key = await client.createApiKey({
    spec: {
      displayName: 'ci',
      ownerId: sa.serviceAccountId,
      ownerType: 'service-account',
      expiryTime: inAMonth(),
    },
  });
  expect(key).toEqual({
    keyId: expect.any(String),
    token: expect.stringMatching(/^tmprl_/),
    asyncOperationId: expect.any(String),
  });
  const fetchedKey = await client.getApiKey(key.keyId);
  expect(fetchedKey.spec.ownerId).toBe(sa.serviceAccountId);
  expect(JSON.stringify(fetchedKey)).not.toContain(key.token);
  expect((await client.listApiKeys()).apiKeys).toHaveLength(1);

  clock.advance(5_000);
  for (const op of [
    await client.deleteApiKey(key.keyId),
    await client.deleteServiceAccount(sa.serviceAccountId),
    await client.deleteUser(user.userId),
    await client.deleteNamespace('orders.a1b2c'),
  ]) {
    expect(op).toEqual({ asyncOperationId: expect.any(String) });
  }
  clock.advance(5_000);
  const state = emulator.snapshot();
  expect([state.namespaces, state.users, state.serviceAccounts, state.apiKeys]).toEqual([[], [], [], []]);
});

describe('errors are typed, classified and never carry the Bearer key', () => {
  test('400 names the field and is not retryable', async () => {
    const e = await failure(
      client.createNamespace({ spec: { name: 'Bad_Name', region: 'aws-us-east-1', retentionDays: 7 } }),
    );
    expect(e).toMatchObject({
      operationId: 'createNamespace',
      status: 400,
      code: 'invalid_argument',
      field: 'spec.name',
      retryable: false,
    });
  });

  test('401 for a wrong key', async () => {
    const wrong = new OpsApiClient({ baseUrl: emulator.url, apiKey: 'not-the-key-123' });
    const e = await failure(wrong.listNamespaces());
    expect(e).toMatchObject({ status: 401, code: 'unauthenticated', retryable: false });
    expect(e.message).not.toContain('not-the-key-123');
  });

  test('404 for an unknown id', async () => {
    const e = await failure(client.getUser('nope'));
    expect(e).toMatchObject({ operationId: 'getUser', status: 404, code: 'not_found', retryable: false });
  });

  test('409 for a duplicate and for a stale resourceVersion', async () => {
    await client.createUser({ spec: { email: 'ada@example.com' } });
    const dup = await failure(client.createUser({ spec: { email: 'ada@example.com' } }));
    expect(dup).toMatchObject({ status: 409, code: 'already_exists', retryable: false });

    await emulator.seed({ namespaces: [{ name: 'orders', region: 'aws-us-east-1', retentionDays: 7 }] });
    const stale = await failure(
      client.updateNamespace('orders.a1b2c', {
        resourceVersion: 'v0-stale',
        spec: { name: 'orders', region: 'aws-us-east-1', retentionDays: 9 },
      }),
    );
    expect(stale).toMatchObject({ status: 409, code: 'resource_version_mismatch', retryable: false });
  });

  test('429 carries Retry-After as milliseconds and is retryable', async () => {
    emulator.faults.add({ kind: 'rate-limit', retryAfterSeconds: 7, count: 1 });
    const e = await failure(client.listUsers());
    expect(e).toMatchObject({ status: 429, code: 'rate_limited', retryable: true, retryAfterMs: 7_000 });
  });

  test('500 and 503 are retryable', async () => {
    emulator.faults.add({ kind: 'error', status: 500, count: 1 });
    emulator.faults.add({ kind: 'error', status: 503, count: 1 });
    expect(await failure(client.listUsers())).toMatchObject({ status: 500, retryable: true });
    expect(await failure(client.listUsers())).toMatchObject({ status: 503, retryable: true });
  });

  test('a timeout is retryable', async () => {
    emulator.faults.add({ kind: 'latency', ms: 1_500, count: 1 });
    const impatient = new OpsApiClient({ baseUrl: emulator.url, apiKey: API_KEY, timeoutMs: 200 });
    expect(await failure(impatient.listUsers())).toMatchObject({
      kind: 'timeout',
      code: 'timeout',
      retryable: true,
    });
  });

  test('a connection reset is a retryable network error (and the change did happen)', async () => {
    emulator.faults.add({ kind: 'commit-then-drop', operationId: 'createUser', count: 1 });
    const e = await failure(client.createUser({ spec: { email: 'lost@example.com' } }));
    expect(e).toMatchObject({ kind: 'network', code: 'network_error', retryable: true });
    expect(emulator.snapshot().users.map((u) => u.spec.email)).toEqual(['lost@example.com']);
  });

  test('an empty path parameter is refused before sending', async () => {
    const e = await failure(client.getNamespace(''));
    expect(e).toMatchObject({ kind: 'invalid_request', retryable: false });
    expect(emulator.requestLog).toHaveLength(0);
  });
});

describe('pagination', () => {
  test('walks more than 250 items for every list operation; filters keys by owner', async () => {
    const n = 260;
    const ids = await emulator.seed({
      namespaces: Array.from({ length: n }, (_, i) => ({
        name: `ns-${i}`,
        region: 'aws-us-east-1',
        retentionDays: 7,
      })),
      users: Array.from({ length: n }, (_, i) => ({ email: `user${i}@example.com` })),
      serviceAccounts: Array.from({ length: n }, (_, i) => ({ name: `sa-${i}` })),
    });
    const owner = ids.serviceAccountIds[0]!;
    await emulator.seed({
      apiKeys: Array.from({ length: n }, (_, i) => ({
        displayName: `key-${i}`,
        ownerId: i % 2 === 0 ? owner : ids.userIds[0]!,
        ownerType: i % 2 === 0 ? ('service-account' as const) : ('user' as const),
        expiryTime: inAMonth(),
      })),
    });
    const ops = ['listNamespaces', 'listUsers', 'listServiceAccounts', 'listApiKeys'] as const;
    for (const op of ops) {
      emulator.clearRequestLog();
      const items = await listAll(client, op, { pageSize: 100 });
      expect(items).toHaveLength(n);
      expect(new Set(items.map((i) => ('id' in i ? i.id : i.namespace))).size).toBe(n);
      expect(emulator.requestLog).toHaveLength(3);
    }
    const owned = await listAll(client, 'listApiKeys', { ownerId: owner, pageSize: 50 });
    expect(owned).toHaveLength(n / 2);
    expect(owned.every((k) => k.spec.ownerId === owner)).toBe(true);
    const byType = await listAll(client, 'listApiKeys', { ownerType: 'user' });
    expect(byType).toHaveLength(n / 2);
  });
});

test('Retry-After: delta-seconds, HTTP dates and junk', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  expect(parseRetryAfter('3', now)).toBe(3_000);
  expect(parseRetryAfter('1.5', now)).toBe(1_500);
  expect(parseRetryAfter('Mon, 01 Jun 2026 00:00:10 GMT', now)).toBe(10_000);
  expect(parseRetryAfter('Sun, 31 May 2026 00:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(null, now)).toBeUndefined();
});

test('observability hooks see every call without the key', async () => {
  const events: unknown[] = [];
  const observed = new OpsApiClient({
    baseUrl: emulator.url,
    apiKey: API_KEY,
    afterRequest: (e) => void events.push(e),
  });
  await observed.listRegions();
  await observed.getUser('missing').catch(() => undefined);
  expect(events).toMatchObject([
    { operationId: 'listRegions', method: 'GET', status: 200 },
    { operationId: 'getUser', status: 404, error: expect.any(OpsApiError) },
  ]);
  expect(JSON.stringify(events)).not.toContain(API_KEY);
});

test('one route proof serves every caller for a minute; a failed one is not kept', async () => {
  const proofs: string[] = [];
  const observed = new OpsApiClient({
    baseUrl: emulator.url,
    apiKey: API_KEY,
    afterRequest: (e) => void proofs.push(`${e.operationId} ${e.status ?? e.error?.kind}`),
  });
  let now = 1_000_000;
  const spy = jest.spyOn(performance, 'now').mockImplementation(() => now);
  try {
    await Promise.all([observed.proveRoutes(), observed.proveRoutes(), observed.proveRoutes()]);
    now += ROUTE_PROOF_MS - 1;
    await observed.proveRoutes();
    expect(proofs).toEqual(['listRegions 200']); // three at once shared one; a minute less 1 ms later, none
    now += 1;
    await observed.proveRoutes();
    expect(proofs).toHaveLength(2);

    // A wrong base path: the proof fails (as a misconfiguration) each time it is asked, never cached.
    const lost = new OpsApiClient({ baseUrl: `${emulator.url}/wrong`, apiKey: API_KEY });
    for (let i = 0; i < 2; i++) {
      await expect(lost.proveRoutes()).rejects.toMatchObject({ kind: 'misconfigured' });
    }
  } finally {
    spy.mockRestore();
  }
});
