import { createHash } from 'node:crypto';
import { startEmulator } from '../../src/emulator';
import {
  API_KEY,
  T0,
  failNextOperation,
  inDays,
  httpClient,
  nsSpec,
  startTestEmulator,
  type TestApi,
} from './helpers';

let api: TestApi;
beforeEach(async () => {
  api = await startTestEmulator();
});
afterEach(() => api.close());

const opState = async (id: string) => (await api.get(`/api/v1/async-operations/${id}`)).body;

test('listRegions returns the fixed realistic region list', async () => {
  const res = await api.get('/api/v1/regions');
  expect(res.status).toBe(200);
  expect(res.body.regions).toHaveLength(11);
  expect(res.body.regions).toContainEqual(
    expect.objectContaining({ id: 'aws-us-east-1', cloudProvider: 'aws' }),
  );
  expect(res.body.regions).toContainEqual(
    expect.objectContaining({ id: 'gcp-europe-west3', cloudProvider: 'gcp' }),
  );
  for (const region of res.body.regions) expect(typeof region.location).toBe('string');
});

test('namespace lifecycle: create → activating → active, update applied at fulfilment, delete → gone', async () => {
  const created = await api.post('/api/v1/namespaces', nsSpec('payments', { region: 'gcp-us-central1' }));
  expect(created.status).toBe(200);
  expect(created.body).toEqual({ namespace: 'payments.a1b2c', asyncOperationId: expect.any(String) });
  const createOp = created.body.asyncOperationId;

  let op = await opState(createOp);
  expect(op).toEqual({
    id: createOp,
    state: 'pending',
    checkDuration: '1s',
    operationType: 'createNamespace',
    startedTime: '2026-01-15T10:30:00Z',
  });
  let ns = (await api.get('/api/v1/namespaces/payments.a1b2c')).body;
  expect(ns).toMatchObject({
    namespace: 'payments.a1b2c',
    state: 'activating',
    asyncOperationId: createOp,
    spec: { name: 'payments', region: 'gcp-us-central1', retentionDays: 7 },
    endpoints: {
      webAddress: 'https://cloud.temporal.io/namespaces/payments.a1b2c',
      grpcAddress: 'payments.a1b2c.tmprl.cloud:7233',
      mtlsGrpcAddress: 'payments.a1b2c.tmprl.cloud:7233',
      apiKeyGrpcAddress: 'us-central1.gcp.api.temporal.io:7233',
    },
    createdTime: '2026-01-15T10:30:00Z',
    lastModifiedTime: '2026-01-15T10:30:00Z',
  });
  const v0 = ns.resourceVersion;

  api.clock.advance(2500);
  expect((await opState(createOp)).state).toBe('in_progress');
  api.clock.advance(2500); // namespaces take 5 s by default
  op = await opState(createOp);
  expect(op).toMatchObject({ state: 'fulfilled', finishedTime: '2026-01-15T10:30:05Z' });
  ns = (await api.get('/api/v1/namespaces/payments.a1b2c')).body;
  expect(ns.state).toBe('active');
  expect(ns.resourceVersion).not.toBe(v0);
  expect(ns.lastModifiedTime).toBe('2026-01-15T10:30:05Z');

  const list = await api.get('/api/v1/namespaces');
  expect(list.body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['payments.a1b2c']);
  expect(list.body.nextPageToken).toBeUndefined();

  const update = await api.post('/api/v1/namespaces/payments.a1b2c/update', {
    resourceVersion: ns.resourceVersion,
    spec: {
      retentionDays: 30,
      codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
    },
  });
  expect(update.status).toBe(200);
  expect(update.body).toEqual({ asyncOperationId: expect.any(String) });
  ns = (await api.get('/api/v1/namespaces/payments.a1b2c')).body;
  expect(ns.state).toBe('updating');
  expect(ns.spec.retentionDays).toBe(7); // applied only at fulfilment
  expect(ns.asyncOperationId).toBe(update.body.asyncOperationId);
  api.clock.advance(5000);
  ns = (await api.get('/api/v1/namespaces/payments.a1b2c')).body;
  expect(ns.state).toBe('active');
  expect(ns.spec).toEqual({
    name: 'payments',
    region: 'gcp-us-central1',
    retentionDays: 30,
    codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
  });

  // null clears codecServer; omitted fields keep their value.
  const clear = await api.post('/api/v1/namespaces/payments.a1b2c/update', {
    resourceVersion: ns.resourceVersion,
    spec: { codecServer: null },
  });
  expect(clear.status).toBe(200);
  api.clock.advance(5000);
  ns = (await api.get('/api/v1/namespaces/payments.a1b2c')).body;
  expect(ns.spec).toEqual({ name: 'payments', region: 'gcp-us-central1', retentionDays: 30 });

  const del = await api.del('/api/v1/namespaces/payments.a1b2c');
  expect(del.status).toBe(200);
  expect((await api.get('/api/v1/namespaces/payments.a1b2c')).body.state).toBe('deleting');
  // A repeated delete is idempotent and reports the operation in flight.
  const again = await api.del('/api/v1/namespaces/payments.a1b2c');
  expect(again.status).toBe(200);
  expect(again.body.asyncOperationId).toBe(del.body.asyncOperationId);
  api.clock.advance(5000);
  expect((await opState(del.body.asyncOperationId)).state).toBe('fulfilled');
  expect((await api.get('/api/v1/namespaces/payments.a1b2c')).status).toBe(404);
  expect((await api.get('/api/v1/namespaces')).body.namespaces).toEqual([]);
});

test('user lifecycle: pending → active, delete → deleting → gone', async () => {
  const created = await api.post('/api/v1/users', {
    spec: { email: 'ada@example.com', access: { accountAccess: { role: 'developer' } } },
  });
  expect(created.status).toBe(200);
  expect(created.body).toEqual({ userId: expect.any(String), asyncOperationId: expect.any(String) });
  const id = created.body.userId;
  let user = (await api.get(`/api/v1/users/${id}`)).body;
  expect(user).toMatchObject({
    id,
    state: 'pending',
    spec: { email: 'ada@example.com', access: { accountAccess: { role: 'developer' } } },
    asyncOperationId: created.body.asyncOperationId,
    resourceVersion: expect.any(String),
    createdTime: '2026-01-15T10:30:00Z',
  });
  api.clock.advance(1000);
  user = (await api.get(`/api/v1/users/${id}`)).body;
  expect(user.state).toBe('active');
  expect((await api.get('/api/v1/users')).body.users).toEqual([user]);

  const del = await api.del(`/api/v1/users/${id}`);
  expect(del.body).toEqual({ asyncOperationId: expect.any(String) });
  expect((await api.get(`/api/v1/users/${id}`)).body.state).toBe('deleting');
  api.clock.advance(1000);
  expect((await api.get(`/api/v1/users/${id}`)).status).toBe(404);
  expect((await opState(del.body.asyncOperationId)).operationType).toBe('deleteUser');
});

test('service account and API key lifecycle; the token is returned once and only its sha256 kept', async () => {
  const sa = await api.post('/api/v1/service-accounts', { spec: { name: 'ci-bot' } });
  expect(sa.body).toEqual({ serviceAccountId: expect.any(String), asyncOperationId: expect.any(String) });
  const saId = sa.body.serviceAccountId;
  expect((await api.get(`/api/v1/service-accounts/${saId}`)).body).toMatchObject({
    id: saId,
    state: 'activating',
    spec: { name: 'ci-bot' },
  });
  api.clock.advance(1000);
  expect((await api.get(`/api/v1/service-accounts/${saId}`)).body.state).toBe('active');
  expect((await api.get('/api/v1/service-accounts')).body.serviceAccounts).toHaveLength(1);

  const expiryTime = inDays(T0, 90);
  const key = await api.post('/api/v1/api-keys', {
    spec: { displayName: 'deploy', ownerId: saId, ownerType: 'service-account', expiryTime },
  });
  expect(key.status).toBe(200);
  expect(key.body).toEqual({
    keyId: expect.any(String),
    token: expect.any(String),
    asyncOperationId: expect.any(String),
  });
  expect(key.body.token).toMatch(/^tmprl_[A-Za-z0-9]{40}$/);
  const got = await api.get(`/api/v1/api-keys/${key.body.keyId}`);
  expect(got.body).toMatchObject({
    id: key.body.keyId,
    state: 'activating',
    spec: {
      displayName: 'deploy',
      ownerId: saId,
      ownerType: 'service-account',
      expiryTime: '2026-04-15T10:30:00Z',
    },
  });
  expect(got.text).not.toContain(key.body.token);
  api.clock.advance(1000);
  const list = await api.get('/api/v1/api-keys');
  expect(list.body.apiKeys).toHaveLength(1);
  expect(list.body.apiKeys[0].state).toBe('active');
  expect(list.text).not.toContain(key.body.token);

  const snap = api.emu.snapshot();
  expect(JSON.stringify(snap)).not.toContain(key.body.token);
  expect(snap.apiKeys[0]!.tokenSha256).toBe(createHash('sha256').update(key.body.token).digest('hex'));

  const delKey = await api.del(`/api/v1/api-keys/${key.body.keyId}`);
  expect((await api.get(`/api/v1/api-keys/${key.body.keyId}`)).body.state).toBe('deleting');
  api.clock.advance(1000);
  expect((await opState(delKey.body.asyncOperationId)).state).toBe('fulfilled');
  expect((await api.get(`/api/v1/api-keys/${key.body.keyId}`)).status).toBe(404);

  await api.del(`/api/v1/service-accounts/${saId}`);
  api.clock.advance(1000);
  expect((await api.get(`/api/v1/service-accounts/${saId}`)).status).toBe(404);
});

test('deleting an owner leaves its API keys: nothing says the real service takes them with it', async () => {
  const [saId] = (await api.emu.seed({ serviceAccounts: [{ name: 'owner' }] })).serviceAccountIds;
  const { apiKeys } = await api.emu.seed({
    apiKeys: [{ displayName: 'k', ownerId: saId!, ownerType: 'service-account', expiryTime: inDays(T0, 10) }],
  });
  await api.del(`/api/v1/service-accounts/${saId}`);
  api.clock.advance(1000);
  expect((await api.get(`/api/v1/service-accounts/${saId}`)).status).toBe(404);
  expect((await api.get(`/api/v1/api-keys/${apiKeys[0]!.keyId}`)).status).toBe(200);
});

test('mutating a resource in a transitional state is failed_precondition and changes nothing', async () => {
  const created = await api.post('/api/v1/namespaces', nsSpec('busy'));
  const ns = (await api.get('/api/v1/namespaces/busy.a1b2c')).body;
  const before = api.emu.snapshot();
  const update = await api.post('/api/v1/namespaces/busy.a1b2c/update', {
    resourceVersion: ns.resourceVersion,
    spec: { retentionDays: 9 },
  });
  expect(update.status).toBe(409);
  expect(update.body.code).toBe('failed_precondition');
  const del = await api.del('/api/v1/namespaces/busy.a1b2c');
  expect(del.status).toBe(409);
  expect(del.body.code).toBe('failed_precondition');

  const user = await api.post('/api/v1/users', { spec: { email: 'new@example.com' } });
  const before2 = api.emu.snapshot();
  const delUser = await api.del(`/api/v1/users/${user.body.userId}`);
  expect(delUser.status).toBe(409);
  expect(delUser.body.code).toBe('failed_precondition');
  expect(api.emu.snapshot()).toEqual(before2);
  expect(before.namespaces).toEqual(before2.namespaces);
  expect(created.status).toBe(200);
});

test('async-fail: failed create / update / delete leave the documented states and a failureReason', async () => {
  failNextOperation(api.emu, 'createNamespace', 'capacity exhausted');
  const bad = await api.post('/api/v1/namespaces', nsSpec('doomed'));
  api.clock.advance(5000);
  expect(await opState(bad.body.asyncOperationId)).toMatchObject({
    state: 'failed',
    failureReason: 'capacity exhausted',
    finishedTime: expect.any(String),
  });
  expect((await api.get('/api/v1/namespaces/doomed.a1b2c')).body.state).toBe('activation_failed');

  const [nsId] = (
    await api.emu.seed({ namespaces: [{ name: 'stable', region: 'aws-eu-west-1', retentionDays: 3 }] })
  ).namespaceIds;
  failNextOperation(api.emu, 'updateNamespace', 'bad certs');
  const v = (await api.get(`/api/v1/namespaces/${nsId}`)).body.resourceVersion;
  const upd = await api.post(`/api/v1/namespaces/${nsId}/update`, {
    resourceVersion: v,
    spec: { retentionDays: 60 },
  });
  api.clock.advance(5000);
  expect((await opState(upd.body.asyncOperationId)).failureReason).toBe('bad certs');
  let ns = (await api.get(`/api/v1/namespaces/${nsId}`)).body;
  expect(ns.state).toBe('update_failed');
  expect(ns.spec.retentionDays).toBe(3);

  failNextOperation(api.emu, 'deleteNamespace', 'locked');
  const del = await api.del(`/api/v1/namespaces/${nsId}`);
  api.clock.advance(5000);
  expect((await opState(del.body.asyncOperationId)).state).toBe('failed');
  ns = (await api.get(`/api/v1/namespaces/${nsId}`)).body;
  expect(ns.state).toBe('delete_failed');
  // A failed delete can be retried, and then succeeds.
  const retry = await api.del(`/api/v1/namespaces/${nsId}`);
  expect(retry.body.asyncOperationId).not.toBe(del.body.asyncOperationId);
  api.clock.advance(5000);
  expect((await api.get(`/api/v1/namespaces/${nsId}`)).status).toBe(404);

  api.emu.faults.add({ kind: 'async-fail', operationId: 'createUser', reason: 'mailer down' });
  const user = await api.post('/api/v1/users', { spec: { email: 'x@example.com' } });
  expect((await api.get(`/api/v1/users/${user.body.userId}`)).body.state).toBe('pending');
  api.clock.advance(1000);
  expect((await opState(user.body.asyncOperationId)).failureReason).toBe('mailer down');
  expect((await api.get(`/api/v1/users/${user.body.userId}`)).status).toBe(404); // failed create leaves nothing
});

test('a clock that jumps settles every due operation, in finish order', async () => {
  const user = await api.post('/api/v1/users', { spec: { email: 'u@example.com' } });
  const sa = await api.post('/api/v1/service-accounts', { spec: { name: 'svc' } });
  const ns = await api.post('/api/v1/namespaces', nsSpec('jump'));
  api.clock.advance(3_600_000);
  const snap = api.emu.snapshot();
  expect(snap.users[0]!.state).toBe('active');
  expect(snap.serviceAccounts[0]!.state).toBe('active');
  expect(snap.namespaces[0]!.state).toBe('active');
  expect(snap.asyncOperations.map((o) => o.state)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  expect(snap.asyncOperations.map((o) => o.id)).toEqual([
    user.body.asyncOperationId,
    sa.body.asyncOperationId,
    ns.body.asyncOperationId,
  ]);
});

test('per-operation durations, checkDuration rendering and an async clock', async () => {
  let now = T0;
  const emu = await startEmulator({
    apiKey: API_KEY,
    clock: { now: async () => now },
    asyncOperationDurationMs: { createUser: 10_000, '*': 200 },
    checkDurationMs: 1500,
  });
  try {
    const http = httpClient(emu.url, API_KEY);
    const user = await http.post('/api/v1/users', { spec: { email: 'slow@example.com' } });
    const sa = await http.post('/api/v1/service-accounts', { spec: { name: 'fast' } });
    const op = await http.get(`/api/v1/async-operations/${user.body.asyncOperationId}`);
    expect(op.body.checkDuration).toBe('1.500s');
    now += 200;
    expect((await http.get(`/api/v1/async-operations/${sa.body.asyncOperationId}`)).body.state).toBe(
      'fulfilled',
    );
    // The first fifth of an operation is spent `pending`.
    expect((await http.get(`/api/v1/async-operations/${user.body.asyncOperationId}`)).body.state).toBe(
      'pending',
    );
    now += 2000;
    expect((await http.get(`/api/v1/async-operations/${user.body.asyncOperationId}`)).body.state).toBe(
      'in_progress',
    );
    now += 7800;
    expect((await http.get(`/api/v1/users/${user.body.userId}`)).body.state).toBe('active');
    expect(emu.requestLog.map((e) => e.time)).toEqual([
      T0,
      T0,
      T0,
      T0 + 200,
      T0 + 200,
      T0 + 2200,
      T0 + 10_000,
    ]);
  } finally {
    await emu.close();
  }
});

test('getAsyncOperation with an unknown id is 404', async () => {
  const res = await api.get('/api/v1/async-operations/nope');
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ code: 'not_found', message: expect.any(String) });
});
