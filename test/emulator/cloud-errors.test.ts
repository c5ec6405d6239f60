// Errors on /cloud: google.rpc.Status bodies (decoded strictly in afterEach) with grpc-gateway's HTTP
// status for their code, the field in a google.rpc.BadRequest detail, and the version header.
import { OpsApiError } from '../../src/ops-api';
import {
  cloudNsSpec,
  READ_LAG_MS,
  startCloudEmulator,
  strictProblems,
  VERSION,
  type CloudApi,
  type Exchange,
} from './cloud-helpers';
import { API_KEY } from './helpers';

let api: CloudApi;
beforeEach(async () => {
  api = await startCloudEmulator({ asyncOperationDurationMs: 5_000 });
});
afterEach(async () => {
  expect(api.problems).toEqual([]);
  await api.close();
});

const violation = (field: string) => ({
  '@type': 'type.googleapis.com/google.rpc.BadRequest',
  fieldViolations: [{ field, description: expect.any(String) }],
});

function expectStatus(res: Exchange, status: number, code: number, field?: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { code, message: expect.any(String), details: field ? [violation(field)] : [] },
  });
}

async function activeNamespace(name: string): Promise<{ resourceVersion: string }> {
  await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec(name) });
  api.clock.advance(5_000 + READ_LAG_MS);
  return (await api.call('GET', `/cloud/namespaces/${name}.a1b2c`)).body.namespace;
}

describe('400 INVALID_ARGUMENT: the request is not the method’s request message', () => {
  test.each([
    ['an unknown field', { spec: cloudNsSpec('ns1', { colour: 'red' }) }, 'spec.colour'],
    ['an unknown top-level field', { spec: cloudNsSpec('ns1'), dryRun: true }, 'dryRun'],
    ['a wrong type', { spec: cloudNsSpec('ns1', { retentionDays: 'seven' }) }, 'spec.retentionDays'],
    [
      'a wrong nested type',
      { spec: cloudNsSpec('ns1', { replicas: [{ region: 7 }] }) },
      'spec.replicas[0].region',
    ],
    ['a malformed timestamp', null, 'spec.expiryTime'],
  ])('%s', async (_what, body, field) => {
    const request = body ?? {
      spec: { ownerId: 'x', ownerType: 'OWNER_TYPE_USER', displayName: 'd', expiryTime: 'tomorrow' },
    };
    const path = body ? '/cloud/namespaces' : '/cloud/api-keys';
    expectStatus(await api.call('POST', path, request), 400, 3, field);
    expect(api.emu.snapshot().namespaces).toEqual([]);
  });

  test('an enum name the proto lacks, in the body and in the query', async () => {
    const key = {
      spec: {
        ownerId: 'x',
        ownerType: 'OWNER_TYPE_ROBOT',
        displayName: 'd',
        expiryTime: '2026-02-01T00:00:00Z',
      },
    };
    expectStatus(await api.call('POST', '/cloud/api-keys', key), 400, 3, 'spec.ownerType');
    expectStatus(await api.call('GET', '/cloud/api-keys?ownerType=OWNER_TYPE_ROBOT'), 400, 3, 'ownerType');
    // A number in a JSON string is not an enum value; in the query string it is, as at the gateway.
    const quoted = { spec: { ...key.spec, ownerType: '1' } };
    expectStatus(await api.call('POST', '/cloud/api-keys', quoted), 400, 3, 'spec.ownerType');
    expect((await api.call('GET', '/cloud/api-keys?ownerType=1')).status).toBe(200);
  });

  test('unknown or repeated query parameters, a query on a body method, a body that is not an object', async () => {
    expectStatus(await api.call('GET', '/cloud/namespaces?colour=red'), 400, 3, 'colour');
    expectStatus(await api.call('GET', '/cloud/namespaces?pageSize=1&pageSize=2'), 400, 3, 'pageSize');
    expectStatus(await api.call('GET', '/cloud/namespaces?pageSize=1&page_size=2'), 400, 3, 'pageSize');
    expectStatus(await api.call('GET', '/cloud/namespaces?pageSize=lots'), 400, 3, 'pageSize');
    expectStatus(
      await api.call('POST', '/cloud/namespaces?asyncOperationId=x', { spec: cloudNsSpec('q1') }),
      400,
      3,
      'asyncOperationId',
    );
    expectStatus(await api.call('POST', '/cloud/namespaces', [1, 2]), 400, 3, 'body');
    expectStatus(await api.call('POST', '/cloud/namespaces', '{"spec": '), 400, 3, 'body');
    expect(api.emu.snapshot().namespaces).toEqual([]);
  });

  test('what the emulator cannot keep is refused, naming it, rather than dropped', async () => {
    const refused: Array<[string, unknown, string]> = [
      ['/cloud/namespaces', { spec: cloudNsSpec('n1'), tags: { team: 'a' } }, 'tags'],
      [
        '/cloud/namespaces',
        { spec: cloudNsSpec('n1', { lifecycle: { enableDeleteProtection: true } }) },
        'spec.lifecycle',
      ],
      [
        '/cloud/namespaces',
        { spec: cloudNsSpec('n1', { replicas: [{ region: 'aws-us-east-1' }, { region: 'aws-us-east-2' }] }) },
        'spec.replicas[1]',
      ],
      [
        '/cloud/namespaces',
        {
          spec: cloudNsSpec('n1', {
            codecServer: { endpoint: 'https://c', customErrorMessage: { default: { message: 'm' } } },
          }),
        },
        'spec.codecServer.customErrorMessage',
      ],
      ['/cloud/namespaces', { spec: cloudNsSpec('n1', { regions: ['aws-us-east-1'] }) }, 'spec.regions'],
      [
        '/cloud/namespaces',
        { spec: cloudNsSpec('n1', { highAvailability: { disableManagedFailover: true } }) },
        'spec.highAvailability',
      ],
      [
        '/cloud/namespaces',
        { spec: cloudNsSpec('n1', { searchAttributes: { Team: 'SEARCH_ATTRIBUTE_TYPE_KEYWORD' } }) },
        'spec.searchAttributes',
      ],
      [
        '/cloud/namespaces',
        { spec: cloudNsSpec('n1', { mtlsAuth: { acceptedClientCa: 'QUJD', enabled: false } }) },
        'spec.mtlsAuth',
      ],
      ['/cloud/service-accounts', { spec: { name: 'sa', description: 'ci' } }, 'spec.description'],
      [
        '/cloud/api-keys',
        {
          spec: {
            ownerId: 'o',
            ownerType: 'OWNER_TYPE_USER',
            displayName: 'd',
            expiryTime: '2026-02-01T00:00:00Z',
            disabled: true,
          },
        },
        'spec.disabled',
      ],
      [
        '/cloud/users',
        {
          spec: {
            email: 'a@example.com',
            access: { accountAccess: { role: 'ROLE_ADMIN', customRoles: ['r'] } },
          },
        },
        'spec.access.accountAccess.customRoles',
      ],
      [
        '/cloud/users',
        { spec: { email: 'a@example.com', access: { accountAccess: { role: 'ROLE_METRICS_READ' } } } },
        'spec.access.accountAccess.role',
      ],
      [
        '/cloud/users',
        { spec: { email: 'a@example.com', access: { accountAccess: { role: 'ROLE_FINANCE_ADMIN' } } } },
        'spec.access.accountAccess.role',
      ],
    ];
    for (const [path, body, field] of refused)
      expectStatus(await api.call('POST', path, body), 400, 3, field);
    // A default value is the same as an absent field in proto3: accepted.
    const ok = await api.call('POST', '/cloud/service-accounts', {
      spec: { name: 'sa', description: '', access: { accountAccess: { role: 'ROLE_READ' } } },
    });
    expect(ok.status).toBe(200);
    const snapshot = api.emu.snapshot();
    expect([snapshot.namespaces, snapshot.users, snapshot.serviceAccounts.length]).toEqual([[], [], 1]);
  });

  test('a business rule of the store, with the real API’s name of the field', async () => {
    const bad = await api.call('POST', '/cloud/namespaces', {
      spec: cloudNsSpec('n1', { replicas: [{ region: 'mars-1' }] }),
    });
    expectStatus(bad, 400, 3, 'spec.replicas[0].region');
    expect(bad.body.message).toBe("spec.replicas[0].region: unknown region 'mars-1' (see listRegions)");
    expectStatus(
      await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('Bad_Name') }),
      400,
      3,
      'spec.name',
    );
    expectStatus(await api.call('POST', '/cloud/namespaces', {}), 400, 3, 'spec');
    const user = { spec: { email: 'x'.repeat(250) + '@example.com' } };
    expectStatus(await api.call('POST', '/cloud/users', user), 400, 3, 'spec.email');
    // The client reads the field from the BadRequest detail.
    const err = await api.client
      .createNamespace({ spec: { name: 'n2', region: 'mars-1', retentionDays: 7 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsApiError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_argument', field: 'spec.replicas[0].region' });
  });
});

describe('the version header', () => {
  test('missing or malformed: 400 naming the header, and nothing happens', async () => {
    for (const version of [undefined, '', 'latest', '0.17.0', 'v0.17', 'v0.17.0-beta', 'v 0.17.0']) {
      const res = await api.call(
        'POST',
        '/cloud/namespaces',
        { spec: cloudNsSpec('v1') },
        { 'temporal-cloud-api-version': version },
      );
      expectStatus(res, 400, 3, 'temporal-cloud-api-version');
    }
    expect(api.emu.snapshot().namespaces).toEqual([]);
    // Every /cloud request needs it, unknown paths too; /api/v1 does not.
    expectStatus(
      await api.call('GET', '/cloud/nowhere', undefined, { 'temporal-cloud-api-version': undefined }),
      400,
      3,
      'temporal-cloud-api-version',
    );
    expect(
      (await fetch(`${api.emu.url}/api/v1/regions`, { headers: { authorization: `Bearer ${API_KEY}` } }))
        .status,
    ).toBe(200);
  });

  test('present and well-formed: accepted, and the request log records it with the operationId', async () => {
    api.emu.clearRequestLog();
    for (const version of ['v0.17.0', 'v0.19.1', 'v1.0.0']) {
      expect(
        (await api.call('GET', '/cloud/regions', undefined, { 'temporal-cloud-api-version': version }))
          .status,
      ).toBe(200);
    }
    await api.call('GET', '/cloud/regions', undefined, { 'temporal-cloud-api-version': 'latest' });
    await api.client.listNamespaces();
    expect(api.emu.requestLog.map((e) => [e.operationId, e.dialect, e.apiVersion, e.status])).toEqual([
      ['listRegions', 'cloud', 'v0.17.0', 200],
      ['listRegions', 'cloud', 'v0.19.1', 200],
      ['listRegions', 'cloud', 'v1.0.0', 200],
      ['listRegions', 'cloud', 'latest', 400],
      ['listNamespaces', 'cloud', VERSION, 200],
    ]);
  });
});

test('401 UNAUTHENTICATED comes first, before the version header', async () => {
  expectStatus(await api.call('GET', '/cloud/regions', undefined, { authorization: undefined }), 401, 16);
  expectStatus(
    await api.call('GET', '/cloud/regions', undefined, {
      authorization: 'Bearer nope',
      'temporal-cloud-api-version': undefined,
    }),
    401,
    16,
  );
  expect(JSON.stringify(api.exchanges)).not.toContain(API_KEY);
});

test('404 NOT_FOUND for an unknown resource and an unknown path; 405 with Allow for a wrong method', async () => {
  expectStatus(await api.call('GET', '/cloud/namespaces/nope.a1b2c'), 404, 5);
  expectStatus(await api.call('GET', '/cloud/users/nope'), 404, 5);
  expectStatus(await api.call('GET', '/cloud/operations/nope'), 404, 5);
  expectStatus(await api.call('DELETE', '/cloud/api-keys/nope'), 404, 5);
  expectStatus(await api.call('GET', '/cloud/nothing-here'), 404, 5);
  expectStatus(await api.call('GET', '/cloud'), 404, 5);
  const wrong = await api.call('PUT', '/cloud/namespaces', { spec: cloudNsSpec('x') });
  expectStatus(wrong, 405, 12);
  expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST');
  const patch = await api.call('PATCH', '/cloud/users/u1', {});
  expect([patch.status, patch.headers.get('allow')]).toEqual([405, 'DELETE, GET, HEAD, POST']);
});

test('409 ALREADY_EXISTS for a taken name, with the field', async () => {
  await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('dup') });
  expectStatus(
    await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('dup') }),
    409,
    6,
    'spec.name',
  );
  const err = await api.client
    .createNamespace({ spec: { name: 'dup', region: 'aws-us-east-1', retentionDays: 7 } })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 409, code: 'already_exists', field: 'spec.name' });
});

test('409 ABORTED for a stale resourceVersion, on updates and deletes; nothing changes', async () => {
  const ns = await activeNamespace('ver');
  const unversioned = { spec: cloudNsSpec('ver', { retentionDays: 9 }) };
  expectStatus(await api.call('POST', '/cloud/namespaces/ver.a1b2c', unversioned), 400, 3, 'resourceVersion');
  const update = { spec: cloudNsSpec('ver', { retentionDays: 9 }), resourceVersion: 'stale' };
  expectStatus(await api.call('POST', '/cloud/namespaces/ver.a1b2c', update), 409, 10, 'resourceVersion');
  expectStatus(
    await api.call('DELETE', '/cloud/namespaces/ver.a1b2c?resourceVersion=stale'),
    409,
    10,
    'resourceVersion',
  );
  const now = (await api.call('GET', '/cloud/namespaces/ver.a1b2c')).body.namespace;
  expect([now.resourceVersion, now.state, now.spec.retentionDays]).toEqual([
    ns.resourceVersion,
    'RESOURCE_STATE_ACTIVE',
    7,
  ]);
  const err = await api.client
    .deleteNamespace('ver.a1b2c', { resourceVersion: 'stale' })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 409, code: 'resource_version_mismatch', field: 'resourceVersion' });
  // The current version works.
  expect(
    (await api.call('DELETE', `/cloud/namespaces/ver.a1b2c?resource_version=${ns.resourceVersion}`)).status,
  ).toBe(200);
});

test('400 FAILED_PRECONDITION (not 409) for a resource busy with another operation', async () => {
  await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('busy') });
  const rv = (await api.call('GET', '/cloud/namespaces/busy.a1b2c')).body.namespace.resourceVersion;
  const update = { spec: cloudNsSpec('busy', { retentionDays: 9 }), resourceVersion: rv };
  expectStatus(await api.call('POST', '/cloud/namespaces/busy.a1b2c', update), 400, 9);
  const err = await api.client.deleteNamespace('busy.a1b2c').catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 400, code: 'failed_precondition', retryable: false });
});

test('429 RESOURCE_EXHAUSTED with Retry-After and RetryInfo, from the rate limiter and from a fault', async () => {
  api.emu.configure({ rateLimit: { requestsPerSecond: 1, burst: 1 } });
  expect((await api.call('GET', '/cloud/regions')).status).toBe(200);
  const limited = await api.call('GET', '/cloud/regions');
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toBe('1');
  expect(limited.body).toEqual({
    code: 8,
    message: 'rate limit exceeded',
    details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }],
  });
  api.emu.configure({ rateLimit: null });

  api.emu.faults.add({ kind: 'rate-limit', operationId: 'listUsers', retryAfterSeconds: 7, count: 1 });
  const fault = await api.call('GET', '/cloud/users');
  expect([fault.status, fault.headers.get('retry-after'), fault.body.code]).toEqual([429, '7', 8]);
  api.emu.faults.add({ kind: 'rate-limit', operationId: 'listUsers', retryAfterSeconds: 3, count: 1 });
  const err = await api.client.listUsers().catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryable: true, retryAfterMs: 3_000 });
});

test('500 INTERNAL and 503 UNAVAILABLE faults, as Status; nothing is created', async () => {
  api.emu.faults.add({ kind: 'error', operationId: 'createNamespace', status: 500, count: 1 });
  api.emu.faults.add({ kind: 'error', operationId: 'createNamespace', status: 503, count: 1 });
  expectStatus(await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('f1') }), 500, 13);
  expectStatus(await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('f1') }), 503, 14);
  expect(api.emu.snapshot().namespaces).toEqual([]);
  api.emu.faults.add({ kind: 'error', operationId: 'getUser', status: 503, count: 1 });
  const err = await api.client.getUser('u1').catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 503, code: 'unavailable', retryable: true });
});

test('Fastify’s own refusals (size, content type) answer as Status with their status', async () => {
  const big = { spec: cloudNsSpec('big', { name: 'x'.repeat(1_100_000) }) };
  expectStatus(await api.call('POST', '/cloud/namespaces', big), 413, 3, 'body');
  const xml = await api.call('POST', '/cloud/namespaces', '<spec/>', { 'content-type': 'application/xml' });
  expectStatus(xml, 415, 3, 'body');
  const text = await api.call('POST', '/cloud/namespaces', 'spec=x', { 'content-type': 'text/plain' });
  expectStatus(text, 400, 3, 'body');
});

test('the strict check itself fails on bodies the real API would not send', () => {
  const base = { method: 'GET', path: '/cloud/x', requestBody: undefined, headers: new Headers() };
  expect(
    strictProblems({
      ...base,
      operationId: 'getNamespace',
      status: 200,
      body: { namespace: { state: 'active' } },
    }),
  ).toHaveLength(1);
  expect(
    strictProblems({
      ...base,
      operationId: 'listServiceAccounts',
      status: 200,
      body: { serviceAccounts: [] },
    }),
  ).toHaveLength(1);
  expect(
    strictProblems({
      ...base,
      operationId: undefined,
      status: 404,
      body: { code: 'not_found', message: 'x' },
    }),
  ).not.toEqual([]);
  expect(
    strictProblems({ ...base, operationId: undefined, status: 409, body: { code: 9, message: 'x' } }),
  ).toEqual(['GET /cloud/x 409: code 9 is HTTP 400, not 409']);
});
