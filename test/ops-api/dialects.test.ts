// The two dialects without a server: routes derived from the protos and the given document, strict proto
// JSON of every request the `cloud` dialect builds, the resource mappings both ways, error decoding.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  namespaceSpecFromCloud,
  namespaceSpecToCloud,
  protoJsonProblems,
  protoType,
} from '../../src/cloud-api';
import {
  apiKeyToCloud,
  asyncOperationToCloud,
  namespaceToCloud,
  serviceAccountToCloud,
  userToCloud,
} from '../../src/emulator/cloud-responses';
import {
  apiKeyFromCloud,
  asyncOperationFromCloud,
  namespaceFromCloud,
  serviceAccountFromCloud,
  userFromCloud,
} from '../../src/ops-api/cloud/mapping';
import {
  CLOUD_ROUTES,
  cloudDialect,
  defaultDialectFor,
  OPENAPI_ROUTES,
  openapiDialect,
  type WireRequest,
} from '../../src/ops-api/dialects';
import {
  OPERATION_IDS,
  type Namespace,
  type OperationId,
  type OperationInput,
} from '../../src/ops-api/types';

const cloud = cloudDialect('v0.17.0');
const SPEC = {
  name: 'orders',
  region: 'aws-us-east-1',
  retentionDays: 7,
  codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
  mtlsAuth: {
    acceptedClientCa: 'LS0tLS1CRUdJTi\nBDRVJUSUZJQ0FURS0tLS0t',
    certificateFilters: [{ commonName: 'svc' }],
  },
  apiKeyAuth: { enabled: true },
};

/** A plausible input of every operation, exercising every field the domain sends. */
const INPUTS: { [Op in OperationId]: OperationInput<Op> } = {
  listNamespaces: { pageSize: 50, pageToken: 't1' },
  createNamespace: { spec: SPEC, asyncOperationId: 'op-1' },
  getNamespace: { namespace: 'orders.a1b2c' },
  deleteNamespace: { namespace: 'orders.a1b2c', asyncOperationId: 'op-2', resourceVersion: 'rv1' },
  updateNamespace: {
    namespace: 'orders.a1b2c',
    spec: SPEC,
    resourceVersion: 'rv1',
    asyncOperationId: 'op-3',
  },
  listUsers: { pageSize: 10 },
  createUser: {
    spec: {
      email: 'ada@example.com',
      access: {
        accountAccess: { role: 'developer' },
        namespaceAccesses: { 'orders.a1b2c': { permission: 'write' } },
      },
    },
    asyncOperationId: 'op-4',
  },
  getUser: { userId: 'u1' },
  deleteUser: { userId: 'u1', asyncOperationId: 'op-5', resourceVersion: 'rv' },
  listServiceAccounts: { pageToken: 'x' },
  createServiceAccount: {
    spec: { name: 'ci', access: { namespaceAccesses: { 'orders.a1b2c': { permission: 'read' } } } },
    asyncOperationId: 'op-6',
  },
  getServiceAccount: { serviceAccountId: 'sa1' },
  deleteServiceAccount: { serviceAccountId: 'sa1', asyncOperationId: 'op-7', resourceVersion: 'rv' },
  listApiKeys: { ownerId: 'sa1', ownerType: 'service-account', pageSize: 5 },
  createApiKey: {
    spec: {
      displayName: 'k',
      ownerId: 'sa1',
      ownerType: 'service-account',
      expiryTime: '2026-03-01T00:00:00Z',
    },
    asyncOperationId: 'op-8',
  },
  getApiKey: { keyId: 'k1' },
  deleteApiKey: { keyId: 'k1', asyncOperationId: 'op-9', resourceVersion: 'rv' },
  listRegions: {},
  getAsyncOperation: { asyncOperationId: 'op-1' },
};

/** The request message a gateway rebuilds from path, query and body. */
function messageOf(operationId: OperationId, wire: WireRequest): Record<string, unknown> {
  const route = CLOUD_ROUTES[operationId];
  const template = route.path.replace(/^\//, '').split('/');
  const segments = wire.path.split('/');
  const fromPath: Record<string, string> = {};
  template.forEach((part, i) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name)
      fromPath[name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = decodeURIComponent(
        segments[i]!,
      );
  });
  return { ...fromPath, ...(wire.query ?? {}), ...((wire.body as object) ?? {}) };
}

describe('cloud dialect: routes from the protos', () => {
  test('every operation has a route, as the issue lists them', () => {
    const route = (op: OperationId) => `${CLOUD_ROUTES[op].verb} ${CLOUD_ROUTES[op].path}`;
    expect(OPERATION_IDS.map(route)).toHaveLength(19);
    expect(route('listNamespaces')).toBe('GET /cloud/namespaces');
    expect(route('updateNamespace')).toBe('POST /cloud/namespaces/{namespace}');
    expect(route('getAsyncOperation')).toBe('GET /cloud/operations/{async_operation_id}');
    expect(route('deleteApiKey')).toBe('DELETE /cloud/api-keys/{key_id}');
    expect(route('listServiceAccounts')).toBe('GET /cloud/service-accounts');
    expect(route('listRegions')).toBe('GET /cloud/regions');
    expect(CLOUD_ROUTES.createUser.request.name).toBe('CreateUserRequest');
  });

  test.each(OPERATION_IDS.map((op) => [op]))(
    '%s: the request the dialect builds decodes strictly as the proto request',
    (op) => {
      const wire = cloud.encode(op, INPUTS[op] as never);
      expect(wire.method).toBe(CLOUD_ROUTES[op].verb);
      expect(`/${wire.path}`).toMatch(/^\/cloud\//);
      expect(protoJsonProblems(CLOUD_ROUTES[op].request, messageOf(op, wire))).toEqual([]);
    },
  );

  test('enums and the namespace spec in the real API terms', () => {
    const wire = cloud.encode('createNamespace', INPUTS.createNamespace);
    expect(wire.body).toMatchObject({
      spec: {
        replicas: [{ region: 'aws-us-east-1' }],
        apiKeyAuth: { enabled: true },
        mtlsAuth: { enabled: true, acceptedClientCa: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t' },
      },
      asyncOperationId: 'op-1',
    });
    expect(cloud.encode('listApiKeys', INPUTS.listApiKeys).query).toEqual({
      ownerId: 'sa1',
      ownerType: 'OWNER_TYPE_SERVICE_ACCOUNT',
      pageSize: 5,
    });
    expect((cloud.encode('createUser', INPUTS.createUser).body as { spec: unknown }).spec).toEqual({
      email: 'ada@example.com',
      access: {
        accountAccess: { role: 'ROLE_DEVELOPER' },
        namespaceAccesses: { 'orders.a1b2c': { permission: 'PERMISSION_WRITE' } },
      },
    });
    expect(cloud.encode('deleteNamespace', INPUTS.deleteNamespace)).toEqual({
      method: 'DELETE',
      path: 'cloud/namespaces/orders.a1b2c',
      query: { resourceVersion: 'rv1', asyncOperationId: 'op-2' },
    });
    expect(cloud.headers).toEqual({ 'temporal-cloud-api-version': 'v0.17.0' });
  });
});

describe('cloud dialect: answers', () => {
  const ns: Namespace = {
    namespace: 'orders.a1b2c',
    resourceVersion: 'rv1',
    spec: { name: 'orders', region: 'aws-us-east-1', retentionDays: 7, apiKeyAuth: { enabled: true } },
    state: 'active',
    asyncOperationId: 'op-1',
    endpoints: {
      webAddress: 'https://cloud.temporal.io/namespaces/orders.a1b2c',
      grpcAddress: 'orders.a1b2c.tmprl.cloud:7233',
      mtlsGrpcAddress: 'orders.a1b2c.tmprl.cloud:7233',
      apiKeyGrpcAddress: 'us-east-1.aws.api.temporal.io:7233',
    },
    createdTime: '2026-01-15T10:30:00Z',
    lastModifiedTime: '2026-01-15T10:30:00Z',
  };

  test('resources map both ways and what the mapping renders is valid protobuf JSON', () => {
    const cloudNs = namespaceToCloud(ns);
    expect(protoJsonProblems(protoType('temporal.api.cloud.namespace.v1.Namespace'), cloudNs)).toEqual([]);
    expect(namespaceFromCloud(cloudNs)).toEqual(ns);
    const user = {
      id: 'u1',
      resourceVersion: 'r',
      state: 'pending' as const,
      spec: { email: 'a@b.co', access: { accountAccess: { role: 'read' as const } } },
    };
    expect(protoJsonProblems(protoType('temporal.api.cloud.identity.v1.User'), userToCloud(user))).toEqual(
      [],
    );
    // The real API has no "pending": an invited user is still activating.
    expect(userFromCloud(userToCloud(user))).toEqual({ ...user, state: 'activating' });
    const sa = { id: 's', resourceVersion: 'r', state: 'active' as const, spec: { name: 'ci' } };
    expect(serviceAccountFromCloud(serviceAccountToCloud(sa))).toEqual(sa);
    const key = {
      id: 'k',
      resourceVersion: 'r',
      state: 'expired' as const,
      spec: {
        displayName: 'k',
        ownerId: 's',
        ownerType: 'service-account' as const,
        expiryTime: '2026-01-01T00:00:00Z',
      },
    };
    expect(protoJsonProblems(protoType('temporal.api.cloud.identity.v1.ApiKey'), apiKeyToCloud(key))).toEqual(
      [],
    );
    expect(apiKeyFromCloud(apiKeyToCloud(key))).toEqual(key);
    const op = {
      id: 'o',
      state: 'in_progress' as const,
      checkDuration: '1.500s',
      operationType: 'createNamespace',
    };
    expect(asyncOperationFromCloud(asyncOperationToCloud(op))).toEqual(op);
  });

  test('spec fields this product does not manage survive a read-merge-send update', () => {
    const read = {
      name: 'orders',
      replicas: [{ region: 'aws-us-east-1' }],
      retentionDays: 7,
      lifecycle: { enableDeleteProtection: true },
      highAvailability: { disableManagedFailover: true },
      searchAttributes: { CustomerId: 'SEARCH_ATTRIBUTE_TYPE_KEYWORD' },
      codecServer: {
        endpoint: 'https://codec.example.com',
        customErrorMessage: { default: { message: 'ask #platform' } },
      },
    };
    const spec = namespaceSpecFromCloud(read);
    const sent = namespaceSpecToCloud({ ...spec, retentionDays: 30 });
    expect(sent).toEqual({ ...read, retentionDays: 30 });
    expect(protoJsonProblems(protoType('temporal.api.cloud.namespace.v1.NamespaceSpec'), sent)).toEqual([]);
  });

  test('a replicated namespace keeps its replicas, and a switched-off mTLS CA stays so, through an update', () => {
    const read = {
      name: 'orders',
      replicas: [{ region: 'aws-us-east-1' }, { region: 'aws-us-west-2' }],
      retentionDays: 7,
      mtlsAuth: { acceptedClientCa: 'LS0tLS1CRUdJTg==', enabled: false },
      apiKeyAuth: { enabled: true },
    };
    const spec = namespaceSpecFromCloud(read);
    expect(spec.region).toBe('aws-us-east-1');
    expect(spec.mtlsAuth).toBeUndefined(); // off is not "mTLS on"
    expect(namespaceSpecToCloud({ ...spec, retentionDays: 14 })).toEqual({ ...read, retentionDays: 14 });
    // A plain one-region namespace carries nothing extra.
    expect(
      namespaceSpecFromCloud({ name: 'a', replicas: [{ region: 'aws-us-east-1' }], retentionDays: 1 })
        .preserved,
    ).toBeUndefined();
  });

  test('a mutation answers with an asyncOperation object; lists may omit empty arrays', () => {
    expect(cloud.decode('deleteUser', { asyncOperation: { id: 'op-5', state: 'STATE_PENDING' } })).toEqual({
      asyncOperationId: 'op-5',
    });
    expect(cloud.decode('listServiceAccounts', { serviceAccount: [] })).toEqual({ serviceAccounts: [] });
    expect(cloud.decode('listNamespaces', {})).toEqual({ namespaces: [] });
    expect(() => cloud.decode('deleteUser', {})).toThrow(/asyncOperation/);
    expect(() => cloud.decode('getNamespace', { namespaces: [] })).toThrow(/"namespace"/);
  });

  test('errors are google.rpc.Status, classified by their code (FailedPrecondition is a 400 there)', () => {
    expect(cloud.decodeError({ code: 9, message: 'namespace is activating' })).toEqual({
      code: 'failed_precondition',
      message: 'namespace is activating',
    });
    expect(cloud.decodeError({ code: 10, message: 'stale' })?.code).toBe('resource_version_mismatch');
    expect(
      cloud.decodeError({
        code: 3,
        message: 'bad',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field: 'spec.retention_days', description: 'too long' }],
          },
        ],
      }),
    ).toEqual({ code: 'invalid_argument', message: 'bad', field: 'spec.retention_days' });
    // Not the API's error: an HTML page, the other dialect's shape, a code gRPC does not have.
    expect(cloud.decodeError('<html>Not Found</html>')).toBeUndefined();
    expect(cloud.decodeError({ code: 'not_found', message: 'x' })).toBeUndefined();
    expect(cloud.decodeError({ code: 99, message: 'x' })).toBeUndefined();
  });
});

describe('openapi dialect', () => {
  test('its routes are the given document’s', () => {
    const doc = parse(readFileSync(path.resolve(__dirname, '../../openapi/cloud-ops-api.yml'), 'utf8')) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const fromDoc: Record<string, string> = {};
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [verb, op] of Object.entries(item)) {
        if (op.operationId) fromDoc[op.operationId] = `${verb.toUpperCase()} ${p}`;
      }
    }
    const ours = Object.fromEntries(
      Object.entries(OPENAPI_ROUTES).map(([op, [verb, p]]) => [op, `${verb} /${p}`]),
    );
    expect(ours).toEqual(fromDoc);
  });

  test('an update sends the whole spec, what it lacks cleared; deletes carry the version and the id', () => {
    const { codecServer: _c, ...withoutCodec } = SPEC;
    expect(
      openapiDialect.encode('updateNamespace', {
        ...INPUTS.updateNamespace,
        spec: { ...withoutCodec, preserved: { x: 1 } },
      }),
    ).toEqual({
      method: 'POST',
      path: 'api/v1/namespaces/orders.a1b2c/update',
      body: {
        resourceVersion: 'rv1',
        asyncOperationId: 'op-3',
        spec: { ...withoutCodec, codecServer: null },
      },
    });
    expect(openapiDialect.encode('deleteApiKey', INPUTS.deleteApiKey)).toEqual({
      method: 'DELETE',
      path: 'api/v1/api-keys/k1',
      query: { asyncOperationId: 'op-9', resourceVersion: 'rv' },
    });
  });

  test('only the document’s own error shape is an API error', () => {
    expect(openapiDialect.decodeError({ code: 'not_found', message: 'gone' })).toEqual({
      code: 'not_found',
      message: 'gone',
    });
    expect(openapiDialect.decodeError({ code: 5, message: 'x' })).toBeUndefined();
    expect(openapiDialect.decodeError({ error: 'Not Found' })).toBeUndefined();
    expect(() => openapiDialect.decode('listNamespaces', { items: [] })).toThrow(/namespaces/);
  });
});

test('the dialect follows the host: Temporal Cloud speaks the real API', () => {
  expect(defaultDialectFor('https://saas-api.tmprl.cloud')).toBe('cloud');
  expect(defaultDialectFor('https://SAAS-API.TMPRL.CLOUD:443/')).toBe('cloud');
  expect(defaultDialectFor('http://127.0.0.1:7243')).toBe('openapi');
  expect(defaultDialectFor('https://tmprl.cloud.example.com')).toBe('openapi');
});
