import { Writable } from 'node:stream';
import pino from 'pino';
import { startEmulator, type EmulatorState } from '../../src/emulator';
import {
  API_KEY,
  T0,
  httpClient,
  inDays,
  nsSpec,
  seedExisting,
  startTestEmulator,
  type TestApi,
} from './helpers';

let api: TestApi;
let nsId: string;
let userId: string;
let saId: string;
let resourceVersion: string;

beforeAll(async () => {
  api = await startTestEmulator();
  ({ nsId, userId, saId } = await seedExisting(api.emu, 'taken@example.com', 'taken-sa'));
  resourceVersion = (await api.get(`/api/v1/namespaces/${nsId}`)).body.resourceVersion;
});
afterAll(() => api.close());

const key = (spec: Record<string, unknown>) => ({
  spec: {
    displayName: 'k',
    ownerId: saId,
    ownerType: 'service-account',
    expiryTime: inDays(T0, 30),
    ...spec,
  },
});

type Case = [string, string, string, () => unknown, string];
// [description, method, path, body, expected field]
const cases: Case[] = [
  ['namespace name too short', 'POST', '/api/v1/namespaces', () => nsSpec('a'), 'spec.name'],
  ['namespace name too long', 'POST', '/api/v1/namespaces', () => nsSpec('a'.repeat(40)), 'spec.name'],
  ['namespace name uppercase', 'POST', '/api/v1/namespaces', () => nsSpec('Payments'), 'spec.name'],
  ['namespace name starts with a digit', 'POST', '/api/v1/namespaces', () => nsSpec('1abc'), 'spec.name'],
  ['namespace name ends with a hyphen', 'POST', '/api/v1/namespaces', () => nsSpec('abc-'), 'spec.name'],
  ['namespace name with underscore', 'POST', '/api/v1/namespaces', () => nsSpec('a_b'), 'spec.name'],
  ['namespace name not a string', 'POST', '/api/v1/namespaces', () => nsSpec('x', { name: 42 }), 'spec.name'],
  [
    'unknown region',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { region: 'aws-mars-1' }),
    'spec.region',
  ],
  [
    'retention 0',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { retentionDays: 0 }),
    'spec.retentionDays',
  ],
  [
    'retention 91',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { retentionDays: 91 }),
    'spec.retentionDays',
  ],
  [
    'retention fractional',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { retentionDays: 7.5 }),
    'spec.retentionDays',
  ],
  [
    'retention as string',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { retentionDays: '7' }),
    'spec.retentionDays',
  ],
  [
    'missing region',
    'POST',
    '/api/v1/namespaces',
    () => ({ spec: { name: 'abc', retentionDays: 7 } }),
    'spec.region',
  ],
  ['missing spec', 'POST', '/api/v1/namespaces', () => ({}), 'spec'],
  [
    'codec server not https',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { codecServer: { endpoint: 'http://codec.example.com' } }),
    'spec.codecServer.endpoint',
  ],
  [
    'codec server unknown field',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { codecServer: { endpoint: 'https://c.example.com', colour: 'red' } }),
    'spec.codecServer.colour',
  ],
  [
    'mtls without CA',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { mtlsAuth: { certificateFilters: [] } }),
    'spec.mtlsAuth.acceptedClientCa',
  ],
  [
    'mtls CA not base64',
    'POST',
    '/api/v1/namespaces',
    () => nsSpec('abc', { mtlsAuth: { acceptedClientCa: '-----BEGIN CERT-----!' } }),
    'spec.mtlsAuth.acceptedClientCa',
  ],
  ['invalid email', 'POST', '/api/v1/users', () => ({ spec: { email: 'not-an-email' } }), 'spec.email'],
  ['missing email', 'POST', '/api/v1/users', () => ({ spec: {} }), 'spec.email'],
  [
    'unknown account role',
    'POST',
    '/api/v1/users',
    () => ({ spec: { email: 'ok@example.com', access: { accountAccess: { role: 'god' } } } }),
    'spec.access.accountAccess.role',
  ],
  [
    'access to an unknown namespace',
    'POST',
    '/api/v1/users',
    () => ({
      spec: {
        email: 'ok@example.com',
        access: { namespaceAccesses: { 'ghost.a1b2c': { permission: 'read' } } },
      },
    }),
    'spec.access.namespaceAccesses',
  ],
  [
    'unknown namespace permission',
    'POST',
    '/api/v1/service-accounts',
    () => ({ spec: { name: 'sa', access: { namespaceAccesses: { [nsId]: { permission: 'root' } } } } }),
    'spec.access.namespaceAccesses.existing.a1b2c.permission',
  ],
  [
    'service account name empty',
    'POST',
    '/api/v1/service-accounts',
    () => ({ spec: { name: '' } }),
    'spec.name',
  ],
  [
    'service account name 65 chars',
    'POST',
    '/api/v1/service-accounts',
    () => ({ spec: { name: 'x'.repeat(65) } }),
    'spec.name',
  ],
  [
    'api key displayName empty',
    'POST',
    '/api/v1/api-keys',
    () => key({ displayName: '' }),
    'spec.displayName',
  ],
  [
    'api key displayName 129',
    'POST',
    '/api/v1/api-keys',
    () => key({ displayName: 'd'.repeat(129) }),
    'spec.displayName',
  ],
  [
    'api key ownerType unknown',
    'POST',
    '/api/v1/api-keys',
    () => key({ ownerType: 'robot' }),
    'spec.ownerType',
  ],
  ['api key owner unknown', 'POST', '/api/v1/api-keys', () => key({ ownerId: 'nobody' }), 'spec.ownerId'],
  [
    'api key owner of the other type',
    'POST',
    '/api/v1/api-keys',
    () => key({ ownerId: userId }),
    'spec.ownerId',
  ],
  [
    'api key expiry in the past',
    'POST',
    '/api/v1/api-keys',
    () => key({ expiryTime: inDays(T0, -1) }),
    'spec.expiryTime',
  ],
  [
    'api key expiry beyond 2 years',
    'POST',
    '/api/v1/api-keys',
    () => key({ expiryTime: inDays(T0, 2 * 365 + 5) }),
    'spec.expiryTime',
  ],
  [
    'api key expiry not a date-time',
    'POST',
    '/api/v1/api-keys',
    () => key({ expiryTime: 'tomorrow' }),
    'spec.expiryTime',
  ],
  ['api key missing owner', 'POST', '/api/v1/api-keys', () => key({ ownerId: undefined }), 'spec.ownerId'],
  [
    'update retention out of range',
    'POST',
    '/api/v1/namespaces/existing.a1b2c/update',
    () => ({ resourceVersion, spec: { retentionDays: 0 } }),
    'spec.retentionDays',
  ],
  [
    'update renames',
    'POST',
    '/api/v1/namespaces/existing.a1b2c/update',
    () => ({ resourceVersion, spec: { name: 'renamed' } }),
    'spec.name',
  ],
  [
    'update moves region',
    'POST',
    '/api/v1/namespaces/existing.a1b2c/update',
    () => ({ resourceVersion, spec: { region: 'aws-eu-west-1' } }),
    'spec.region',
  ],
  [
    'update without resourceVersion',
    'POST',
    '/api/v1/namespaces/existing.a1b2c/update',
    () => ({ spec: { retentionDays: 5 } }),
    'resourceVersion',
  ],
  ['negative pageSize', 'GET', '/api/v1/namespaces?pageSize=-1', () => undefined, 'pageSize'],
  ['non-numeric pageSize', 'GET', '/api/v1/users?pageSize=ten', () => undefined, 'pageSize'],
  ['garbage pageToken', 'GET', '/api/v1/service-accounts?pageToken=%%%garbage', () => undefined, 'pageToken'],
  [
    'base64 but not ours pageToken',
    'GET',
    '/api/v1/api-keys?pageToken=eyJmb28iOjF9',
    () => undefined,
    'pageToken',
  ],
  ['unknown ownerType filter', 'GET', '/api/v1/api-keys?ownerType=robot', () => undefined, 'ownerType'],
  ['malformed JSON body', 'POST', '/api/v1/users', () => '{"spec": {', 'body'],
];

test.each(cases)(
  '%s → 400 invalid_argument naming the field, state untouched',
  async (_d, method, path, body, field) => {
    const before: EmulatorState = api.emu.snapshot();
    const res = await api.call(method, path, body());
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_argument', message: expect.any(String), field });
    expect(api.emu.snapshot()).toEqual(before);
  },
);

test('boundary values are accepted: 2- and 39-character names, retention 1 and 90, expiry 2 years ahead', async () => {
  expect((await api.post('/api/v1/namespaces', nsSpec('ab', { retentionDays: 1 }))).status).toBe(200);
  expect(
    (await api.post('/api/v1/namespaces', nsSpec(`a${'-b'.repeat(19)}`, { retentionDays: 90 }))).status,
  ).toBe(200);
  const twoYears = new Date(T0);
  twoYears.setUTCFullYear(2028);
  expect((await api.post('/api/v1/api-keys', key({ expiryTime: twoYears.toISOString() }))).status).toBe(200);
  expect((await api.post('/api/v1/service-accounts', { spec: { name: 'x'.repeat(64) } })).status).toBe(200);
});

test('pageToken from another list is rejected', async () => {
  await api.emu.seed({ users: [{ email: 'p1@example.com' }, { email: 'p2@example.com' }] });
  const page = await api.get('/api/v1/users?pageSize=1');
  expect(page.body.nextPageToken).toEqual(expect.any(String));
  const res = await api.get(`/api/v1/namespaces?pageToken=${page.body.nextPageToken}`);
  expect(res.status).toBe(400);
  expect(res.body.field).toBe('pageToken');
});

describe('409', () => {
  test.each([
    ['duplicate namespace name', '/api/v1/namespaces', () => nsSpec('existing'), 'already_exists'],
    [
      'duplicate user email (case-insensitive)',
      '/api/v1/users',
      () => ({ spec: { email: 'TAKEN@example.com' } }),
      'already_exists',
    ],
    [
      'duplicate service account name',
      '/api/v1/service-accounts',
      () => ({ spec: { name: 'taken-sa' } }),
      'already_exists',
    ],
    [
      'stale resourceVersion',
      '/api/v1/namespaces/existing.a1b2c/update',
      () => ({ resourceVersion: 'stale', spec: { retentionDays: 8 } }),
      'resource_version_mismatch',
    ],
  ])('%s', async (_d, path, body, code) => {
    const before = api.emu.snapshot();
    const res = await api.post(path, body());
    expect(res.status).toBe(409);
    expect(res.body.code).toBe(code);
    expect(api.emu.snapshot()).toEqual(before);
  });
});

describe('404', () => {
  test.each([
    ['GET', '/api/v1/namespaces/ghost.a1b2c'],
    ['DELETE', '/api/v1/namespaces/ghost.a1b2c'],
    ['GET', '/api/v1/users/ghost'],
    ['DELETE', '/api/v1/users/ghost'],
    ['GET', '/api/v1/service-accounts/ghost'],
    ['DELETE', '/api/v1/service-accounts/ghost'],
    ['GET', '/api/v1/api-keys/ghost'],
    ['DELETE', '/api/v1/api-keys/ghost'],
    ['GET', '/api/v1/async-operations/ghost'],
    ['GET', '/api/v1/no-such-thing'],
  ])('%s %s', async (method, path) => {
    const before = api.emu.snapshot();
    const res = await api.call(method, path);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', message: expect.any(String) });
    expect(api.emu.snapshot()).toEqual(before);
  });

  test('update of an unknown namespace', async () => {
    const res = await api.post('/api/v1/namespaces/ghost.a1b2c/update', { resourceVersion: 'x', spec: {} });
    expect(res.status).toBe(404);
  });
});

describe('401', () => {
  test.each([
    ['no Authorization header', {} as Record<string, string>],
    ['wrong key', { authorization: 'Bearer wrong-key-123' }],
    ['not a Bearer scheme', { authorization: `Basic ${API_KEY}` }],
    ['empty bearer', { authorization: 'Bearer ' }],
  ])('%s → 401 unauthenticated, nothing changes, key never echoed', async (_d, headers) => {
    const before = api.emu.snapshot();
    for (const [method, path, body] of [
      ['POST', '/api/v1/namespaces', nsSpec('sneaky')],
      ['GET', '/api/v1/regions', undefined],
      ['DELETE', `/api/v1/users/${userId}`, undefined],
      ['GET', '/_emulator/state', undefined],
    ] as const) {
      const res = await api.call(method, path, body, headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'unauthenticated', message: expect.any(String) });
      expect(res.text).not.toContain(API_KEY);
      expect(res.text).not.toContain('wrong-key-123');
    }
    expect(api.emu.snapshot()).toEqual(before);
  });
});

test('logs carry operationId and status but never the bearer key or API-key tokens', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const emu = await startEmulator({ apiKey: API_KEY, logger: pino({ level: 'debug' }, sink) });
  try {
    const http = httpClient(emu.url, API_KEY);
    const sa = await http.post('/api/v1/service-accounts', { spec: { name: 'logged' } });
    const created = await http.post('/api/v1/api-keys', {
      spec: {
        displayName: 'k',
        ownerId: sa.body.serviceAccountId,
        ownerType: 'service-account',
        expiryTime: inDays(Date.now(), 5),
      },
    });
    await http.call('GET', '/api/v1/regions', undefined, { authorization: 'Bearer wrong-key-123' });
    await http.get('/_emulator/state');
    const log = lines.join('');
    expect(log).toContain('"operationId":"createApiKey"');
    expect(log).toContain('"status":401');
    expect(log).toMatch(/"durationMs":\d/);
    expect(log).not.toContain(API_KEY);
    expect(log).not.toContain('wrong-key-123');
    expect(log).not.toContain(created.body.token);
  } finally {
    await emu.close();
  }
});
