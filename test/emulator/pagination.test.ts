import { T0, inDays, startTestEmulator, type Json, type TestApi } from './helpers';

let api: TestApi;
let saId: string;
let userId: string;
const N = 260;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const pad = (i: number) => String(i).padStart(3, '0');

beforeAll(async () => {
  api = await startTestEmulator();
  const seeded = await api.emu.seed({
    namespaces: range(N).map((i) => ({ name: `ns-${pad(i)}`, region: 'aws-us-west-2', retentionDays: 30 })),
    users: range(N).map((i) => ({ email: `user${pad(i)}@example.com` })),
    serviceAccounts: range(N).map((i) => ({ name: `sa-${pad(i)}` })),
  });
  saId = seeded.serviceAccountIds[0]!;
  userId = seeded.userIds[0]!;
  await api.emu.seed({
    apiKeys: [
      ...range(N).map((i) => ({
        displayName: `sa-key-${pad(i)}`,
        ownerId: saId,
        ownerType: 'service-account' as const,
        expiryTime: inDays(T0, 30),
      })),
      ...range(10).map((i) => ({
        displayName: `user-key-${pad(i)}`,
        ownerId: userId,
        ownerType: 'user' as const,
        expiryTime: inDays(T0, 30),
      })),
    ],
  });
});
afterAll(() => api.close());

async function walk(path: string, field: string, pageSize?: number) {
  const sizes: number[] = [];
  const items: Array<Json> = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams();
    if (pageSize !== undefined) query.set('pageSize', String(pageSize));
    if (token) query.set('pageToken', token);
    const sep = path.includes('?') ? '&' : '?';
    const res = await api.get(`${path}${query.size ? sep + query.toString() : ''}`);
    expect(res.status).toBe(200);
    sizes.push(res.body[field].length);
    items.push(...res.body[field]);
    token = res.body.nextPageToken;
  } while (token);
  return { sizes, items };
}

test.each([
  ['/api/v1/namespaces', 'namespaces', (x: Json) => x.spec.name, 'ns-'],
  ['/api/v1/users', 'users', (x: Json) => x.spec.email, 'user'],
  ['/api/v1/service-accounts', 'serviceAccounts', (x: Json) => x.spec.name, 'sa-'],
])('%s pages through %s 100 at a time in creation order', async (path, field, name, prefix) => {
  const { sizes, items } = await walk(path, field, 100);
  expect(sizes).toEqual([100, 100, 60]);
  expect(items.map(name)).toEqual(range(N).map((i) => expect.stringContaining(`${prefix}${pad(i)}`)));
});

test('listApiKeys pages all keys, and filters by ownerId and ownerType', async () => {
  const all = await walk('/api/v1/api-keys', 'apiKeys', 100);
  expect(all.sizes).toEqual([100, 100, 70]);
  expect(new Set(all.items.map((k) => k.id)).size).toBe(N + 10);

  const bySa = await walk(`/api/v1/api-keys?ownerId=${saId}`, 'apiKeys', 100);
  expect(bySa.sizes).toEqual([100, 100, 60]);
  expect(bySa.items.every((k) => k.spec.ownerId === saId)).toBe(true);
  expect(bySa.items.map((k) => k.spec.displayName)).toEqual(range(N).map((i) => `sa-key-${pad(i)}`));

  const byType = await walk('/api/v1/api-keys?ownerType=service-account', 'apiKeys', 100);
  expect(byType.sizes).toEqual([100, 100, 60]);
  const users = await walk('/api/v1/api-keys?ownerType=user', 'apiKeys', 100);
  expect(users.items.map((k) => k.spec.ownerId)).toEqual(range(10).map(() => userId));
  const both = await walk(`/api/v1/api-keys?ownerType=user&ownerId=${saId}`, 'apiKeys', 100);
  expect(both.items).toEqual([]);
  expect((await api.get('/api/v1/api-keys?ownerId=nobody')).body).toEqual({ apiKeys: [] });
});

test('default page size is 100 and requests above maxPageSize are clamped', async () => {
  expect((await api.get('/api/v1/users')).body.users).toHaveLength(100);
  expect((await api.get('/api/v1/users?pageSize=0')).body.users).toHaveLength(100);
  expect((await api.get('/api/v1/users?pageSize=5000')).body.users).toHaveLength(N);

  const small = await startTestEmulator({ defaultPageSize: 10, maxPageSize: 25 });
  try {
    await small.emu.seed({ users: range(40).map((i) => ({ email: `s${i}@example.com` })) });
    expect((await small.get('/api/v1/users')).body.users).toHaveLength(10);
    expect((await small.get('/api/v1/users?pageSize=500')).body.users).toHaveLength(25);
  } finally {
    await small.close();
  }
});

test('cursors stay stable when items are created and deleted between pages', async () => {
  const first = await api.get('/api/v1/service-accounts?pageSize=100');
  const firstIds = first.body.serviceAccounts.map((s: { id: string }) => s.id);
  // Delete one already seen and one not yet seen; create one.
  await api.del(`/api/v1/service-accounts/${firstIds[5]}`);
  const unseen = (await api.get(`/api/v1/service-accounts?pageSize=1&pageToken=${first.body.nextPageToken}`))
    .body.serviceAccounts[0].id;
  await api.del(`/api/v1/service-accounts/${unseen}`);
  api.clock.advance(1000);
  const created = await api.post('/api/v1/service-accounts', { spec: { name: 'late-arrival' } });

  const rest: string[] = [];
  let token: string | undefined = first.body.nextPageToken;
  while (token) {
    const res = await api.get(`/api/v1/service-accounts?pageSize=100&pageToken=${token}`);
    rest.push(...res.body.serviceAccounts.map((s: { id: string }) => s.id));
    token = res.body.nextPageToken;
  }
  expect(rest).toHaveLength(N - 100 - 1 + 1);
  expect(rest).not.toContain(unseen);
  expect(rest.filter((id) => firstIds.includes(id))).toEqual([]);
  expect(rest[rest.length - 1]).toBe(created.body.serviceAccountId);
});
