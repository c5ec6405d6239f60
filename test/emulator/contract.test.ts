// The given spec plus openapi/spec-silences.yml must be the emulator's whole contract: every status an
// operation can answer is declared for that operation (and nothing it cannot answer), every body matches
// the declared schema, and the documented limits are the ones the rules enforce.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { DEFAULT_PAGE_LIMITS } from '../../src/emulator/pagination';
import {
  BASE64,
  EMAIL,
  EMAIL_MAX_LENGTH,
  EXPIRY_MAX_YEARS,
  NAMESPACE_NAME,
  RETENTION_DAYS,
} from '../../src/emulator/rules';
import { loadSpecs, resolveSchema, specRoutes, type OperationRoute } from '../../src/emulator/spec-loader';
import type { OperationId } from '../../src/ops-api/types';
import { API_KEY, T0, inDays, nsSpec, startTestEmulator, type Reply, type TestApi } from './helpers';

type Json = Record<string, unknown>;
const docs = loadSpecs();
const routes = specRoutes();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const verbOf = (route: OperationRoute) => route.method.toLowerCase();

/** An operation object of one document, `$ref`s resolved; undefined when the document lacks it. */
function operationIn(doc: Json, route: OperationRoute): Json | undefined {
  const item = (doc.paths as Json)[route.specPath];
  return isObject(item) ? (resolveSchema(doc, item[verbOf(route)]) as Json | undefined) : undefined;
}

interface Declared {
  validate: ValidateFunction[];
  headers: string[];
  descriptions: string[];
}

/** Every response status declared for the route by either document, with its body schemas and headers. */
function declaredResponses(route: OperationRoute): Map<number, Declared> {
  const out = new Map<number, Declared>();
  for (const doc of [docs.api, docs.silences]) {
    const responses = operationIn(doc, route)?.responses;
    for (const [status, response] of Object.entries(isObject(responses) ? responses : {})) {
      const entry = out.get(Number(status)) ?? { validate: [], headers: [], descriptions: [] };
      const r = response as Json;
      entry.descriptions.push(String(r.description ?? ''));
      const schema = ((r.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
      if (isObject(schema)) entry.validate.push(ajv.compile(schema));
      entry.headers.push(...Object.keys(isObject(r.headers) ? r.headers : {}));
      out.set(Number(status), entry);
    }
  }
  return out;
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestEmulator({ asyncOperationDurationMs: 60_000 });
});
afterAll(() => api.close());

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

async function seedOne() {
  const ns = unique('ns');
  const s = await api.emu.seed({
    namespaces: [{ name: ns, region: 'aws-us-east-1', retentionDays: 7 }],
    users: [{ email: `${unique('u')}@example.com` }],
    serviceAccounts: [{ name: unique('sa') }],
  });
  const saId = s.serviceAccountIds[0]!;
  const keys = await api.emu.seed({
    apiKeys: [{ displayName: 'k', ownerId: saId, ownerType: 'service-account', expiryTime: inDays(T0, 30) }],
  });
  const nsId = s.namespaceIds[0]!;
  const resourceVersion = (await api.get(`/api/v1/namespaces/${nsId}`)).body.resourceVersion as string;
  return { nsId, resourceVersion, userId: s.userIds[0]!, saId, keyId: keys.apiKeys[0]!.keyId };
}

interface Req {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
}

const apiKeyBody = (ownerId: string) => ({
  spec: { displayName: 'k', ownerId, ownerType: 'service-account', expiryTime: inDays(T0, 30) },
});

/** A request each operation accepts (200), on fresh resources so that a mutation can go through. */
const VALID: Record<OperationId, () => Promise<Req>> = {
  listNamespaces: async () => ({}),
  createNamespace: async () => ({ body: nsSpec(unique('created')) }),
  getNamespace: async () => ({ params: { namespace: (await seedOne()).nsId } }),
  deleteNamespace: async () => ({ params: { namespace: (await seedOne()).nsId } }),
  updateNamespace: async () => {
    const { nsId, resourceVersion } = await seedOne();
    return { params: { namespace: nsId }, body: { resourceVersion, spec: { retentionDays: 9 } } };
  },
  listUsers: async () => ({}),
  createUser: async () => ({ body: { spec: { email: `${unique('new')}@example.com` } } }),
  getUser: async () => ({ params: { userId: (await seedOne()).userId } }),
  deleteUser: async () => ({ params: { userId: (await seedOne()).userId } }),
  listServiceAccounts: async () => ({}),
  createServiceAccount: async () => ({ body: { spec: { name: unique('new-sa') } } }),
  getServiceAccount: async () => ({ params: { serviceAccountId: (await seedOne()).saId } }),
  deleteServiceAccount: async () => ({ params: { serviceAccountId: (await seedOne()).saId } }),
  listApiKeys: async () => ({ query: 'ownerType=service-account' }),
  createApiKey: async () => ({ body: apiKeyBody((await seedOne()).saId) }),
  getApiKey: async () => ({ params: { keyId: (await seedOne()).keyId } }),
  deleteApiKey: async () => ({ params: { keyId: (await seedOne()).keyId } }),
  listRegions: async () => ({}),
  getAsyncOperation: async () => {
    const created = await api.post('/api/v1/users', { spec: { email: `${unique('op')}@example.com` } });
    return { params: { asyncOperationId: created.body.asyncOperationId } };
  },
};

const post = async (path: string, body: unknown) => (await api.post(path, body)).body;

/** Requests only some operations can get wrong: business rules, conflicts, transitional states. */
const SPECIFIC: Partial<Record<OperationId, Array<() => Promise<Req>>>> = {
  createNamespace: [
    async () => ({ body: nsSpec(unique('bad'), { retentionDays: RETENTION_DAYS.max + 1 }) }),
    async () => ({ body: nsSpec((await seedOne()).nsId.split('.')[0]!) }),
  ],
  updateNamespace: [
    async () => ({
      params: { namespace: (await seedOne()).nsId },
      body: { resourceVersion: 'stale', spec: { retentionDays: 8 } },
    }),
    async () => {
      const { namespace } = await post('/api/v1/namespaces', nsSpec(unique('busy')));
      return { params: { namespace }, body: { resourceVersion: 'x', spec: {} } };
    },
  ],
  deleteNamespace: [
    async () => ({
      params: { namespace: (await post('/api/v1/namespaces', nsSpec(unique('busy')))).namespace },
    }),
  ],
  createUser: [
    async () => ({ body: { spec: { email: 'not-an-email' } } }),
    async () => {
      const email = `${unique('dup')}@example.com`;
      await api.emu.seed({ users: [{ email }] });
      return { body: { spec: { email: email.toUpperCase() } } };
    },
  ],
  deleteUser: [
    async () => ({
      params: {
        userId: (await post('/api/v1/users', { spec: { email: `${unique('p')}@example.com` } })).userId,
      },
    }),
  ],
  createServiceAccount: [
    async () => ({ body: { spec: { name: '' } } }),
    async () => {
      const name = unique('dup-sa');
      await api.emu.seed({ serviceAccounts: [{ name }] });
      return { body: { spec: { name } } };
    },
  ],
  deleteServiceAccount: [
    async () => ({
      params: {
        serviceAccountId: (await post('/api/v1/service-accounts', { spec: { name: unique('a') } }))
          .serviceAccountId,
      },
    }),
  ],
  createApiKey: [async () => ({ body: apiKeyBody('nobody') })],
  deleteApiKey: [
    async () => ({
      params: { keyId: (await post('/api/v1/api-keys', apiKeyBody((await seedOne()).saId))).keyId },
    }),
  ],
};

const AUTH = { authorization: `Bearer ${API_KEY}` };
const pathOf = (route: OperationRoute, req: Req) =>
  route.url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(req.params?.[name] ?? '')) +
  (req.query ? `?${req.query}` : '');

/** Sends a request in every way that can go wrong at the HTTP level, then the operation's own mistakes. */
async function probe(route: OperationRoute): Promise<Reply[]> {
  const replies: Reply[] = [];
  const send = async (req: Req, extra: { raw?: string; headers?: Record<string, string> } = {}) => {
    const body = extra.raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
    replies.push(await api.call(route.method, pathOf(route, req), body, extra.headers ?? AUTH));
  };
  const valid = () => VALID[route.operationId]();

  await send(await valid());
  await send(await valid(), { headers: {} });
  for (const fault of [
    { kind: 'rate-limit', retryAfterSeconds: 3 },
    { kind: 'error', status: 500 },
    { kind: 'error', status: 503 },
  ] as const) {
    const req = await valid();
    api.emu.faults.add({ ...fault, operationId: route.operationId, count: 1 });
    await send(req);
  }
  if (route.method !== 'GET') {
    await send(await valid(), { raw: '{"spec": {' });
    await send(await valid(), { raw: '{"__proto__": {}}' });
    await send(await valid(), { raw: '<spec/>', headers: { ...AUTH, 'content-type': 'application/xml' } });
    await send(await valid(), { raw: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) });
  }
  if (route.schema.params) {
    const req = await valid();
    const params = Object.fromEntries(Object.keys(req.params ?? {}).map((k) => [k, 'no-such-id']));
    await send({ ...req, params });
  }
  if (route.schema.querystring) await send({ ...(await valid()), query: 'pageSize=-1' });
  for (const specific of SPECIFIC[route.operationId] ?? []) await send(await specific());
  return replies;
}

describe.each(routes.map((r) => [r.operationId, r] as const))('%s', (_id, route) => {
  test('answers exactly the statuses the documents declare, each with its declared body, code and headers', async () => {
    const declared = declaredResponses(route);
    const replies = await probe(route);
    const byNumber = (a: number, b: number) => a - b;
    const observed = [...new Set(replies.map((r) => r.status))].sort(byNumber);
    expect(observed).toEqual([...declared.keys()].sort(byNumber));
    for (const reply of replies) {
      const { validate, headers, descriptions } = declared.get(reply.status)!;
      // An error status's description names the codes it stands for.
      if (reply.status >= 400) {
        expect([reply.status, descriptions.join(' ')]).toEqual([
          reply.status,
          expect.stringContaining(reply.body.code),
        ]);
      }
      for (const v of validate) {
        expect({ status: reply.status, body: reply.body, valid: v(reply.body), errors: v.errors }).toEqual({
          status: reply.status,
          body: reply.body,
          valid: true,
          errors: null,
        });
      }
      for (const header of headers)
        expect([reply.status, reply.headers.has(header)]).toEqual([reply.status, true]);
    }
  });
});

// ------------------------------------------------------------------------------------------ limits

/** Every schema the silences give a property or parameter of that name, in any operation. */
function rulesFor(name: string): Json[] {
  const found: Json[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    if (isObject(node.properties) && isObject(node.properties[name])) found.push(node.properties[name]);
    if (node.in !== undefined && node.name === name && isObject(node.schema)) found.push(node.schema);
    Object.values(node).forEach(walk);
  };
  walk(resolveSchema(docs.silences, docs.silences.paths));
  return found;
}
const only = <T>(values: T[]): T => {
  expect(new Set(values.map((v) => JSON.stringify(v))).size).toBe(1);
  return values[0]!;
};

test('the documented limits are the rules’ constants', () => {
  const name = only(rulesFor('name').filter((s) => s.pattern !== undefined));
  expect(name.pattern).toBe(NAMESPACE_NAME.source);
  // minLength/maxLength restate the pattern's lengths for tools that do not read patterns.
  const [min, max] = [name.minLength as number, name.maxLength as number];
  expect([min - 1, min, max, max + 1].map((n) => NAMESPACE_NAME.test('a'.repeat(n)))).toEqual([
    false,
    true,
    true,
    false,
  ]);

  const retention = rulesFor('retentionDays').filter((s) => s.minimum !== undefined);
  expect(retention).toHaveLength(2); // createNamespace and updateNamespace
  expect(only(retention)).toMatchObject({ minimum: RETENTION_DAYS.min, maximum: RETENTION_DAYS.max });

  expect(only(rulesFor('email'))).toMatchObject({ pattern: EMAIL.source, maxLength: EMAIL_MAX_LENGTH });
  expect(only(rulesFor('acceptedClientCa').filter((s) => s.pattern))).toMatchObject({
    pattern: BASE64.source,
  });
  expect(only(rulesFor('expiryTime')).description).toContain(`at most ${EXPIRY_MAX_YEARS} years`);

  const pageSize = rulesFor('pageSize');
  expect(pageSize).toHaveLength(4);
  expect(only(pageSize)).toMatchObject({ minimum: 0, default: DEFAULT_PAGE_LIMITS.defaultPageSize });
  const pageSizeParam = ((docs.silences.paths as Json)['/api/v1/users'] as Json).get as Json;
  expect(JSON.stringify(pageSizeParam.parameters)).toContain(
    `0: ${DEFAULT_PAGE_LIMITS.defaultPageSize}. Larger than ${DEFAULT_PAGE_LIMITS.maxPageSize}: clamped to ${DEFAULT_PAGE_LIMITS.maxPageSize}`,
  );
});

describe('the emulator accepts each documented limit and refuses one step beyond it', () => {
  const limits = (prop: string) =>
    only(rulesFor(prop).filter((s) => s.minLength !== undefined || s.minimum !== undefined));

  async function expectRefused(path: string, body: unknown, field: string) {
    const res = await api.post(path, body);
    expect([res.status, res.body.field]).toEqual([400, field]);
  }
  async function expectAccepted(path: string, body: unknown) {
    const res = await api.post(path, body);
    expect([res.status, res.body]).toEqual([200, expect.anything()]);
  }

  test('namespace name length and retentionDays, on create and update', async () => {
    const n = only(rulesFor('name').filter((s) => s.pattern !== undefined));
    const [min, max] = [n.minLength as number, n.maxLength as number];
    await expectAccepted('/api/v1/namespaces', nsSpec('b'.repeat(min)));
    await expectAccepted('/api/v1/namespaces', nsSpec('c'.repeat(max)));
    await expectRefused('/api/v1/namespaces', nsSpec('d'.repeat(min - 1)), 'spec.name');
    await expectRefused('/api/v1/namespaces', nsSpec('e'.repeat(max + 1)), 'spec.name');

    const r = limits('retentionDays');
    const [lo, hi] = [r.minimum as number, r.maximum as number];
    await expectAccepted('/api/v1/namespaces', nsSpec(unique('lo'), { retentionDays: lo }));
    await expectAccepted('/api/v1/namespaces', nsSpec(unique('hi'), { retentionDays: hi }));
    await expectRefused(
      '/api/v1/namespaces',
      nsSpec(unique('x'), { retentionDays: lo - 1 }),
      'spec.retentionDays',
    );
    await expectRefused(
      '/api/v1/namespaces',
      nsSpec(unique('x'), { retentionDays: hi + 1 }),
      'spec.retentionDays',
    );
    for (const [days, ok] of [
      [lo - 1, false],
      [hi + 1, false],
      [hi, true],
    ] as const) {
      const { nsId, resourceVersion } = await seedOne();
      const update = { resourceVersion, spec: { retentionDays: days } };
      if (ok) await expectAccepted(`/api/v1/namespaces/${nsId}/update`, update);
      else await expectRefused(`/api/v1/namespaces/${nsId}/update`, update, 'spec.retentionDays');
    }
  });

  test('codec server endpoint is https, on create and update', async () => {
    const codec = (endpoint: string) => ({ codecServer: { endpoint } });
    await expectAccepted('/api/v1/namespaces', nsSpec(unique('codec'), codec('https://codec.example.com')));
    await expectRefused(
      '/api/v1/namespaces',
      nsSpec(unique('codec'), codec('http://codec.example.com')),
      'spec.codecServer.endpoint',
    );
    const { nsId, resourceVersion } = await seedOne();
    await expectRefused(
      `/api/v1/namespaces/${nsId}/update`,
      { resourceVersion, spec: codec('http://codec.example.com') },
      'spec.codecServer.endpoint',
    );
  });

  test('email length', async () => {
    const max = only(rulesFor('email')).maxLength as number;
    const email = (length: number) => `${'a'.repeat(length - '@example.com'.length)}@example.com`;
    await expectAccepted('/api/v1/users', { spec: { email: email(max) } });
    await expectRefused('/api/v1/users', { spec: { email: email(max + 1) } }, 'spec.email');
  });

  test('service account name and API key displayName lengths', async () => {
    const sa = only(rulesFor('name').filter((s) => s.pattern === undefined && s.maxLength !== undefined));
    await expectAccepted('/api/v1/service-accounts', { spec: { name: 's'.repeat(sa.maxLength as number) } });
    await expectAccepted('/api/v1/service-accounts', { spec: { name: 't'.repeat(sa.minLength as number) } });
    await expectRefused(
      '/api/v1/service-accounts',
      { spec: { name: 'u'.repeat((sa.maxLength as number) + 1) } },
      'spec.name',
    );
    await expectRefused(
      '/api/v1/service-accounts',
      { spec: { name: 'v'.repeat((sa.minLength as number) - 1) } },
      'spec.name',
    );

    const d = limits('displayName');
    const { saId } = await seedOne();
    const key = (displayName: string) => ({ spec: { ...apiKeyBody(saId).spec, displayName } });
    await expectAccepted('/api/v1/api-keys', key('k'.repeat(d.maxLength as number)));
    await expectAccepted('/api/v1/api-keys', key('k'.repeat(d.minLength as number)));
    await expectRefused('/api/v1/api-keys', key('k'.repeat((d.maxLength as number) + 1)), 'spec.displayName');
    await expectRefused('/api/v1/api-keys', key('k'.repeat((d.minLength as number) - 1)), 'spec.displayName');
  });

  test(`API key expiry: in the future, at most ${EXPIRY_MAX_YEARS} years ahead`, async () => {
    const now = T0; // this file never moves the manual clock
    const limit = new Date(now);
    limit.setUTCFullYear(limit.getUTCFullYear() + EXPIRY_MAX_YEARS);
    const { saId } = await seedOne();
    const key = (expiryTime: string) => ({ spec: { ...apiKeyBody(saId).spec, expiryTime } });
    await expectAccepted('/api/v1/api-keys', key(limit.toISOString()));
    await expectRefused(
      '/api/v1/api-keys',
      key(new Date(limit.getTime() + 1000).toISOString()),
      'spec.expiryTime',
    );
    await expectRefused('/api/v1/api-keys', key(new Date(now).toISOString()), 'spec.expiryTime');
  });

  test('body size: 1 MiB is read, one byte more is 413', async () => {
    expect(JSON.stringify(docs.silences.paths)).toContain('larger than 1 MiB');
    const body = (size: number) => {
      const head = JSON.stringify({ spec: { email: `${unique('big')}@example.com` }, pad: '' });
      return head.replace('"pad":""', `"pad":"${'x'.repeat(size - head.length)}"`);
    };
    const atLimit = await api.call('POST', '/api/v1/users', body(1024 * 1024));
    expect(atLimit.status).toBe(200);
    const beyond = await api.call('POST', '/api/v1/users', body(1024 * 1024 + 1));
    expect([beyond.status, beyond.body.field]).toEqual([413, 'body']);
  });

  test('page size: absent or 0 is the documented default, larger is clamped to the documented maximum', async () => {
    const { defaultPageSize, maxPageSize } = DEFAULT_PAGE_LIMITS;
    const emu = await startTestEmulator();
    try {
      await emu.emu.seed({
        serviceAccounts: Array.from({ length: maxPageSize + 1 }, (_, i) => ({ name: `page-${i}` })),
      });
      const size = async (query: string) =>
        (await emu.get(`/api/v1/service-accounts${query}`)).body.serviceAccounts.length;
      expect(await size('')).toBe(defaultPageSize);
      expect(await size('?pageSize=0')).toBe(defaultPageSize);
      expect(await size(`?pageSize=${maxPageSize + 1}`)).toBe(maxPageSize);
      expect((await emu.get('/api/v1/service-accounts?pageSize=-1')).status).toBe(400);
    } finally {
      await emu.close();
    }
  });
});
