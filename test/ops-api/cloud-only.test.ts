// The real API's own operations (changing an existing principal's access and role): served on /cloud,
// refused by the openapi dialect before anything is sent.
import { MutationGate, OpsApiClient, OpsApiError } from '../../src/ops-api';
import { userSpecFromCloud, userSpecToCloud } from '../../src/cloud-api';
import { API_KEY, startTestEmulator, type TestApi } from '../emulator/helpers';

let api: TestApi;
let cloud: OpsApiClient;
let saId: string;
let userId: string;

beforeEach(async () => {
  api = await startTestEmulator();
  cloud = new OpsApiClient({ baseUrl: api.emu.url, apiKey: API_KEY, dialect: 'cloud' });
  await api.emu.seed({
    namespaces: ['orders', 'billing'].map((name) => ({ name, region: 'aws-us-east-1', retentionDays: 7 })),
  });
  const seeded = await api.emu.seed({
    serviceAccounts: [
      { name: 'ci', access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'read' } } } },
    ],
    users: [{ email: 'jo@example.com', access: { accountAccess: { role: 'read' } } }],
  });
  [saId] = seeded.serviceAccountIds as [string];
  [userId] = seeded.userIds as [string];
});
afterEach(() => api.close());

const settle = () => api.clock.advance(10_000);

test('granting one namespace leaves the others; the change lands when its operation is fulfilled', async () => {
  const sa = await cloud.getServiceAccount(saId);
  const { asyncOperationId } = await cloud.setServiceAccountNamespaceAccess({
    serviceAccountId: saId,
    namespace: 'billing.a1b2c',
    access: { permission: 'write' },
    resourceVersion: sa.resourceVersion,
    asyncOperationId: 'grant-1',
  });
  expect(asyncOperationId).toBe('grant-1');
  settle();
  expect((await cloud.getAsyncOperation('grant-1')).state).toBe('fulfilled');
  expect((await cloud.getServiceAccount(saId)).spec.access?.namespaceAccesses).toEqual({
    'orders.a1b2c': { permission: 'read' },
    'billing.a1b2c': { permission: 'write' },
  });
  const log = api.emu.requestLog.find((e) => e.operationId === 'setServiceAccountNamespaceAccess')!;
  expect(log.path).toBe(`/cloud/namespaces/billing.a1b2c/service-accounts/${saId}/access`);
});

test('an update replaces the whole spec: access removed, role changed; a stale version is refused', async () => {
  const sa = await cloud.getServiceAccount(saId);
  await cloud.updateServiceAccount({
    serviceAccountId: saId,
    resourceVersion: sa.resourceVersion,
    spec: { name: 'ci' },
  });
  const user = await cloud.getUser(userId);
  await cloud.updateUser({
    userId,
    resourceVersion: user.resourceVersion,
    spec: { email: 'jo@example.com', access: { accountAccess: { role: 'developer' } } },
  });
  settle();
  expect((await cloud.getServiceAccount(saId)).spec.access).toBeUndefined();
  expect((await cloud.getUser(userId)).spec.access?.accountAccess?.role).toBe('developer');
  const stale = await cloud
    .updateUser({ userId, resourceVersion: user.resourceVersion, spec: { email: 'jo@example.com' } })
    .catch((e: unknown) => e);
  expect(stale).toMatchObject({ status: 409, code: 'resource_version_mismatch', retryable: false });
  const renamed = await cloud
    .updateServiceAccount({
      serviceAccountId: saId,
      resourceVersion: (await cloud.getServiceAccount(saId)).resourceVersion,
      spec: { name: 'other' },
    })
    .catch((e: unknown) => e);
  expect(renamed).toMatchObject({ status: 400, code: 'invalid_argument', field: 'spec.name' });
});

test('the openapi dialect does not offer them: refused before anything is sent', async () => {
  const openapi = new OpsApiClient({
    baseUrl: api.emu.url,
    apiKey: API_KEY,
    dialect: 'openapi',
    mutationGate: new MutationGate(1),
  });
  expect(openapi.supports('setUserNamespaceAccess')).toBe(false);
  expect(cloud.supports('setUserNamespaceAccess')).toBe(true);
  // Nor namespace-scoped service accounts, nor a required role for account-wide ones: capabilities of the client.
  expect([openapi.supports('namespaceScopedServiceAccounts'), openapi.defaultServiceAccountRole]).toEqual([
    false,
    undefined,
  ]);
  expect([cloud.supports('namespaceScopedServiceAccounts'), cloud.defaultServiceAccountRole]).toEqual([
    true,
    'read',
  ]);
  api.emu.clearRequestLog();
  const err = await openapi
    .setUserNamespaceAccess({
      userId,
      namespace: 'orders.a1b2c',
      access: { permission: 'read' },
      resourceVersion: 'x',
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpsApiError);
  expect(err).toMatchObject({ kind: 'invalid_request', retryable: false });
  expect((err as Error).message).toMatch(/not an operation of the openapi dialect/);
  expect(api.emu.requestLog).toEqual([]);
});

test('updateApiKey disables a key in one call, reversibly; the openapi dialect does not offer it', async () => {
  const { apiKeys } = await api.emu.seed({
    apiKeys: [
      { displayName: 'laptop', ownerId: userId, ownerType: 'user', expiryTime: '2026-03-01T00:00:00Z' },
    ],
  });
  const keyId = apiKeys[0]!.keyId;
  const key = await cloud.getApiKey(keyId);
  expect(key.spec.disabled).toBeUndefined();
  await cloud.updateApiKey({
    keyId,
    resourceVersion: key.resourceVersion,
    spec: { ...key.spec, disabled: true },
    asyncOperationId: 'disable-1',
  });
  const log = api.emu.requestLog.find((e) => e.operationId === 'updateApiKey')!;
  expect([log.method, log.path]).toEqual(['POST', `/cloud/api-keys/${keyId}`]);
  settle();
  const disabled = await cloud.getApiKey(keyId);
  expect(disabled.spec).toEqual({ ...key.spec, disabled: true });
  await cloud.updateApiKey({
    keyId,
    resourceVersion: disabled.resourceVersion,
    spec: { ...disabled.spec, disabled: false },
  });
  settle();
  expect((await cloud.getApiKey(keyId)).spec.disabled).toBeUndefined();

  const openapi = new OpsApiClient({ baseUrl: api.emu.url, apiKey: API_KEY, dialect: 'openapi' });
  expect([openapi.supports('updateApiKey'), cloud.supports('updateApiKey')]).toEqual([false, true]);
  await expect(
    openapi.updateApiKey({ keyId, resourceVersion: 'x', spec: { ...key.spec, disabled: true } }),
  ).rejects.toMatchObject({ kind: 'invalid_request' });
});

describe('what this product does not model travels from the read to the whole-spec update', () => {
  let custom: { customRoles: string[] };

  test('a user’s custom roles survive a role change and the loss of the role; the openapi dialect never sends them', async () => {
    api.emu.configure({ realism: { unmodelledFields: true } });
    const permissions = [
      { resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:read'] },
    ];
    const { customRoleIds } = await api.emu.seed({ customRoles: [{ name: 'auditor', permissions }] });
    custom = { customRoles: customRoleIds };
    const { userIds } = await api.emu.seed({
      users: [
        {
          email: 'cr@example.com',
          access: { accountAccess: { role: 'read' } },
          preserved: { access: { accountAccess: custom } },
        },
      ],
    });
    const user = await cloud.getUser(userIds[0]!);
    expect(user.spec.preserved).toEqual({ access: { accountAccess: custom } });
    await cloud.updateUser({
      userId: user.id,
      resourceVersion: user.resourceVersion,
      spec: { ...user.spec, access: {} }, // the role taken away, nothing else said
    });
    settle();
    const after = await cloud.getUser(user.id);
    expect(after.spec.access?.accountAccess).toBeUndefined();
    expect(after.spec.preserved).toEqual({ access: { accountAccess: custom } });
    expect(api.emu.realism.losses()).toEqual([]);
    // The given document's dialect has no such fields: a spec that carries them sends none.
    const openapi = new OpsApiClient({ baseUrl: api.emu.url, apiKey: API_KEY, dialect: 'openapi' });
    await openapi.createUser({ spec: { email: 'new@example.com', preserved: { x: 1 } } as never });
    const created = api.emu.requestLog.at(-1)!;
    expect([created.path, created.status]).toEqual(['/api/v1/users', 200]);
  });

  test('a service account’s description and an API key’s description survive; a field the protos lack too', async () => {
    api.emu.configure({ realism: { unmodelledFields: true } });
    const { serviceAccountIds } = await api.emu.seed({
      serviceAccounts: [{ name: 'deployer', preserved: { description: 'deploys orders' } }],
    });
    const sa = await cloud.getServiceAccount(serviceAccountIds[0]!);
    await cloud.updateServiceAccount({
      serviceAccountId: sa.id,
      resourceVersion: sa.resourceVersion,
      spec: { ...sa.spec, access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'admin' } } } },
    });
    settle();
    expect((await cloud.getServiceAccount(sa.id)).spec).toMatchObject({
      access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'admin' } } },
      preserved: { description: 'deploys orders' },
    });
    // A newer API's field, unknown to the pinned protos, is carried the same way.
    const read = {
      email: 'n@example.com',
      access: { accountAccess: { role: 'ROLE_READ' } },
      mfa: { required: true },
    };
    const spec = userSpecFromCloud(read);
    expect(spec.preserved).toEqual({ mfa: { required: true } });
    expect(userSpecToCloud({ ...spec, access: { accountAccess: { role: 'admin' } } })).toEqual({
      ...read,
      access: { accountAccess: { role: 'ROLE_ADMIN' } },
    });
    expect(api.emu.realism.losses()).toEqual([]);
  });
});
