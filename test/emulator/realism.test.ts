// The real service's behaviours beyond the wire format (src/emulator/realism.ts): each a named switch, on
// by default on /cloud and off on /api/v1, settable by option, admin endpoint and CLI flag.
import { canonicalProtoJson, protoType, withUnpopulated } from '../../src/cloud-api';
import { parseRealismFlag, REALISM, REALISM_SWITCHES } from '../../src/emulator';
import { cloudNsSpec, REALISM_OFF, startCloudEmulator, type CloudApi } from './cloud-helpers';
import { API_KEY, httpClient, inDays, nsSpec, T0, type Json } from './helpers';

let api: CloudApi;
afterEach(async () => {
  await api?.close();
});

/** An emulator with only these switches on (on both dialects), the rest off. */
const withSwitches = (on: Partial<Record<(typeof REALISM_SWITCHES)[number], boolean>>, extra = {}) =>
  startCloudEmulator({ realism: { ...REALISM_OFF, ...on }, asyncOperationDurationMs: 1_000, ...extra });

describe('the registry and its settings', () => {
  test('every switch says what it does and where that comes from', () => {
    for (const name of REALISM_SWITCHES) {
      expect(REALISM[name].description.length).toBeGreaterThan(40);
      expect(REALISM[name].sources.length).toBeGreaterThan(0);
      for (const source of REALISM[name].sources) expect(source).toMatch(/^[\w.-]+\/[\w.-]+ /);
    }
  });

  test('on for /cloud and off for /api/v1 by default; an explicit setting holds on both; null resets', async () => {
    api = await startCloudEmulator({ realism: {} });
    const view = () => api.emu.realism.describe();
    for (const name of REALISM_SWITCHES)
      expect([view()[name]!.cloud, view()[name]!.openapi]).toEqual([true, false]);
    const admin = httpClient(api.emu.url, API_KEY);
    const configured = await admin.post('/_emulator/config', {
      realism: { edgeAnswers: false, unmodelledFields: true },
      realismParams: { edgeAnswers: { every: 3 } },
    });
    expect(configured.body.realism).toMatchObject({
      edgeAnswers: { cloud: false, openapi: false },
      unmodelledFields: { cloud: true, openapi: true },
    });
    expect(configured.body.realismParams.edgeAnswers).toEqual({ every: 3 });
    await admin.post('/_emulator/config', { realism: { edgeAnswers: null } });
    expect(view().edgeAnswers).toMatchObject({ cloud: true, openapi: false, params: { every: 3 } });
    // Bad settings are refused, naming the field.
    const bad = await admin.post('/_emulator/config', { realism: { edgeAnswer: true } });
    expect([bad.status, bad.body.field, bad.body.message]).toEqual([
      400,
      'realism',
      expect.stringMatching(/edgeAnswer/),
    ]);
    const badParam = await admin.post('/_emulator/config', { realismParams: { edgeAnswers: { every: 0 } } });
    expect([badParam.status, badParam.body.field]).toEqual([400, 'realismParams.edgeAnswers.every']);
    const listed = await admin.get('/_emulator/realism');
    expect(Object.keys(listed.body.switches)).toEqual(REALISM_SWITCHES);
    expect(listed.body.losses).toEqual([]);
  });

  test('the CLI / EMULATOR_REALISM form', () => {
    expect(parseRealismFlag('off')).toEqual(Object.fromEntries(REALISM_SWITCHES.map((s) => [s, false])));
    expect(parseRealismFlag('edgeAnswers=off, unmodelledFields=default')).toEqual({
      edgeAnswers: false,
      unmodelledFields: null,
    });
    expect(() => parseRealismFlag('edges=off')).toThrow(/unknown switch 'edges'/);
    expect(() => parseRealismFlag('edgeAnswers=maybe')).toThrow(/edgeAnswers: expected on, off or default/);
  });
});

describe('edgeAnswers', () => {
  test('reads get the edge’s HTML 503 (Retry-After), plain 429 (none), empty 502, HTML 504 in turn', async () => {
    api = await withSwitches({ edgeAnswers: true }, { realismParams: { edgeAnswers: { every: 1 } } });
    const answers: Awaited<ReturnType<CloudApi['call']>>[] = [];
    for (let i = 0; i < 4; i++) answers.push(await api.call('GET', '/cloud/regions'));
    api.emu.configure({ realism: { edgeAnswers: false } });
    answers.push(await api.call('GET', '/cloud/regions'));
    expect(answers.map((a) => a.status)).toEqual([503, 429, 502, 504, 200]);
    const [html503, plain429, empty502, html504] = answers;
    expect([html503!.headers.get('content-type'), html503!.headers.get('retry-after')]).toEqual([
      'text/html',
      '1',
    ]);
    expect(html503!.body).toMatch(/<h1>503 Service Temporarily Unavailable<\/h1>/);
    expect([plain429!.body, plain429!.headers.get('retry-after')]).toEqual(['Too Many Requests\n', null]);
    expect([empty502!.body, empty502!.headers.get('content-type')]).toEqual([undefined, null]);
    expect(html504!.body).toMatch(/504 Gateway Time-out/);
    expect(api.emu.requestLog.map((e) => e.edge ?? null)).toEqual([
      ...['html-503', 'plain-429', 'empty-502', 'html-504', null],
    ]);
    api.problems.length = 0; // the edge's bodies are not google.rpc.Status, which is the point
  });

  test('a mutation answered by the edge after it was applied: it happened; a repeat under its id replays', async () => {
    api = await withSwitches({ edgeAnswers: true }, { realismParams: { edgeAnswers: { every: 1 } } });
    const request = { spec: cloudNsSpec('lost-answer'), asyncOperationId: 'op-lost' };
    const lost = await api.call('POST', '/cloud/namespaces', request);
    expect([lost.status, lost.body]).toEqual([502, undefined]);
    expect(api.emu.snapshot().namespaces.map((n) => n.namespace)).toEqual(['lost-answer.a1b2c']);
    api.emu.configure({ realism: { edgeAnswers: false } });
    const repeat = await api.call('POST', '/cloud/namespaces', request);
    expect([repeat.status, repeat.body.asyncOperation.id]).toEqual([200, 'op-lost']);
    expect(api.emu.snapshot().namespaces).toHaveLength(1);
    expect(api.emu.requestLog.map((e) => [e.status, e.edge ?? null])).toEqual([
      [502, 'empty-502'],
      [200, null],
    ]);
    api.problems.length = 0;
  });

  test('about one request in `every`, the same ones again with the same seed', async () => {
    const run = async () => {
      api = await withSwitches(
        { edgeAnswers: true },
        { realismParams: { edgeAnswers: { every: 4 } }, faultSeed: 7 },
      );
      const statuses = [];
      for (let i = 0; i < 120; i++) statuses.push((await api.call('GET', '/cloud/regions')).status);
      await api.close();
      return statuses;
    };
    const first = await run();
    const edged = first.filter((s) => s !== 200).length;
    expect(edged).toBeGreaterThan(15);
    expect(edged).toBeLessThan(50);
    expect(await run()).toEqual(first);
    api = await withSwitches({});
  });

  test('off on /api/v1 unless turned on there', async () => {
    api = await startCloudEmulator({ realism: {}, realismParams: { edgeAnswers: { every: 1 } } });
    const v1 = httpClient(api.emu.url, API_KEY);
    expect((await v1.get('/api/v1/regions')).status).toBe(200);
    api.emu.configure({ realism: { edgeAnswers: true } });
    expect((await v1.get('/api/v1/regions')).status).toBe(503);
  });
});

describe('undocumentedConflictCodes', () => {
  async function conflicts(): Promise<Array<[number, number]>> {
    const ns = (await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('taken') })).body;
    api.clock.advance(1_000);
    const taken = await api.call('POST', '/cloud/namespaces', { spec: cloudNsSpec('taken') });
    const stale = await api.call('POST', '/cloud/namespaces/taken.a1b2c', {
      spec: cloudNsSpec('taken', { retentionDays: 9 }),
      resourceVersion: 'not-the-version',
    });
    api.emu.configure({ operationIdReuse: 'refuse' });
    const reused = await api.call(
      'DELETE',
      `/cloud/namespaces/taken.a1b2c?asyncOperationId=${ns.asyncOperation.id}`,
    );
    return [taken, stale, reused].map((r) => [r.status, r.body.code]);
  }

  test('off: ALREADY_EXISTS, ABORTED, ALREADY_EXISTS (409s)', async () => {
    api = await withSwitches({});
    expect(await conflicts()).toEqual([
      [409, 6],
      [409, 10],
      [409, 6],
    ]);
  });

  test('on: INVALID_ARGUMENT, FAILED_PRECONDITION, FAILED_PRECONDITION by default (400s at the gateway)', async () => {
    api = await withSwitches({ undocumentedConflictCodes: true });
    expect(await conflicts()).toEqual([
      [400, 3],
      [400, 9],
      [400, 9],
    ]);
  });

  test('each code is a parameter a test chooses, on /api/v1 too when turned on there', async () => {
    api = await withSwitches(
      { undocumentedConflictCodes: true },
      { realismParams: { undocumentedConflictCodes: { takenName: 'failed_precondition' } } },
    );
    const v1 = httpClient(api.emu.url, API_KEY);
    await v1.post('/api/v1/namespaces', nsSpec('twice'));
    const again = await v1.post('/api/v1/namespaces', nsSpec('twice'));
    expect([again.status, again.body.code, again.body.field]).toEqual([
      409,
      'failed_precondition',
      'spec.name',
    ]);
  });
});

describe('unmodelledFields', () => {
  let customRoles: string[];

  test('kept on create and read back; an update that leaves them out loses them, and says so', async () => {
    api = await withSwitches({ unmodelledFields: true });
    // Users name custom roles that exist (by id).
    const roles = [{ resources: { resourceType: 'namespace', allowAll: true }, actions: ['namespace:read'] }];
    customRoles = (await api.emu.seed({ customRoles: [{ name: 'auditor', permissions: roles }] }))
      .customRoleIds;
    const created = await api.call('POST', '/cloud/users', {
      spec: { email: 'cr@example.com', access: { accountAccess: { role: 'ROLE_READ', customRoles } } },
    });
    api.clock.advance(1_000);
    const read = async () => (await api.call('GET', `/cloud/users/${created.body.userId}`)).body.user;
    const before = await read();
    expect(before.spec.access.accountAccess).toEqual({ role: 'ROLE_READ', customRoles });

    // The same spec with the role changed keeps them...
    const keep = { ...before.spec, access: { accountAccess: { role: 'ROLE_DEVELOPER', customRoles } } };
    await api.call('POST', `/cloud/users/${created.body.userId}`, {
      spec: keep,
      resourceVersion: before.resourceVersion,
    });
    api.clock.advance(1_000);
    const kept = await read();
    expect(kept.spec.access.accountAccess).toEqual({ role: 'ROLE_DEVELOPER', customRoles });
    expect(api.emu.realism.losses()).toEqual([]);

    // ...one rebuilt without them clears them, as the real service does.
    await api.call('POST', `/cloud/users/${created.body.userId}`, {
      spec: { email: 'cr@example.com', access: { accountAccess: { role: 'ROLE_READ' } } },
      resourceVersion: kept.resourceVersion,
    });
    api.clock.advance(1_000);
    expect((await read()).spec.access.accountAccess).toEqual({ role: 'ROLE_READ' });
    expect(api.emu.realism.losses()).toEqual([
      {
        kind: 'user',
        id: created.body.userId,
        operationId: 'updateUser',
        field: 'spec.access.accountAccess.customRoles',
        time: T0 + 2_000,
      },
    ]);
    expect((await httpClient(api.emu.url, API_KEY).get('/_emulator/realism')).body.losses).toHaveLength(1);
  });

  test('seeded on every kind of resource; an API key’s description survives a disable', async () => {
    api = await withSwitches({ unmodelledFields: true });
    const ns = {
      lifecycle: { enableDeleteProtection: true },
      searchAttributes: { CustomerId: 'SEARCH_ATTRIBUTE_TYPE_KEYWORD' },
    };
    const seeded = await api.emu.seed({
      namespaces: [{ name: 'kept', region: 'aws-us-east-1', retentionDays: 7, preserved: ns }],
      serviceAccounts: [
        {
          name: 'ci',
          preserved: {
            description: 'the CI',
            namespaceScopedAccess: { namespace: 'kept.a1b2c', access: { permission: 'PERMISSION_WRITE' } },
          },
        },
      ],
    });
    const key = await api.emu.seed({
      apiKeys: [
        {
          displayName: 'ci-key',
          ownerId: seeded.serviceAccountIds[0]!,
          ownerType: 'service-account',
          expiryTime: inDays(T0, 30),
          preserved: { description: 'deploys' },
        },
      ],
    });
    const nsRead: Json = (await api.call('GET', '/cloud/namespaces/kept.a1b2c')).body.namespace;
    expect(nsRead.spec).toMatchObject(ns);
    const saRead: Json = (await api.call('GET', `/cloud/service-accounts/${seeded.serviceAccountIds[0]}`))
      .body;
    expect(saRead.serviceAccount.spec).toMatchObject({
      description: 'the CI',
      namespaceScopedAccess: { namespace: 'kept.a1b2c' },
    });

    const keyId = key.apiKeys[0]!.keyId;
    const keyRead: Json = (await api.call('GET', `/cloud/api-keys/${keyId}`)).body.apiKey;
    const disabled = await api.call('POST', `/cloud/api-keys/${keyId}`, {
      spec: { ...keyRead.spec, disabled: true },
      resourceVersion: keyRead.resourceVersion,
      asyncOperationId: 'op-disable',
    });
    expect(disabled.body.asyncOperation).toMatchObject({ id: 'op-disable', operationType: 'updateApiKey' });
    // A key changes when its operation is fulfilled, not before.
    expect((await api.call('GET', `/cloud/api-keys/${keyId}`)).body.apiKey.spec.disabled).toBeUndefined();
    api.clock.advance(1_000);
    expect((await api.call('GET', `/cloud/api-keys/${keyId}`)).body.apiKey.spec).toMatchObject({
      disabled: true,
      description: 'deploys',
    });
    expect(api.emu.realism.losses()).toEqual([]);
    // A seeded field must be the real API's.
    await expect(
      api.emu.seed({ users: [{ email: 'x@example.com', preserved: { colour: 'red' } }] }),
    ).rejects.toThrow(/users\[0\].*spec\.preserved.*colour/);
  });
});

describe('updateApiKey', () => {
  test('the owner cannot change; a stale version or a key still activating is refused; not on /api/v1', async () => {
    api = await withSwitches({});
    const { userIds } = await api.emu.seed({ users: [{ email: 'k@example.com' }] });
    const spec = {
      ownerId: userIds[0]!,
      ownerType: 'OWNER_TYPE_USER',
      displayName: 'k',
      expiryTime: inDays(T0, 9),
    };
    const created = await api.call('POST', '/cloud/api-keys', { spec });
    const keyId = created.body.keyId as string;
    const read = async () => (await api.call('GET', `/cloud/api-keys/${keyId}`)).body.apiKey;
    const activating = await read();
    const early = await api.call('POST', `/cloud/api-keys/${keyId}`, {
      spec: { ...activating.spec, disabled: true },
      resourceVersion: activating.resourceVersion,
    });
    expect([early.status, early.body.code]).toEqual([400, 9]);
    api.clock.advance(1_000);
    const key = await read();
    const owner = await api.call('POST', `/cloud/api-keys/${keyId}`, {
      spec: { ...key.spec, ownerId: 'someone' },
      resourceVersion: key.resourceVersion,
    });
    expect([owner.status, owner.body.details[0].fieldViolations[0].field]).toEqual([400, 'spec.ownerId']);
    const stale = await api.call('POST', `/cloud/api-keys/${keyId}`, {
      spec: key.spec,
      resourceVersion: 'old',
    });
    expect([stale.status, stale.body.code]).toEqual([409, 10]);
    expect(
      (await httpClient(api.emu.url, API_KEY).post(`/api/v1/api-keys/${keyId}`, { spec: key.spec })).status,
    ).toBe(405);
    expect((await read()).resourceVersion).toBe(key.resourceVersion);
  });
});

describe('emitUnpopulated', () => {
  async function answers() {
    const { serviceAccountIds } = await api.emu.seed({
      serviceAccounts: [{ name: 'wide', access: { accountAccess: { role: 'read' } } }],
    });
    const created = await api.call('POST', '/cloud/namespaces', {
      spec: cloudNsSpec('codec', { codecServer: { endpoint: 'https://codec.example.com' } }),
    });
    api.clock.advance(1_000);
    return {
      account: (await api.call('GET', `/cloud/service-accounts/${serviceAccountIds[0]}`)).body,
      namespace: (await api.call('GET', '/cloud/namespaces/codec.a1b2c')).body.namespace,
      operation: created.body.asyncOperation,
    };
  }

  test('on: every unset field at its default, null for a message, from the descriptors; still strict protobuf JSON', async () => {
    api = await withSwitches({ emitUnpopulated: true });
    const { account, namespace, operation } = await answers();
    expect(account.serviceAccount.spec).toEqual({
      name: 'wide',
      access: {
        accountAccess: { role: 'ROLE_READ', roleDeprecated: '', customRoles: [] },
        namespaceAccesses: {},
        customRolesDeprecated: [],
      },
      namespaceScopedAccess: null,
      description: '',
    });
    expect(namespace.spec.codecServer).toEqual({
      endpoint: 'https://codec.example.com',
      passAccessToken: false,
      includeCrossOriginCredentials: false,
      customErrorMessage: null,
    });
    expect(namespace.spec).toMatchObject({ regions: [], customSearchAttributes: {}, lifecycle: null });
    expect(namespace).toMatchObject({ limits: null, privateConnectivities: [], tags: {} });
    expect(operation).toMatchObject({ operationInput: null, failureReason: '' });
    expect(api.problems).toEqual([]);
  });

  test('as protojson spells them: a oneof’s fields stay out, a 64-bit integer is "0", an enum its zero value', () => {
    expect(withUnpopulated(protoType('temporal.api.cloud.namespace.v1.CapacitySpec'), {})).toEqual({});
    expect(withUnpopulated(protoType('temporal.api.cloud.billing.v1.BillingReport.Download'), {})).toEqual(
      expect.objectContaining({ fileSizeBytes: '0' }),
    );
    expect(withUnpopulated(protoType('temporal.api.cloud.identity.v1.ApiKeySpec'), {})).toMatchObject({
      ownerType: 'OWNER_TYPE_UNSPECIFIED',
      expiryTime: null,
      disabled: false,
    });
  });

  test('read back canonically: defaults are absent, but a name "0" is a name (only a 64-bit integer\'s "0" is unset)', () => {
    const key = protoType('temporal.api.cloud.identity.v1.ApiKeySpec');
    expect(
      canonicalProtoJson(key, { displayName: '0', description: '0', ownerId: 'o', disabled: false }),
    ).toEqual({
      displayName: '0',
      description: '0',
      ownerId: 'o',
    });
    const download = protoType('temporal.api.cloud.billing.v1.BillingReport.Download');
    expect(canonicalProtoJson(download, { fileSizeBytes: '0' })).toEqual({});
  });

  test('off: only the fields that are set', async () => {
    api = await withSwitches({});
    const { account, namespace } = await answers();
    expect(account.serviceAccount.spec).toEqual({
      name: 'wide',
      access: { accountAccess: { role: 'ROLE_READ' } },
    });
    expect(namespace.spec.codecServer).toEqual({ endpoint: 'https://codec.example.com' });
    expect(namespace).not.toHaveProperty('limits');
  });
});
