// Client-chosen async operation ids, the late-commit fault and the clock-skew fault.
import { API_KEY, httpClient, inDays, nsSpec, startTestEmulator, T0, type TestApi } from './helpers';

let api: TestApi;
beforeEach(async () => {
  api = await startTestEmulator();
});
afterEach(() => api.close());

const OP = '9b2f6a1c-0d3e-5f47-8a9b-0c1d2e3f4a5b';

test('a create under a client-chosen id: the operation has that id, a repeat is answered again', async () => {
  const first = await api.post('/api/v1/namespaces', { ...nsSpec('chosen'), asyncOperationId: OP });
  expect(first.status).toBe(200);
  expect(first.body).toEqual({ namespace: 'chosen.a1b2c', asyncOperationId: OP });
  expect((await api.get(`/api/v1/async-operations/${OP}`)).body).toMatchObject({
    id: OP,
    operationType: 'createNamespace',
  });
  // The same request again (key order aside) changes nothing and gets the same answer.
  const again = await api.post('/api/v1/namespaces', {
    asyncOperationId: OP,
    spec: { retentionDays: 7, region: 'aws-us-east-1', name: 'chosen' },
  });
  expect(again.status).toBe(200);
  expect(again.body).toEqual(first.body);
  expect(api.emu.snapshot().namespaces).toHaveLength(1);
  expect(api.emu.snapshot().asyncOperations).toHaveLength(1);
});

test('the same id for a different request is a 400 naming asyncOperationId and changes nothing', async () => {
  await api.post('/api/v1/namespaces', { ...nsSpec('first'), asyncOperationId: OP });
  const before = api.emu.snapshot();
  const other = await api.post('/api/v1/namespaces', { ...nsSpec('second'), asyncOperationId: OP });
  expect(other.status).toBe(400);
  expect(other.body).toMatchObject({ code: 'invalid_argument', field: 'asyncOperationId' });
  const del = await api.del(`/api/v1/namespaces/first.a1b2c?asyncOperationId=${OP}`);
  expect(del.status).toBe(400);
  expect(api.emu.snapshot()).toEqual(before);
});

test('a repeated createApiKey returns the same key without its token: a token is shown once', async () => {
  const owner = (await api.emu.seed({ serviceAccounts: [{ name: 'owner' }] })).serviceAccountIds[0]!;
  const body = {
    spec: { displayName: 'k', ownerId: owner, ownerType: 'service-account', expiryTime: inDays(T0, 30) },
    asyncOperationId: OP,
  };
  const first = await api.post('/api/v1/api-keys', body);
  expect(first.body.token).toMatch(/^tmprl_/);
  const again = await api.post('/api/v1/api-keys', body);
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ keyId: first.body.keyId, asyncOperationId: OP });
  expect(api.emu.snapshot().apiKeys).toHaveLength(1);
});

test('deletes take the id as a query parameter; a repeat after the resource is gone gets the same answer', async () => {
  const user = (await api.emu.seed({ users: [{ email: 'gone@example.com' }] })).userIds[0]!;
  const first = await api.del(`/api/v1/users/${user}?asyncOperationId=${OP}`);
  expect(first.body).toEqual({ asyncOperationId: OP });
  api.clock.advance(1000);
  expect((await api.get(`/api/v1/users/${user}`)).status).toBe(404);
  const again = await api.del(`/api/v1/users/${user}?asyncOperationId=${OP}`);
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ asyncOperationId: OP });
  // Without the id, a delete of what is gone is an honest 404.
  expect((await api.del(`/api/v1/users/${user}`)).status).toBe(404);
});

test('operationIdReuse "refuse": a repeat is a 409 already_exists naming asyncOperationId', async () => {
  api.emu.configure({ operationIdReuse: 'refuse' });
  await api.post('/api/v1/namespaces', { ...nsSpec('refused'), asyncOperationId: OP });
  const again = await api.post('/api/v1/namespaces', { ...nsSpec('refused'), asyncOperationId: OP });
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ code: 'already_exists', field: 'asyncOperationId' });
});

test('an id that is not a short string is a 400 naming asyncOperationId', async () => {
  const res = await api.post('/api/v1/namespaces', {
    ...nsSpec('bad-id'),
    asyncOperationId: 'x'.repeat(129),
  });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ field: 'asyncOperationId' });
  expect(api.emu.snapshot().namespaces).toHaveLength(0);
});

describe('late-commit fault', () => {
  test('the client gives up, the server commits afterwards', async () => {
    api.emu.faults.add({ kind: 'late-commit', ms: 400, operationId: 'createNamespace', count: 1 });
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 100);
    await expect(
      fetch(`${api.emu.url}/api/v1/namespaces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(nsSpec('late')),
        signal: aborted.signal,
      }),
    ).rejects.toThrow();
    // Right after the client left nothing exists yet...
    expect(api.emu.snapshot().namespaces).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    // ...and then the change lands anyway.
    expect(api.emu.snapshot().namespaces.map((n) => n.namespace)).toEqual(['late.a1b2c']);
  });

  test('a retry under the same id that lands first makes the late commit a repeat, not a second key', async () => {
    const owner = (await api.emu.seed({ serviceAccounts: [{ name: 'owner' }] })).serviceAccountIds[0]!;
    const body = {
      spec: { displayName: 'k', ownerId: owner, ownerType: 'service-account', expiryTime: inDays(T0, 30) },
      asyncOperationId: OP,
    };
    api.emu.faults.add({ kind: 'late-commit', ms: 1500, operationId: 'createApiKey', count: 1 });
    const late = api.post('/api/v1/api-keys', body);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const retry = await api.post('/api/v1/api-keys', body);
    expect(retry.body.token).toMatch(/^tmprl_/);
    const lateAnswer = await late;
    expect(lateAnswer.body).toEqual({ keyId: retry.body.keyId, asyncOperationId: OP });
    expect(api.emu.snapshot().apiKeys).toHaveLength(1);
  });

  test('a rule is validated: ms must be a positive integer', () => {
    expect(() => api.emu.faults.add({ kind: 'late-commit', ms: 0 })).toThrow(/ms/);
  });
});

test('clock-skew fault: every timestamp the emulator reports is off by the skew', async () => {
  api.emu.configure({ clockSkewMs: 2000 });
  const res = await api.post('/api/v1/namespaces', nsSpec('skewed'));
  const ns = await api.get(`/api/v1/namespaces/${res.body.namespace}`);
  expect(Date.parse(ns.body.createdTime)).toBe(T0 + 2000);
  const op = await api.get(`/api/v1/async-operations/${res.body.asyncOperationId}`);
  expect(Date.parse(op.body.startedTime)).toBe(T0 + 2000);
});

test('the clock-skew and reuse settings are reachable through the admin endpoint', async () => {
  const { post } = httpClient(api.emu.url, API_KEY);
  const res = await post('/_emulator/config', { clockSkewMs: -1500, operationIdReuse: 'refuse' });
  expect(res.body).toMatchObject({ clockSkewMs: -1500, operationIdReuse: 'refuse' });
  const bad = await post('/_emulator/config', { operationIdReuse: 'sometimes' });
  expect(bad.status).toBe(400);
  expect(bad.body.field).toBe('operationIdReuse');
});
