import { T0, inDays, nsSpec, startTestEmulator, type TestApi } from './helpers';

let api: TestApi;
beforeEach(async () => {
  api = await startTestEmulator();
});
afterEach(() => api.close());

test('faults endpoints: add, list, remove one, clear', async () => {
  const added = await api.post('/_emulator/faults', {
    kind: 'error',
    status: 503,
    operationId: 'listUsers',
    count: 2,
  });
  expect(added.status).toBe(200);
  expect(added.body).toEqual({ id: expect.any(String) });
  await api.post('/_emulator/faults', { kind: 'latency', ms: 1 });
  expect((await api.get('/_emulator/faults')).body.faults).toEqual([
    { id: added.body.id, kind: 'error', status: 503, operationId: 'listUsers', count: 2 },
    { id: expect.any(String), kind: 'latency', ms: 1 },
  ]);
  expect((await api.get('/api/v1/users')).status).toBe(503);
  expect((await api.get('/_emulator/faults')).body.faults[0].count).toBe(1);

  expect((await api.del(`/_emulator/faults/${added.body.id}`)).status).toBe(200);
  expect((await api.del(`/_emulator/faults/${added.body.id}`)).status).toBe(404);
  expect((await api.get('/api/v1/users')).status).toBe(200);
  expect((await api.del('/_emulator/faults')).status).toBe(200);
  expect((await api.get('/_emulator/faults')).body.faults).toEqual([]);
});

test('an invalid fault rule is a 400 naming the field', async () => {
  const res = await api.post('/_emulator/faults', { kind: 'error', status: 418 });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 'invalid_argument', field: 'status' });
  const unknown = await api.post('/_emulator/faults', { kind: 'explode' });
  expect(unknown.status).toBe(400);
  expect(api.emu.faults.list()).toEqual([]);
});

test('requests endpoint lists Ops API requests only, and can be cleared', async () => {
  await api.get('/api/v1/regions');
  await api.post('/api/v1/users', { spec: { email: 'bad' } });
  await api.call('GET', '/api/v1/regions', undefined, {});
  const res = await api.get('/_emulator/requests');
  expect(res.body.requests).toEqual([
    {
      method: 'GET',
      path: '/api/v1/regions',
      operationId: 'listRegions',
      dialect: 'openapi',
      status: 200,
      time: T0,
      wallTime: expect.any(Number),
    },
    {
      method: 'POST',
      path: '/api/v1/users',
      operationId: 'createUser',
      dialect: 'openapi',
      status: 400,
      time: T0,
      wallTime: expect.any(Number),
    },
    {
      method: 'GET',
      path: '/api/v1/regions',
      operationId: 'listRegions',
      dialect: 'openapi',
      status: 401,
      time: T0,
      wallTime: expect.any(Number),
    },
  ]);
  expect(api.emu.requestLog).toHaveLength(3);
  await api.del('/_emulator/requests');
  expect((await api.get('/_emulator/requests')).body.requests).toEqual([]);
  api.emu.clearRequestLog();
  expect(api.emu.requestLog).toEqual([]);
});

test('state endpoint returns the settled snapshot', async () => {
  const ns = await api.post('/api/v1/namespaces', nsSpec('visible'));
  api.clock.advance(5000);
  const state = (await api.get('/_emulator/state')).body;
  expect(state.namespaces).toHaveLength(1);
  expect(state.namespaces[0]).toMatchObject({ namespace: 'visible.a1b2c', state: 'active' });
  expect(state.asyncOperations).toEqual([
    expect.objectContaining({ id: ns.body.asyncOperationId, state: 'fulfilled' }),
  ]);
  expect(state).toEqual(api.emu.snapshot());
});

test('config endpoint changes durations, checkDuration and the rate limit at run time', async () => {
  const res = await api.post('/_emulator/config', {
    asyncOperationDurationMs: { createUser: 100 },
    checkDurationMs: 250,
  });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    asyncOperationDurationMs: { createUser: 100 },
    checkDurationMs: 250,
    rateLimit: null,
    clockSkewMs: 0,
    operationIdReuse: 'replay',
    realism: {},
    readAfterCreateLagMs: 60_000,
  });
  const user = await api.post('/api/v1/users', { spec: { email: 'quick@example.com' } });
  const op = await api.get(`/api/v1/async-operations/${user.body.asyncOperationId}`);
  expect(op.body.checkDuration).toBe('0.250s');
  api.clock.advance(100);
  expect((await api.get(`/api/v1/users/${user.body.userId}`)).body.state).toBe('active');

  await api.post('/_emulator/config', { rateLimit: { requestsPerSecond: 1, burst: 1 } });
  expect((await api.get('/api/v1/regions')).status).toBe(200);
  expect((await api.get('/api/v1/regions')).status).toBe(429);
  await api.post('/_emulator/config', { rateLimit: null });
  expect((await api.get('/api/v1/regions')).status).toBe(200);

  const bad = await api.post('/_emulator/config', { asyncOperationDurationMs: { createUsr: 5 } });
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('invalid_argument');
  expect(() => api.emu.configure({ checkDurationMs: -1 })).toThrow(/checkDurationMs/);
});

test('seed endpoint and seed(): already-active resources, validated, all or nothing', async () => {
  const res = await api.post('/_emulator/seed', { serviceAccounts: [{ name: 'seeded-sa' }] });
  expect(res.status).toBe(200);
  const saId = res.body.serviceAccountIds[0];
  const keys = await api.emu.seed({
    apiKeys: [{ displayName: 'k1', ownerId: saId, ownerType: 'service-account', expiryTime: inDays(T0, 3) }],
  });
  expect(keys.apiKeys[0]!.token).toMatch(/^tmprl_/);
  const key = (await api.get(`/api/v1/api-keys/${keys.apiKeys[0]!.keyId}`)).body;
  expect(key.state).toBe('active');
  expect(key.asyncOperationId).toBeUndefined();

  const before = api.emu.snapshot();
  await expect(
    api.emu.seed({
      users: [{ email: 'fine@example.com' }, { email: 'nope' }],
    }),
  ).rejects.toMatchObject({ field: 'users.1.spec.email' });
  await expect(
    api.emu.seed({ namespaces: [nsSpec('x', { retentionDays: 'a' }).spec as never] }),
  ).rejects.toMatchObject({
    field: 'namespaces.0.spec.retentionDays',
  });
  const dup = await api.post('/_emulator/seed', {
    serviceAccounts: [{ name: 'new-one' }, { name: 'seeded-sa' }],
  });
  expect(dup.status).toBe(409);
  expect(api.emu.snapshot()).toEqual(before);
});
