// HTTP-level behaviours an OpenAPI fuzzer and a validating proxy check: empty query values, JSON keys
// that secure-json-parse refuses, and methods a known path does not support.
import { specRoutes } from '../../src/emulator/spec-loader';
import { T0, inDays, nsSpec, seedExisting, startTestEmulator, type TestApi } from './helpers';

let api: TestApi;
let saId: string;
let userId: string;

beforeAll(async () => {
  api = await startTestEmulator();
  ({ saId, userId } = await seedExisting(api.emu, 'owner@example.com', 'owner-sa'));
  await api.emu.seed({
    apiKeys: [
      { displayName: 'sa-key', ownerId: saId, ownerType: 'service-account', expiryTime: inDays(T0, 30) },
      { displayName: 'user-key', ownerId: userId, ownerType: 'user', expiryTime: inDays(T0, 30) },
    ],
  });
});
afterAll(() => api.close());

describe('an empty optional query parameter means the parameter is absent', () => {
  // Every optional query parameter of every operation the spec gives, so a new one is covered too.
  const cases = specRoutes()
    .filter((route) => route.method === 'GET')
    .flatMap((route) => {
      const query = route.schema.querystring;
      const required = (query?.required as string[] | undefined) ?? [];
      return Object.keys((query?.properties as object | undefined) ?? {})
        .filter((name) => !required.includes(name))
        .map((name) => [route.operationId, name, route.url] as const);
    });

  test('the spec has optional query parameters to check', () => {
    expect(cases.map(([id, name]) => `${id}.${name}`)).toEqual(
      expect.arrayContaining(['listApiKeys.ownerType', 'listApiKeys.ownerId', 'listNamespaces.pageSize']),
    );
  });

  test.each(cases)('%s ?%s= answers as without it', async (_id, name, url) => {
    const without = await api.get(url);
    expect(without.status).toBe(200);
    const empty = await api.get(`${url}?${name}=`);
    expect({ status: empty.status, body: empty.body }).toEqual({ status: 200, body: without.body });
  });

  test('a delete with ?asyncOperationId= deletes as without it (a server-chosen operation id)', async () => {
    const { userIds } = await api.emu.seed({ users: [{ email: 'empty-id@example.com' }] });
    const res = await api.del(`/api/v1/users/${userIds[0]}?asyncOperationId=`);
    expect(res.status).toBe(200);
    expect(res.body.asyncOperationId).toMatch(/^[0-9a-f]{32}$/);
  });

  test('listApiKeys?ownerType=&ownerId= lists every key; a non-empty filter still filters', async () => {
    const all = await api.get('/api/v1/api-keys?ownerType=&ownerId=');
    expect(all.status).toBe(200);
    expect(all.body.apiKeys).toHaveLength(2);
    const users = await api.get('/api/v1/api-keys?ownerType=user&ownerId=');
    expect(users.body.apiKeys.map((k: { spec: { ownerId: string } }) => k.spec.ownerId)).toEqual([userId]);
    expect((await api.get('/api/v1/api-keys?ownerType=robot')).status).toBe(400);
  });
});

describe('JSON bodies with __proto__ or constructor.prototype keys', () => {
  test.each([
    ['a __proto__ key inside spec', '/api/v1/namespaces', '{"spec":{"__proto__":{"x":1}}}', 'spec.__proto__'],
    [
      'a __proto__ key spelt with a unicode escape',
      '/api/v1/users',
      '{"spec":{"email":"p@example.com","\\u005f_proto__":{}}}',
      'spec.__proto__',
    ],
    ['a top-level __proto__ key', '/api/v1/service-accounts', '{"__proto__":{"spec":{}}}', '__proto__'],
    [
      'a constructor.prototype key',
      '/api/v1/namespaces',
      JSON.stringify({ spec: { ...nsSpec('ctor').spec, constructor: { prototype: { polluted: true } } } }),
      'spec.constructor.prototype',
    ],
    [
      'a __proto__ key inside an array item',
      '/api/v1/namespaces',
      JSON.stringify({ spec: { ...nsSpec('arr').spec, mtlsAuth: { acceptedClientCa: 'QUJD' } } }).replace(
        '"QUJD"}',
        '"QUJD","certificateFilters":[{"__proto__":{}}]}',
      ),
      'spec.mtlsAuth.certificateFilters.0.__proto__',
    ],
  ])('%s → 400 invalid_argument naming the field, nothing changes', async (_d, path, body, field) => {
    const before = api.emu.snapshot();
    const res = await api.post(path, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_argument', message: expect.any(String), field });
    expect(res.body.message).not.toMatch(/not valid JSON/);
    expect(res.body.message).toContain(field);
    expect(api.emu.snapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('malformed JSON is still "not valid JSON", and a harmless "constructor" key is no reason to refuse', async () => {
    const bad = await api.post('/api/v1/users', '{"spec": {');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'invalid_argument',
      field: 'body',
      message: expect.stringMatching(/JSON/),
    });
    const ok = await api.post('/api/v1/users', { spec: { email: 'ctor@example.com' }, constructor: 'plain' });
    expect(ok.status).toBe(200);
  });
});

describe('an unsupported method on a known path', () => {
  test.each([
    ['PUT', '/api/v1/namespaces', 'GET, HEAD, POST'],
    ['PATCH', '/api/v1/namespaces/existing.a1b2c', 'DELETE, GET, HEAD'],
    ['GET', '/api/v1/namespaces/existing.a1b2c/update', 'POST'],
    ['POST', '/api/v1/regions', 'GET, HEAD'],
    ['DELETE', '/api/v1/async-operations/some-id?x=1', 'GET, HEAD'],
    ['OPTIONS', '/api/v1/api-keys', 'GET, HEAD, POST'],
    ['PUT', '/_emulator/faults', 'DELETE, GET, HEAD, POST'],
  ])('%s %s → 405 with Allow: %s', async (method, path, allow) => {
    const before = api.emu.snapshot();
    const res = await api.call(method, path, method === 'GET' ? undefined : {});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(res.body).toEqual({ code: expect.any(String), message: expect.stringContaining(method) });
    expect(api.emu.snapshot()).toEqual(before);
  });

  test('Allow lists exactly the methods the spec gives the path (plus HEAD for GET)', async () => {
    const byPath = new Map<string, Set<string>>();
    for (const r of specRoutes()) {
      const concrete = r.url.replace(/:\w+/g, 'some-id');
      const methods = byPath.get(concrete) ?? new Set<string>();
      methods.add(r.method);
      if (r.method === 'GET') methods.add('HEAD');
      byPath.set(concrete, methods);
    }
    for (const [path, methods] of byPath) {
      const res = await api.call('PUT', path, {});
      expect([path, res.status, res.headers.get('allow')]).toEqual([
        path,
        405,
        [...methods].sort().join(', '),
      ]);
    }
  });

  test('an unknown path is still 404, and a 405 needs the API key like everything else', async () => {
    const unknown = await api.call('PUT', '/api/v1/nothing-here', {});
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('allow')).toBeNull();
    expect(unknown.body).toEqual({ code: 'not_found', message: expect.any(String) });
    const anonymous = await api.call('PUT', '/api/v1/namespaces', {}, {});
    expect(anonymous.status).toBe(401);
  });

  test('the request log records a 405 with its status', async () => {
    api.emu.clearRequestLog();
    await api.call('PUT', '/api/v1/users', {});
    expect(api.emu.requestLog).toEqual([
      expect.objectContaining({ method: 'PUT', path: '/api/v1/users', status: 405 }),
    ]);
  });
});
