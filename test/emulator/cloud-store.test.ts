// One store behind both dialects: what one creates the other sees, replay under a client-chosen id,
// faults and persistence on /cloud exactly as on /api/v1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from '../../src/emulator';
import { cloudNsSpec, READ_LAG_MS, startCloudEmulator, type CloudApi } from './cloud-helpers';
import { API_KEY, failNextOperation, httpClient, inDays, nsSpec, T0 } from './helpers';

let api: CloudApi;
let v1: ReturnType<typeof httpClient>;
beforeEach(async () => {
  api = await startCloudEmulator({ asyncOperationDurationMs: 5_000 });
  v1 = httpClient(api.emu.url, API_KEY);
});
afterEach(async () => {
  expect(api.problems).toEqual([]);
  await api.close();
});

/** A createApiKey request (the real API's JSON) for a service account seeded for it, under a client-chosen id. */
async function newKeyRequest(asyncOperationId: string, expiryTime: string) {
  const owner = (await api.emu.seed({ serviceAccounts: [{ name: 'owner' }] })).serviceAccountIds[0]!;
  const spec = { ownerId: owner, ownerType: 'OWNER_TYPE_SERVICE_ACCOUNT', displayName: 'k', expiryTime };
  return { owner, body: { spec, asyncOperationId } };
}

describe('one store', () => {
  test('a namespace created through /cloud is the same namespace on /api/v1, and the other way round', async () => {
    const created = await api.call('POST', '/cloud/namespaces', {
      spec: cloudNsSpec('viacloud', { retentionDays: 3 }),
    });
    const onV1 = await v1.get('/api/v1/namespaces/viacloud.a1b2c');
    expect(onV1.body).toMatchObject({
      namespace: 'viacloud.a1b2c',
      state: 'activating',
      spec: { name: 'viacloud', region: 'aws-us-east-1', retentionDays: 3 },
      asyncOperationId: created.body.asyncOperation.id,
    });
    expect((await v1.get(`/api/v1/async-operations/${created.body.asyncOperation.id}`)).body.state).toBe(
      'pending',
    );

    await v1.post('/api/v1/namespaces', nsSpec('viav1'));
    const onCloud = await api.call('GET', '/cloud/namespaces/viav1.a1b2c');
    expect(onCloud.body.namespace).toMatchObject({
      spec: { name: 'viav1', replicas: [{ region: 'aws-us-east-1' }], retentionDays: 7 },
      state: 'RESOURCE_STATE_ACTIVATING',
    });
    // Same resourceVersion on both sides: an update on one checks against what the other read (once /cloud
    // reads it: the real API's read-after-create lag).
    api.clock.advance(5_000 + READ_LAG_MS);
    const rv = (await v1.get('/api/v1/namespaces/viav1.a1b2c')).body.resourceVersion;
    expect((await api.call('GET', '/cloud/namespaces/viav1.a1b2c')).body.namespace.resourceVersion).toBe(rv);
    const update = { spec: cloudNsSpec('viav1', { retentionDays: 30 }), resourceVersion: rv };
    expect((await api.call('POST', '/cloud/namespaces/viav1.a1b2c', update)).status).toBe(200);
    api.clock.advance(5_000);
    expect((await v1.get('/api/v1/namespaces/viav1.a1b2c')).body.spec.retentionDays).toBe(30);

    expect((await v1.get('/api/v1/namespaces')).body.namespaces).toHaveLength(2);
    expect((await api.call('GET', '/cloud/namespaces')).body.namespaces).toHaveLength(2);
    expect((await v1.del('/api/v1/namespaces/viacloud.a1b2c')).status).toBe(200);
    api.clock.advance(5_000);
    expectGone(await api.call('GET', '/cloud/namespaces/viacloud.a1b2c'));
  });

  test('a user invited through /api/v1 is ACTIVATING on /cloud; its key created on /cloud is listed on /api/v1', async () => {
    const user = await v1.post('/api/v1/users', { spec: { email: 'cy@example.com' } });
    expect((await api.call('GET', `/cloud/users/${user.body.userId}`)).body.user.state).toBe(
      'RESOURCE_STATE_ACTIVATING',
    );
    api.clock.advance(5_000);
    const key = await api.call('POST', '/cloud/api-keys', {
      spec: { ownerId: user.body.userId, ownerType: 1, displayName: 'laptop', expiryTime: inDays(T0, 10) },
    });
    expect(key.status).toBe(200);
    const listed = await v1.get(`/api/v1/api-keys?ownerId=${user.body.userId}&ownerType=user`);
    expect(listed.body.apiKeys).toEqual([
      expect.objectContaining({ id: key.body.keyId, state: 'activating' }),
    ]);
  });
});

const expectGone = (res: { status: number; body: { code: number } }) => {
  expect([res.status, res.body.code]).toEqual([404, 5]);
};

describe('replay under a client-chosen asyncOperationId', () => {
  test('the same request again: the same operation and answer, without the token; nothing new', async () => {
    const { owner, body } = await newKeyRequest('step-1', '2026-02-01T00:00:00Z');
    const first = await api.call('POST', '/cloud/api-keys', body);
    expect(first.body).toEqual({
      keyId: expect.any(String),
      token: expect.stringMatching(/^tmprl_/),
      asyncOperation: expect.objectContaining({ id: 'step-1' }),
    });
    // Key order and snake_case names aside, it is the same request.
    const again = await api.call('POST', '/cloud/api-keys', {
      async_operation_id: 'step-1',
      spec: {
        expiry_time: '2026-02-01T00:00:00Z',
        display_name: 'k',
        owner_type: 'OWNER_TYPE_SERVICE_ACCOUNT',
        owner_id: owner,
      },
    });
    const { token: _shownOnce, ...rest } = first.body;
    expect(again.status).toBe(200);
    expect(again.body).toEqual(rest);
    expect(api.emu.snapshot().apiKeys).toHaveLength(1);
    // The client in the cloud dialect sees the same.
    const viaClient = await api.client.createApiKey({
      spec: {
        ownerId: owner,
        ownerType: 'service-account',
        displayName: 'k',
        expiryTime: '2026-02-01T00:00:00Z',
      },
      asyncOperationId: 'step-1',
    });
    expect(viaClient).toEqual({ keyId: first.body.keyId, asyncOperationId: 'step-1' });
  });

  test('a replayed answer shows the operation as it is now', async () => {
    const body = { spec: cloudNsSpec('again'), asyncOperationId: 'make-again' };
    expect((await api.call('POST', '/cloud/namespaces', body)).body.asyncOperation.state).toBe(
      'STATE_PENDING',
    );
    api.clock.advance(5_000);
    const again = await api.call('POST', '/cloud/namespaces', body);
    expect(again.body).toEqual({
      namespace: 'again.a1b2c',
      asyncOperation: expect.objectContaining({
        id: 'make-again',
        state: 'STATE_FULFILLED',
        finishedTime: expect.any(String),
      }),
    });
  });

  test('the same id for a different request: 400 naming asyncOperationId, nothing changes', async () => {
    await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('first'), asyncOperationId: 'op-x' });
    const other = await api.call('POST', '/cloud/namespaces', {
      spec: cloudNsSpec('second'),
      asyncOperationId: 'op-x',
    });
    expect(other.status).toBe(400);
    expect(other.body.details[0].fieldViolations[0].field).toBe('asyncOperationId');
    const del = await api.call('DELETE', '/cloud/namespaces/first.a1b2c?asyncOperationId=op-x');
    expect([del.status, del.body.code]).toEqual([400, 3]);
    expect(api.emu.snapshot().namespaces.map((n) => n.namespace)).toEqual(['first.a1b2c']);
  });

  test('deletes replay too (the id in the query), also once the resource is gone', async () => {
    await api.emu.seed({ users: [{ email: 'del@example.com' }] });
    const id = api.emu.snapshot().users[0]!.id;
    const first = await api.call('DELETE', `/cloud/users/${id}?asyncOperationId=offboard-1`);
    expect(first.body.asyncOperation).toMatchObject({ id: 'offboard-1', state: 'STATE_PENDING' });
    api.clock.advance(5_000);
    expectGone(await api.call('GET', `/cloud/users/${id}`));
    const again = await api.call('DELETE', `/cloud/users/${id}?async_operation_id=offboard-1`);
    expect([again.status, again.body.asyncOperation]).toEqual([
      200,
      expect.objectContaining({ id: 'offboard-1', state: 'STATE_FULFILLED' }),
    ]);
  });

  test('one store, one replay: a /cloud repeat of a /api/v1 create is the same request', async () => {
    const v1Answer = await v1.post('/api/v1/namespaces', { ...nsSpec('both'), asyncOperationId: 'shared' });
    const cloudAnswer = await api.call('POST', '/cloud/namespaces', {
      spec: cloudNsSpec('both'),
      asyncOperationId: 'shared',
    });
    expect(cloudAnswer.body).toEqual({
      namespace: v1Answer.body.namespace,
      asyncOperation: expect.objectContaining({ id: 'shared' }),
    });
    expect(api.emu.snapshot().namespaces).toHaveLength(1);
  });

  test("operationIdReuse 'refuse': 409 ALREADY_EXISTS naming asyncOperationId", async () => {
    api.emu.configure({ operationIdReuse: 'refuse' });
    const body = {
      spec: { name: 'ci', access: { accountAccess: { role: 'ROLE_READ' } } },
      asyncOperationId: 'sa-1',
    };
    expect((await api.call('POST', '/cloud/service-accounts', body)).status).toBe(200);
    const again = await api.call('POST', '/cloud/service-accounts', body);
    expect([again.status, again.body.code, again.body.details[0].fieldViolations[0].field]).toEqual([
      409,
      6,
      'asyncOperationId',
    ]);
  });
});

describe('faults apply to /cloud as to /api/v1', () => {
  test('commit-then-drop: the client sees a network error, the change is committed', async () => {
    api.emu.faults.add({ kind: 'commit-then-drop', operationId: 'createNamespace', count: 1 });
    const err = await api.client
      .createNamespace({ spec: { name: 'dropped', region: 'aws-us-east-1', retentionDays: 7 } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'network', retryable: true });
    expect((await api.call('GET', '/cloud/namespaces/dropped.a1b2c')).status).toBe(200);
    expect(api.emu.requestLog.map((e) => [e.operationId, e.dialect, e.status])).toEqual([
      ['createNamespace', 'cloud', 0],
      ['getNamespace', 'cloud', 200],
    ]);
  });

  test('async-fail: the operation ends STATE_FAILED with the reason', async () => {
    failNextOperation(api.emu, 'createServiceAccount', 'quota');
    const sa = await api.call('POST', '/cloud/service-accounts', {
      spec: { name: 'unlucky', access: { accountAccess: { role: 'ROLE_READ' } } },
    });
    api.clock.advance(5_000);
    const op = await api.call('GET', `/cloud/operations/${sa.body.asyncOperation.id}`);
    expect(op.body.asyncOperation).toMatchObject({ state: 'STATE_FAILED', failureReason: 'quota' });
    expect((await api.client.getAsyncOperation(sa.body.asyncOperation.id)).state).toBe('failed');
  });

  test('late-commit: a retry under the same id that lands first makes the late commit a repeat', async () => {
    const { body } = await newKeyRequest('late-1', inDays(T0, 30));
    api.emu.faults.add({ kind: 'late-commit', ms: 1_000, operationId: 'createApiKey', count: 1 });
    const late = api.call('POST', '/cloud/api-keys', body);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const retry = await api.call('POST', '/cloud/api-keys', body);
    expect(retry.body.token).toMatch(/^tmprl_/);
    expect((await late).body).toEqual({
      keyId: retry.body.keyId,
      asyncOperation: expect.objectContaining({ id: 'late-1' }),
    });
    expect(api.emu.snapshot().apiKeys).toHaveLength(1);
  });
});

test('persistence: what /cloud created is there after a restart', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cloud-state-'));
  const statePath = path.join(dir, 'state.json');
  try {
    const first = await startEmulator({ apiKey: API_KEY, statePath });
    const headers = { authorization: `Bearer ${API_KEY}`, 'temporal-cloud-api-version': 'v0.17.0' };
    const created = await fetch(`${first.url}/cloud/users`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ spec: { email: 'kept@example.com' } }),
    });
    const { userId } = (await created.json()) as { userId: string };
    await first.close();
    // Only the fields that are set, so the spec reads as it was made (realism.test.ts has emitUnpopulated).
    const second = await startEmulator({ apiKey: API_KEY, statePath, realism: { emitUnpopulated: false } });
    const got = await fetch(`${second.url}/cloud/users/${userId}`, { headers });
    expect(((await got.json()) as { user: { spec: unknown } }).user.spec).toEqual({
      email: 'kept@example.com',
    });
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
