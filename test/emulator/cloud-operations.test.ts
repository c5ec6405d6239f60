// The 19 operations on /cloud, through the product's client in the `cloud` dialect and through raw fetch;
// every body answered decodes strictly with the proto message of its method (see cloud-helpers.ts).
import { protoJsonProblems } from '../../src/cloud-api';
import { CLOUD_ROUTES } from '../../src/emulator/cloud-requests';
import { OPERATION_IDS, OpsApiClient } from '../../src/ops-api';
import { cloudNsSpec, startCloudEmulator, type CloudApi } from './cloud-helpers';
import { API_KEY, failNextOperation, inDays, REALISM_OFF, T0 } from './helpers';

let api: CloudApi;
beforeEach(async () => {
  // The wire format alone: the real service's behaviour beyond it (realism switches) is realism.test.ts's.
  api = await startCloudEmulator({
    asyncOperationDurationMs: 5_000,
    checkDurationMs: 2_000,
    realism: REALISM_OFF,
  });
});
afterEach(async () => {
  expect(api.problems).toEqual([]);
  await api.close();
});

test('all 19 operations through the product client in the cloud dialect', async () => {
  const { client, clock } = api;
  expect((await client.listRegions()).regions).toContainEqual({
    id: 'aws-us-east-1',
    cloudProvider: 'aws',
    location: 'US East (N. Virginia)',
  });

  const created = await client.createNamespace({
    spec: { name: 'orders', region: 'aws-us-east-1', retentionDays: 7, apiKeyAuth: { enabled: true } },
    asyncOperationId: 'create-orders',
  });
  expect(created).toEqual({ namespace: 'orders.a1b2c', asyncOperationId: 'create-orders' });
  expect(await client.getAsyncOperation('create-orders')).toMatchObject({
    id: 'create-orders',
    state: 'pending',
    checkDuration: '2s',
    operationType: 'createNamespace',
  });
  expect((await client.getNamespace('orders.a1b2c')).state).toBe('activating');
  clock.advance(5_000);
  expect((await client.getAsyncOperation('create-orders')).state).toBe('fulfilled');
  const ns = await client.getNamespace('orders.a1b2c');
  expect(ns).toMatchObject({
    namespace: 'orders.a1b2c',
    state: 'active',
    spec: { name: 'orders', region: 'aws-us-east-1', retentionDays: 7, apiKeyAuth: { enabled: true } },
    endpoints: {
      grpcAddress: 'orders.a1b2c.tmprl.cloud:7233',
      apiKeyGrpcAddress: 'us-east-1.aws.api.temporal.io:7233',
    },
  });
  expect((await client.listNamespaces()).namespaces.map((n) => n.namespace)).toEqual(['orders.a1b2c']);

  // The whole spec goes back with the version just read; a field left out is cleared.
  const updated = await client.updateNamespace('orders.a1b2c', {
    resourceVersion: ns.resourceVersion,
    spec: {
      name: 'orders',
      region: 'aws-us-east-1',
      retentionDays: 14,
      codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
    },
  });
  expect((await client.getNamespace('orders.a1b2c')).state).toBe('updating');
  clock.advance(5_000);
  expect((await client.getAsyncOperation(updated.asyncOperationId)).state).toBe('fulfilled');
  const after = await client.getNamespace('orders.a1b2c');
  expect(after.spec).toEqual({
    name: 'orders',
    region: 'aws-us-east-1',
    retentionDays: 14,
    codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
  });

  const user = await client.createUser({
    spec: {
      email: 'ada@example.com',
      access: {
        accountAccess: { role: 'developer' },
        namespaceAccesses: { 'orders.a1b2c': { permission: 'read' } },
      },
    },
  });
  // The given document's `pending` user is the real API's ACTIVATING.
  expect(await client.getUser(user.userId)).toMatchObject({
    state: 'activating',
    spec: { email: 'ada@example.com' },
  });
  expect((await client.listUsers()).users.map((u) => u.id)).toEqual([user.userId]);

  const sa = await client.createServiceAccount({
    spec: { name: 'orders-ci', access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'write' } } } },
  });
  expect(await client.getServiceAccount(sa.serviceAccountId)).toMatchObject({
    state: 'activating',
    spec: { name: 'orders-ci', access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'write' } } } },
  });
  expect((await client.listServiceAccounts()).serviceAccounts.map((s) => s.id)).toEqual([
    sa.serviceAccountId,
  ]);

  const key = await client.createApiKey({
    spec: {
      displayName: 'ci',
      ownerId: sa.serviceAccountId,
      ownerType: 'service-account',
      expiryTime: inDays(T0, 30),
    },
  });
  expect(key).toEqual({
    keyId: expect.any(String),
    token: expect.stringMatching(/^tmprl_/),
    asyncOperationId: expect.any(String),
  });
  const fetchedKey = await client.getApiKey(key.keyId);
  expect(fetchedKey.spec).toEqual({
    displayName: 'ci',
    ownerId: sa.serviceAccountId,
    ownerType: 'service-account',
    expiryTime: inDays(T0, 30).replace('.000Z', 'Z'),
  });
  expect(JSON.stringify(api.exchanges.filter((e) => e.operationId !== 'createApiKey'))).not.toContain(
    key.token,
  );
  expect(
    (await client.listApiKeys({ ownerType: 'service-account', ownerId: sa.serviceAccountId })).apiKeys,
  ).toHaveLength(1);
  expect((await client.listApiKeys({ ownerType: 'user' })).apiKeys).toHaveLength(0);

  clock.advance(5_000);
  const deletes = [
    await client.deleteApiKey(key.keyId, {
      resourceVersion: (await client.getApiKey(key.keyId)).resourceVersion,
    }),
    await client.deleteServiceAccount(sa.serviceAccountId),
    await client.deleteUser(user.userId, { asyncOperationId: 'offboard-ada' }),
    await client.deleteNamespace('orders.a1b2c', {
      resourceVersion: (await client.getNamespace('orders.a1b2c')).resourceVersion,
    }),
  ];
  expect(deletes[2]).toEqual({ asyncOperationId: 'offboard-ada' });
  for (const op of deletes)
    expect((await client.getAsyncOperation(op.asyncOperationId)).operationType).toMatch(/^delete/);
  clock.advance(5_000);
  const state = api.emu.snapshot();
  expect([state.namespaces, state.users, state.serviceAccounts, state.apiKeys]).toEqual([[], [], [], []]);

  // Every operation was answered, on its real route, with a body that decodes strictly.
  const answered = new Set(api.exchanges.filter((e) => e.status === 200).map((e) => e.operationId));
  expect(OPERATION_IDS.filter((id) => !answered.has(id))).toEqual([]);
  // And every request the client sent is its method's request message, strictly.
  for (const e of api.exchanges.filter((x) => x.requestBody !== undefined)) {
    expect([e.path, protoJsonProblems(CLOUD_ROUTES[e.operationId!].request, e.requestBody)]).toEqual([
      e.path,
      [],
    ]);
  }
});

test('all 19 operations with raw fetch: the real wire format', async () => {
  const { call, clock } = api;
  const regions = await call('GET', '/cloud/regions');
  expect(regions.body.regions).toContainEqual({
    id: 'gcp-europe-west3',
    cloudProvider: 'CLOUD_PROVIDER_GCP',
    cloudProviderRegion: 'europe-west3',
    location: 'Frankfurt, Germany',
  });

  const created = await call('POST', '/cloud/namespaces', { spec: cloudNsSpec('billing') });
  expect(created.status).toBe(200);
  expect(created.body).toEqual({
    namespace: 'billing.a1b2c',
    asyncOperation: {
      id: expect.any(String),
      state: 'STATE_PENDING',
      checkDuration: '2s',
      operationType: 'createNamespace',
      startedTime: '2026-01-15T10:30:00Z',
    },
  });
  const opId = created.body.asyncOperation.id;
  clock.advance(5_000);
  expect((await call('GET', `/cloud/operations/${opId}`)).body).toEqual({
    asyncOperation: {
      id: opId,
      state: 'STATE_FULFILLED',
      checkDuration: '2s',
      operationType: 'createNamespace',
      startedTime: '2026-01-15T10:30:00Z',
      finishedTime: '2026-01-15T10:30:05Z',
    },
  });
  const got = await call('GET', '/cloud/namespaces/billing.a1b2c');
  expect(got.body.namespace).toMatchObject({
    namespace: 'billing.a1b2c',
    resourceVersion: expect.any(String),
    spec: { name: 'billing', replicas: [{ region: 'aws-us-east-1' }], retentionDays: 7 },
    state: 'RESOURCE_STATE_ACTIVE',
    activeRegion: 'aws-us-east-1',
    endpoints: {
      webAddress: expect.any(String),
      grpcAddress: 'us-east-1.aws.api.temporal.io:7233',
      mtlsGrpcAddress: 'billing.a1b2c.tmprl.cloud:7233',
    },
  });
  const list = await call('GET', '/cloud/namespaces?pageSize=10');
  expect(list.body).toEqual({ namespaces: [got.body.namespace] });

  const update = await call('POST', '/cloud/namespaces/billing.a1b2c', {
    spec: cloudNsSpec('billing', { retentionDays: 30, apiKeyAuth: { enabled: true } }),
    resourceVersion: got.body.namespace.resourceVersion,
  });
  expect(update.body).toEqual({
    asyncOperation: expect.objectContaining({ state: 'STATE_PENDING', operationType: 'updateNamespace' }),
  });
  clock.advance(5_000);

  const user = await call('POST', '/cloud/users', {
    spec: { email: 'bo@example.com', access: { accountAccess: { role: 'ROLE_READ' } } },
  });
  expect(user.body).toEqual({
    userId: expect.any(String),
    asyncOperation: expect.objectContaining({ operationType: 'createUser' }),
  });
  const userBody = (await call('GET', `/cloud/users/${user.body.userId}`)).body;
  expect(userBody).toEqual({
    user: {
      id: user.body.userId,
      resourceVersion: expect.any(String),
      spec: { email: 'bo@example.com', access: { accountAccess: { role: 'ROLE_READ' } } },
      state: 'RESOURCE_STATE_ACTIVATING',
      asyncOperationId: user.body.asyncOperation.id,
      createdTime: '2026-01-15T10:30:10Z',
      lastModifiedTime: '2026-01-15T10:30:10Z',
    },
  });
  expect((await call('GET', '/cloud/users')).body).toEqual({ users: [userBody.user] });

  const sa = await call('POST', '/cloud/service-accounts', {
    spec: {
      name: 'billing-ci',
      access: { namespaceAccesses: { 'billing.a1b2c': { permission: 'PERMISSION_ADMIN' } } },
    },
  });
  expect(sa.body).toEqual({ serviceAccountId: expect.any(String), asyncOperation: expect.any(Object) });
  const saBody = (await call('GET', `/cloud/service-accounts/${sa.body.serviceAccountId}`)).body;
  expect(saBody.serviceAccount.spec).toEqual({
    name: 'billing-ci',
    access: { namespaceAccesses: { 'billing.a1b2c': { permission: 'PERMISSION_ADMIN' } } },
  });
  // The real list field is singular.
  expect((await call('GET', '/cloud/service-accounts')).body).toEqual({
    serviceAccount: [saBody.serviceAccount],
  });

  clock.advance(1_000);
  const key = await call('POST', '/cloud/api-keys', {
    spec: {
      ownerId: sa.body.serviceAccountId,
      ownerType: 'OWNER_TYPE_SERVICE_ACCOUNT',
      displayName: 'deploy',
      expiryTime: '2026-03-01T00:00:00Z',
    },
  });
  expect(key.body).toEqual({
    keyId: expect.any(String),
    token: expect.stringMatching(/^tmprl_/),
    asyncOperation: expect.objectContaining({ operationType: 'createApiKey' }),
  });
  const keyBody = (await call('GET', `/cloud/api-keys/${key.body.keyId}`)).body;
  expect(keyBody.apiKey).toMatchObject({
    id: key.body.keyId,
    state: 'RESOURCE_STATE_ACTIVATING',
    spec: {
      ownerId: sa.body.serviceAccountId,
      ownerType: 'OWNER_TYPE_SERVICE_ACCOUNT',
      displayName: 'deploy',
      expiryTime: '2026-03-01T00:00:00Z',
    },
  });
  expect(
    (
      await call(
        'GET',
        `/cloud/api-keys?ownerType=OWNER_TYPE_SERVICE_ACCOUNT&ownerId=${sa.body.serviceAccountId}`,
      )
    ).body,
  ).toEqual({
    apiKeys: [keyBody.apiKey],
  });
  expect((await call('GET', '/cloud/api-keys?owner_type=OWNER_TYPE_USER')).body).toEqual({ apiKeys: [] });

  clock.advance(5_000);
  for (const path of [
    `/cloud/api-keys/${key.body.keyId}?asyncOperationId=del-key`,
    `/cloud/service-accounts/${sa.body.serviceAccountId}`,
    `/cloud/users/${user.body.userId}`,
    '/cloud/namespaces/billing.a1b2c',
  ]) {
    const res = await call('DELETE', path);
    expect([path, res.status, res.body.asyncOperation.state]).toEqual([path, 200, 'STATE_PENDING']);
  }
  expect((await call('GET', '/cloud/operations/del-key')).body.asyncOperation.operationType).toBe(
    'deleteApiKey',
  );

  const answered = new Set(api.exchanges.filter((e) => e.status === 200).map((e) => e.operationId));
  expect(OPERATION_IDS.filter((id) => !answered.has(id))).toEqual([]);
});

test('pages: nextPageToken, pageSize (also as page_size and as a string) and the real filters', async () => {
  await api.emu.seed({
    namespaces: ['a1', 'b2', 'c3'].map((name) => ({ name, region: 'aws-us-east-1', retentionDays: 7 })),
    users: [
      { email: 'one@example.com', access: { namespaceAccesses: { 'b2.a1b2c': { permission: 'read' } } } },
      { email: 'Two@example.com' },
    ],
  });
  const first = await api.call('GET', '/cloud/namespaces?page_size=2');
  expect(first.body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual([
    'a1.a1b2c',
    'b2.a1b2c',
  ]);
  const second = await api.call('GET', `/cloud/namespaces?pageSize=2&pageToken=${first.body.nextPageToken}`);
  expect(second.body).toEqual({ namespaces: [expect.objectContaining({ namespace: 'c3.a1b2c' })] });
  expect((await api.client.listNamespaces({ pageSize: 2 })).nextPageToken).toBe(first.body.nextPageToken);

  const byName = await api.call('GET', '/cloud/namespaces?name=b2');
  expect(byName.body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['b2.a1b2c']);
  const byEmail = await api.call('GET', '/cloud/users?email=two@EXAMPLE.com');
  expect(byEmail.body.users.map((u: { spec: { email: string } }) => u.spec.email)).toEqual([
    'Two@example.com',
  ]);
  const byNamespace = await api.call('GET', '/cloud/users?namespace=b2.a1b2c');
  expect(byNamespace.body.users.map((u: { spec: { email: string } }) => u.spec.email)).toEqual([
    'one@example.com',
  ]);
  expect((await api.call('GET', '/cloud/users?namespace=c3.a1b2c')).body).toEqual({ users: [] });
});

test('HEAD of a read answers like GET, without a body', async () => {
  const res = await api.call('HEAD', '/cloud/regions');
  expect([res.status, res.body]).toEqual([200, undefined]);
});

test('the product sees the same domain objects through either dialect', async () => {
  const openapi = new OpsApiClient({ baseUrl: api.emu.url, apiKey: API_KEY, dialect: 'openapi' });
  const cloud = api.client;
  // The whole namespace spec the client can send, through /cloud.
  await cloud.createNamespace({
    spec: {
      name: 'same',
      region: 'gcp-europe-west3',
      retentionDays: 30,
      codecServer: {
        endpoint: 'https://codec.example.com',
        passAccessToken: false,
        includeCrossOriginCredentials: true,
      },
      mtlsAuth: { acceptedClientCa: 'QUJD\nRA==\n', certificateFilters: [{ commonName: 'client' }] },
      apiKeyAuth: { enabled: true },
    },
  });
  const seeded = await api.emu.seed({
    users: [
      {
        email: 'same@example.com',
        access: {
          accountAccess: { role: 'admin' },
          namespaceAccesses: { 'same.a1b2c': { permission: 'write' } },
        },
      },
    ],
    serviceAccounts: [
      { name: 'same-sa', access: { namespaceAccesses: { 'same.a1b2c': { permission: 'read' } } } },
    ],
  });
  const [userId] = seeded.userIds;
  const [saId] = seeded.serviceAccountIds;
  const key = await cloud.createApiKey({
    spec: {
      displayName: 'same-key',
      ownerId: saId!,
      ownerType: 'service-account',
      expiryTime: inDays(T0, 30),
    },
  });
  failNextOperation(api.emu, 'deleteUser', 'nope');
  const failed = await cloud.deleteUser(userId!);
  api.clock.advance(5_000);

  for (const read of [
    (c: OpsApiClient) => c.getNamespace('same.a1b2c'),
    (c: OpsApiClient) => c.listNamespaces(),
    (c: OpsApiClient) => c.getUser(userId!),
    (c: OpsApiClient) => c.listUsers(),
    (c: OpsApiClient) => c.getServiceAccount(saId!),
    (c: OpsApiClient) => c.listServiceAccounts(),
    (c: OpsApiClient) => c.getApiKey(key.keyId),
    (c: OpsApiClient) => c.listApiKeys({ ownerId: saId! }),
    (c: OpsApiClient) => c.listRegions(),
    (c: OpsApiClient) => c.getAsyncOperation(key.asyncOperationId),
    (c: OpsApiClient) => c.getAsyncOperation(failed.asyncOperationId),
  ]) {
    expect(await read(cloud)).toEqual(await read(openapi));
  }
});

test("every operation is served at its proto's HTTP rule and logged under our operationId", async () => {
  for (const operationId of OPERATION_IDS) {
    const route = CLOUD_ROUTES[operationId];
    const path = route.fieldPath.replace(/\{(\w+)\}/g, 'x1');
    api.emu.clearRequestLog();
    await api.call(route.verb, path, route.bodyIsRequest ? {} : undefined);
    // Reached the operation's route (the router's 404/405 have no operationId), whatever it answered.
    expect(api.emu.requestLog.map((e) => [e.operationId, e.dialect])).toEqual([[operationId, 'cloud']]);
  }
});
