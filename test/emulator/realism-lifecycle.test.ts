// The lifecycle realism switches (readAfterCreateLag, serviceAccountRoleRule) and namespace-scoped service
// accounts: on by default for /cloud and off for /api/v1, each to be turned off (or on for /api/v1) one by one.
import { parseRealismFlag, REALISM } from '../../src/emulator/realism';
import { cloudNsSpec, READ_LAG_MS, startCloudEmulator, type CloudApi } from './cloud-helpers';
import { API_KEY, httpClient, nsSpec } from './helpers';

let api: CloudApi;
let v1: ReturnType<typeof httpClient>;
beforeEach(async () => {
  // The lifecycle switches at their defaults (on for /cloud, off for /api/v1); the others are realism.test.ts's.
  api = await startCloudEmulator({
    asyncOperationDurationMs: 5_000,
    realism: {
      edgeAnswers: false,
      undocumentedConflictCodes: false,
      unmodelledFields: false,
      emitUnpopulated: false,
    },
  });
  v1 = httpClient(api.emu.url, API_KEY);
});
afterEach(async () => {
  expect(api.problems).toEqual([]);
  await api.close();
});

const answer = (res: { status: number; body: { code?: number } }) => [res.status, res.body.code];
const ROLE_READ = { accountAccess: { role: 'ROLE_READ' } };

test('the lifecycle switches say what they do and cite their public sources', () => {
  for (const name of ['readAfterCreateLag', 'serviceAccountRoleRule'] as const) {
    expect(REALISM[name].description.length).toBeGreaterThan(20);
    expect(REALISM[name].sources.join(' ')).toMatch(/tcld|terraform|provider|cloud-api/i);
  }
  expect(parseRealismFlag('readAfterCreateLag=off,serviceAccountRoleRule=on')).toEqual({
    readAfterCreateLag: false,
    serviceAccountRoleRule: true,
  });
  expect(() => parseRealismFlag('lag=on')).toThrow(/unknown switch 'lag'/);
  expect(() => parseRealismFlag('readAfterCreateLag=yes')).toThrow(/expected on, off or default/);
});

describe('readAfterCreateLag', () => {
  async function created(name: string): Promise<string> {
    await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec(name) });
    api.clock.advance(5_000); // the create is fulfilled
    return `${name}.a1b2c`;
  }

  test('a namespace just created reads PERMISSION_DENIED and NOT_FOUND in turn on /cloud, then reads', async () => {
    const id = await created('lagging');
    expect(answer(await api.call('GET', `/cloud/namespaces/${id}`))).toEqual([403, 7]);
    expect(answer(await api.call('GET', `/cloud/namespaces/${id}`))).toEqual([404, 5]);
    // Changing it is refused the same way; nothing changes.
    const update = { spec: cloudNsSpec('lagging', { retentionDays: 9 }), resourceVersion: 'x' };
    expect(answer(await api.call('POST', `/cloud/namespaces/${id}`, update))).toEqual([403, 7]);
    expect(answer(await api.call('DELETE', `/cloud/namespaces/${id}`))).toEqual([404, 5]);
    // Lists still show it, and the given document's routes read it (the switch is off there by default).
    expect((await api.call('GET', '/cloud/namespaces')).body.namespaces).toHaveLength(1);
    expect((await v1.get(`/api/v1/namespaces/${id}`)).status).toBe(200);
    expect(api.emu.snapshot().namespaces[0]).toMatchObject({ state: 'active', spec: { retentionDays: 7 } });

    api.clock.advance(READ_LAG_MS);
    expect((await api.call('GET', `/cloud/namespaces/${id}`)).status).toBe(200);
  });

  test('starts when the create is fulfilled, not before, and never for a seeded namespace', async () => {
    await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('young') });
    expect((await api.call('GET', '/cloud/namespaces/young.a1b2c')).body.namespace.state).toBe(
      'RESOURCE_STATE_ACTIVATING',
    );
    await api.emu.seed({ namespaces: [nsSpec('seeded').spec] });
    expect((await api.call('GET', '/cloud/namespaces/seeded.a1b2c')).status).toBe(200);
  });

  test('its length is a parameter; turned off it is gone; turned on it applies to /api/v1 too', async () => {
    api.emu.configure({ realismParams: { readAfterCreateLag: { lagMs: 10_000 } } });
    const id = await created('short');
    expect((await api.call('GET', `/cloud/namespaces/${id}`)).status).toBe(403);
    api.clock.advance(10_000);
    expect((await api.call('GET', `/cloud/namespaces/${id}`)).status).toBe(200);

    const off = await created('off');
    api.emu.configure({ realism: { readAfterCreateLag: false } });
    expect((await api.call('GET', `/cloud/namespaces/${off}`)).status).toBe(200);

    api.emu.configure({ realism: { readAfterCreateLag: true } });
    await v1.post('/api/v1/namespaces', nsSpec('given'));
    api.clock.advance(5_000);
    expect([(await v1.get('/api/v1/namespaces/given.a1b2c')).body.code]).toEqual(['permission_denied']);
  });

  test('the admin endpoint sets and shows the switches and the lag, and refuses unknown ones', async () => {
    const shown = await v1.post('/_emulator/config', {
      realism: { serviceAccountRoleRule: false },
      realismParams: { readAfterCreateLag: { lagMs: 5_000 } },
    });
    expect(shown.body).toMatchObject({
      realism: { serviceAccountRoleRule: { cloud: false, openapi: false } },
      realismParams: { readAfterCreateLag: { lagMs: 5_000 } },
    });
    const bad = await v1.post('/_emulator/config', { realism: { eventualConsistency: true } });
    expect([bad.status, bad.body.field]).toEqual([400, 'realism']);
  });
});

describe('serviceAccountRoleRule', () => {
  test('a service account without an account role or namespace-scoped access is INVALID_ARGUMENT on /cloud', async () => {
    const refused = await api.call('POST', '/cloud/service-accounts', { spec: { name: 'ci' } });
    expect(answer(refused)).toEqual([400, 3]);
    expect(refused.body.details[0].fieldViolations[0].field).toBe('spec.access.accountAccess.role');
    expect(api.emu.snapshot().serviceAccounts).toEqual([]);
    expect(
      (await api.call('POST', '/cloud/service-accounts', { spec: { name: 'ci', access: ROLE_READ } })).status,
    ).toBe(200);
    // The given document's routes keep their rules; the switch turned off lifts it on /cloud.
    expect((await v1.post('/api/v1/service-accounts', { spec: { name: 'v1' } })).status).toBe(200);
    api.emu.configure({ realism: { serviceAccountRoleRule: false } });
    expect((await api.call('POST', '/cloud/service-accounts', { spec: { name: 'off' } })).status).toBe(200);
  });
});

describe('namespace-scoped service accounts (the real API only)', () => {
  let ns: string;
  beforeEach(async () => {
    await api.emu.seed({ namespaces: [nsSpec('pay').spec, nsSpec('other').spec] });
    ns = 'pay.a1b2c';
  });
  const scoped = (namespace: string, permission = 'PERMISSION_WRITE') => ({
    namespace,
    access: { permission },
  });

  test('are stored and served with their namespace and permission, on /cloud and /api/v1', async () => {
    const made = await api.call('POST', '/cloud/service-accounts', {
      spec: { name: 'pay-ci', namespaceScopedAccess: scoped(ns) },
    });
    expect(made.status).toBe(200);
    const read = await api.call('GET', `/cloud/service-accounts/${made.body.serviceAccountId}`);
    expect(read.body.serviceAccount.spec).toEqual({ name: 'pay-ci', namespaceScopedAccess: scoped(ns) });
    expect((await api.client.listServiceAccounts()).serviceAccounts[0]!.spec).toEqual({
      name: 'pay-ci',
      namespaceScopedAccess: { namespace: ns, access: { permission: 'write' } },
    });
    expect((await v1.get(`/api/v1/service-accounts/${made.body.serviceAccountId}`)).body.spec).toEqual({
      name: 'pay-ci',
      namespaceScopedAccess: { namespace: ns, access: { permission: 'write' } },
    });
  });

  test('need an existing namespace and a permission, never with account-wide access too', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'a', namespaceScopedAccess: scoped('nope.a1b2c') }, 'spec.namespaceScopedAccess.namespace'],
      [
        { name: 'b', namespaceScopedAccess: { namespace: ns } },
        'spec.namespaceScopedAccess.access.permission',
      ],
      [{ name: 'c', namespaceScopedAccess: scoped(ns), access: ROLE_READ }, 'spec.namespaceScopedAccess'],
    ];
    for (const [spec, field] of cases) {
      const res = await api.call('POST', '/cloud/service-accounts', { spec });
      expect([answer(res), res.body.details[0].fieldViolations[0].field]).toEqual([[400, 3], field]);
    }
    // The given document has none: refused there rather than dropped.
    const v1Try = await v1.post('/api/v1/service-accounts', {
      spec: { name: 'd', namespaceScopedAccess: { namespace: ns, access: { permission: 'read' } } },
    });
    expect([v1Try.status, v1Try.body.field]).toEqual([400, 'spec.namespaceScopedAccess']);
    expect(api.emu.snapshot().serviceAccounts).toEqual([]);
  });

  test('keep their namespace: the permission changes, the namespace and the kind do not', async () => {
    const made = await api.call('POST', '/cloud/service-accounts', {
      spec: { name: 'pay-ci', namespaceScopedAccess: scoped(ns) },
    });
    const id = made.body.serviceAccountId as string;
    api.clock.advance(5_000);
    const version = async () =>
      (await api.call('GET', `/cloud/service-accounts/${id}`)).body.serviceAccount.resourceVersion as string;
    const update = async (spec: unknown) =>
      api.call('POST', `/cloud/service-accounts/${id}`, { spec, resourceVersion: await version() });

    const moved = await update({ name: 'pay-ci', namespaceScopedAccess: scoped('other.a1b2c') });
    expect(moved.body.details[0].fieldViolations[0].field).toBe('spec.namespaceScopedAccess.namespace');
    const widened = await update({ name: 'pay-ci', access: ROLE_READ });
    expect(answer(widened)).toEqual([400, 3]);
    const elsewhere = await api.call('POST', `/cloud/namespaces/other.a1b2c/service-accounts/${id}/access`, {
      access: { permission: 'PERMISSION_READ' },
      resourceVersion: await version(),
    });
    expect(answer(elsewhere)).toEqual([400, 3]);

    expect(
      (await update({ name: 'pay-ci', namespaceScopedAccess: scoped(ns, 'PERMISSION_READ') })).status,
    ).toBe(200);
    api.clock.advance(5_000);
    const own = await api.call('POST', `/cloud/namespaces/${ns}/service-accounts/${id}/access`, {
      access: { permission: 'PERMISSION_ADMIN' },
      resourceVersion: await version(),
    });
    expect(own.status).toBe(200);
    api.clock.advance(5_000);
    expect((await api.call('GET', `/cloud/service-accounts/${id}`)).body.serviceAccount.spec).toEqual({
      name: 'pay-ci',
      namespaceScopedAccess: scoped(ns, 'PERMISSION_ADMIN'),
    });
  });
});
