// The real Ops API (Temporal's cloud-api through its HTTP gateway): routes and messages from the bundled
// protos (cloud/proto.ts), resources wrapped (`{namespace: {...}}`), enums by name, mutations answering
// an `asyncOperation` object, errors as google.rpc.Status, and the API version pinned in a header.
import {
  apiKeyFromCloud,
  apiKeySpecToCloud,
  asyncOperationFromCloud,
  namespaceFromCloud,
  namespaceSpecToCloud,
  ownerTypes,
  permissions,
  regionFromCloud,
  serviceAccountFromCloud,
  serviceAccountSpecToCloud,
  userFromCloud,
  userSpecToCloud,
  type Json,
} from '../cloud/mapping';
import { CLOUD_ROUTES } from '../cloud/proto';
import { domainCodeOf } from '../cloud/status';
import type { AnyOperationId, ErrorCode, OperationInput, OperationOutput, Operations } from '../types';
import {
  compactQuery,
  expectShape,
  fillPath,
  isObject,
  type Dialect,
  type DomainError,
  type WireRequest,
} from './dialect';

/** The real API's request message (as JSON) of each operation, from the domain input. */
const REQUESTS: { [Op in AnyOperationId]: (input: Operations[Op]['input']) => Json } = {
  listNamespaces: (i) => ({ ...i }),
  createNamespace: (i) => ({ spec: namespaceSpecToCloud(i.spec), asyncOperationId: i.asyncOperationId }),
  getNamespace: (i) => ({ ...i }),
  deleteNamespace: (i) => ({ ...i }),
  updateNamespace: (i) => ({
    namespace: i.namespace,
    spec: namespaceSpecToCloud(i.spec),
    resourceVersion: i.resourceVersion,
    asyncOperationId: i.asyncOperationId,
  }),
  listUsers: (i) => ({ ...i }),
  createUser: (i) => ({ spec: userSpecToCloud(i.spec), asyncOperationId: i.asyncOperationId }),
  getUser: (i) => ({ ...i }),
  deleteUser: (i) => ({ ...i }),
  listServiceAccounts: (i) => ({ ...i }),
  createServiceAccount: (i) => ({
    spec: serviceAccountSpecToCloud(i.spec),
    asyncOperationId: i.asyncOperationId,
  }),
  getServiceAccount: (i) => ({ ...i }),
  deleteServiceAccount: (i) => ({ ...i }),
  listApiKeys: (i) => ({ ...i, ownerType: i.ownerType ? ownerTypes.toProto(i.ownerType) : undefined }),
  createApiKey: (i) => ({ spec: apiKeySpecToCloud(i.spec), asyncOperationId: i.asyncOperationId }),
  getApiKey: (i) => ({ ...i }),
  deleteApiKey: (i) => ({ ...i }),
  listRegions: () => ({}),
  getAsyncOperation: (i) => ({ ...i }),
  updateUser: (i) => ({ ...i, spec: userSpecToCloud(i.spec) }),
  updateServiceAccount: (i) => ({ ...i, spec: serviceAccountSpecToCloud(i.spec) }),
  updateApiKey: (i) => ({ ...i, spec: apiKeySpecToCloud(i.spec) }),
  setUserNamespaceAccess: (i) => ({ ...i, access: { permission: permissions.toProto(i.access.permission) } }),
  setServiceAccountNamespaceAccess: (i) => ({
    ...i,
    access: { permission: permissions.toProto(i.access.permission) },
  }),
};

const list = (body: Json, field: string): unknown[] => {
  const items = body[field];
  // protobuf JSON omits an empty repeated field
  return Array.isArray(items) ? items : [];
};
const page = (body: Json) =>
  typeof body.nextPageToken === 'string' && body.nextPageToken ? { nextPageToken: body.nextPageToken } : {};

/** The id of the async operation a mutation answered with. */
function operationIdOf(op: AnyOperationId, body: Json): string {
  const id = isObject(body.asyncOperation) ? body.asyncOperation.id : undefined;
  expectShape(typeof id === 'string' && id !== '', op, 'an asyncOperation');
  return id;
}

function resource(op: AnyOperationId, body: Json, field: string): unknown {
  expectShape(isObject(body[field]), op, `"${field}"`);
  return body[field];
}

/** The domain result of each operation, from the real API's response message. */
const RESPONSES: { [Op in AnyOperationId]: (body: Json) => Operations[Op]['output'] } = {
  listNamespaces: (b) => ({ namespaces: list(b, 'namespaces').map(namespaceFromCloud), ...page(b) }),
  createNamespace: (b) => {
    expectShape(typeof b.namespace === 'string', 'createNamespace', '"namespace"');
    return { namespace: b.namespace, asyncOperationId: operationIdOf('createNamespace', b) };
  },
  getNamespace: (b) => namespaceFromCloud(resource('getNamespace', b, 'namespace')),
  deleteNamespace: (b) => ({ asyncOperationId: operationIdOf('deleteNamespace', b) }),
  updateNamespace: (b) => ({ asyncOperationId: operationIdOf('updateNamespace', b) }),
  listUsers: (b) => ({ users: list(b, 'users').map(userFromCloud), ...page(b) }),
  createUser: (b) => {
    expectShape(typeof b.userId === 'string', 'createUser', '"userId"');
    return { userId: b.userId, asyncOperationId: operationIdOf('createUser', b) };
  },
  getUser: (b) => userFromCloud(resource('getUser', b, 'user')),
  deleteUser: (b) => ({ asyncOperationId: operationIdOf('deleteUser', b) }),
  // The real list field is singular.
  listServiceAccounts: (b) => ({
    serviceAccounts: list(b, 'serviceAccount').map(serviceAccountFromCloud),
    ...page(b),
  }),
  createServiceAccount: (b) => {
    expectShape(typeof b.serviceAccountId === 'string', 'createServiceAccount', '"serviceAccountId"');
    return {
      serviceAccountId: b.serviceAccountId,
      asyncOperationId: operationIdOf('createServiceAccount', b),
    };
  },
  getServiceAccount: (b) => serviceAccountFromCloud(resource('getServiceAccount', b, 'serviceAccount')),
  deleteServiceAccount: (b) => ({ asyncOperationId: operationIdOf('deleteServiceAccount', b) }),
  listApiKeys: (b) => ({ apiKeys: list(b, 'apiKeys').map(apiKeyFromCloud), ...page(b) }),
  createApiKey: (b) => {
    expectShape(typeof b.keyId === 'string', 'createApiKey', '"keyId"');
    return {
      keyId: b.keyId,
      asyncOperationId: operationIdOf('createApiKey', b),
      ...(typeof b.token === 'string' && b.token ? { token: b.token } : {}),
    };
  },
  getApiKey: (b) => apiKeyFromCloud(resource('getApiKey', b, 'apiKey')),
  deleteApiKey: (b) => ({ asyncOperationId: operationIdOf('deleteApiKey', b) }),
  listRegions: (b) => ({ regions: list(b, 'regions').map(regionFromCloud) }),
  getAsyncOperation: (b) => asyncOperationFromCloud(resource('getAsyncOperation', b, 'asyncOperation')),
  updateUser: (b) => ({ asyncOperationId: operationIdOf('updateUser', b) }),
  updateServiceAccount: (b) => ({ asyncOperationId: operationIdOf('updateServiceAccount', b) }),
  updateApiKey: (b) => ({ asyncOperationId: operationIdOf('updateApiKey', b) }),
  setUserNamespaceAccess: (b) => ({ asyncOperationId: operationIdOf('setUserNamespaceAccess', b) }),
  setServiceAccountNamespaceAccess: (b) => ({
    asyncOperationId: operationIdOf('setServiceAccountNamespaceAccess', b),
  }),
};

/** The version of the real API this product speaks, sent in `temporal-cloud-api-version`. */
export const DEFAULT_CLOUD_API_VERSION = 'v0.17.0';
export const CLOUD_API_VERSION_HEADER = 'temporal-cloud-api-version';

export function cloudDialect(version: string = DEFAULT_CLOUD_API_VERSION): Dialect {
  return {
    name: 'cloud',
    headers: { [CLOUD_API_VERSION_HEADER]: version },
    // Temporal Cloud documents at most 10 concurrent async mutations per account.
    defaultMaxConcurrentMutations: 10,
    // 160 requests/s per account, shared with everything else that calls it: the fleet takes half by default.
    defaultFleetLimits: { requestsPerSecond: 80, mutations: 10 },

    supports: () => true,
    capabilities: new Set(['namespaceScopedServiceAccounts']),
    // An account-wide service account needs a role (tcld's `--account-role`; see docs/real-service.md).
    defaultServiceAccountRole: 'read',

    encode<Op extends AnyOperationId>(operationId: Op, input: OperationInput<Op>): WireRequest {
      const route = CLOUD_ROUTES[operationId];
      const request = (REQUESTS[operationId] as (i: OperationInput<Op>) => Json)(input);
      // Filled from the request's JSON names: the gateway's template has them in snake_case (`{user_id}`).
      const path = fillPath(route.fieldPath.replace(/^\//, ''), request, operationId);
      const rest = Object.fromEntries(
        Object.entries(request).filter(([k, v]) => !route.pathFields.includes(k) && v !== undefined),
      );
      if (route.bodyIsRequest) return { method: route.verb, path, body: rest };
      const query = compactQuery(rest);
      return { method: route.verb, path, ...(query ? { query } : {}) };
    },

    decode<Op extends AnyOperationId>(operationId: Op, body: unknown): OperationOutput<Op> {
      expectShape(isObject(body), operationId, 'a JSON object');
      return (RESPONSES[operationId] as (b: Json) => OperationOutput<Op>)(body);
    },

    decodeError(body: unknown): DomainError | undefined {
      // google.rpc.Status: {code: <int>, message, details: [Any]}
      if (!isObject(body) || !Number.isInteger(body.code) || typeof body.message !== 'string')
        return undefined;
      const code: ErrorCode | undefined = domainCodeOf(body.code as number);
      if (!code) return undefined;
      const field = fieldViolation(body.details);
      return { code, message: body.message, ...(field ? { field } : {}) };
    },
  };
}

/** The first field a google.rpc.BadRequest detail names, if the server sent one. */
function fieldViolation(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    if (!isObject(detail) || !String(detail['@type']).endsWith('google.rpc.BadRequest')) continue;
    const violations = detail.fieldViolations;
    if (Array.isArray(violations) && isObject(violations[0]) && typeof violations[0].field === 'string') {
      return violations[0].field;
    }
  }
  return undefined;
}
