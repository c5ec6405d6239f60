// The real Ops API (Temporal's cloud-api through its HTTP gateway): routes, messages and request encoding from
// the wire contract (src/cloud-api), resources wrapped (`{namespace: {...}}`), enums by name, mutations
// answering an `asyncOperation` object, errors as google.rpc.Status, and the API version pinned in a header.
import {
  CLOUD_API_VERSION_HEADER,
  DEFAULT_CLOUD_API_VERSION,
  canonicalProtoJson,
  cloudRoutes,
  domainCodeOf,
  isObject,
  requestMessage,
  type Json,
} from '../../cloud-api';
import {
  apiKeyFromCloud,
  asyncOperationFromCloud,
  customRoleFromCloud,
  namespaceFromCloud,
  regionFromCloud,
  serviceAccountFromCloud,
  userFromCloud,
  userGroupFromCloud,
  userGroupMemberFromCloud,
} from '../cloud/mapping';
import {
  ALL_OPERATION_IDS,
  type AnyOperationId,
  type ErrorCode,
  type OperationInput,
  type OperationOutput,
  type Operations,
} from '../types';
import * as wire from './dialect';

/** The route of every operation (the 19 and the real API's own), derived from the protos once. */
export const CLOUD_ROUTES = cloudRoutes(ALL_OPERATION_IDS);

const list = (body: Json, field: string): unknown[] => {
  const items = body[field];
  // canonical protobuf JSON omits an empty repeated field
  return Array.isArray(items) ? items : [];
};
const page = (body: Json) =>
  typeof body.nextPageToken === 'string' && body.nextPageToken ? { nextPageToken: body.nextPageToken } : {};

/** The id of the async operation a mutation answered with. */
function operationIdOf(op: AnyOperationId, body: Json): string {
  const id = isObject(body.asyncOperation) ? body.asyncOperation.id : undefined;
  wire.expectShape(typeof id === 'string' && id !== '', op, 'an asyncOperation');
  return id;
}

/** A mutation's answer: the async operation it started. */
const started = (op: AnyOperationId) => (b: Json) => ({ asyncOperationId: operationIdOf(op, b) });

/** A create's answer: the new resource's id under `field`, and the async operation. */
function created<F extends string>(op: AnyOperationId, b: Json, field: F) {
  const id = b[field];
  wire.expectShape(typeof id === 'string', op, `"${field}"`);
  return { [field]: id, asyncOperationId: operationIdOf(op, b) } as { [K in F]: string } & {
    asyncOperationId: string;
  };
}

function resource(op: AnyOperationId, body: Json, field: string): unknown {
  wire.expectShape(isObject(body[field]), op, `"${field}"`);
  return body[field];
}

/** The domain result of each operation, from the real API's response message. */
const RESPONSES: { [Op in AnyOperationId]: (body: Json) => Operations[Op]['output'] } = {
  listNamespaces: (b) => ({ namespaces: list(b, 'namespaces').map(namespaceFromCloud), ...page(b) }),
  createNamespace: (b) => created('createNamespace', b, 'namespace'),
  getNamespace: (b) => namespaceFromCloud(resource('getNamespace', b, 'namespace')),
  deleteNamespace: started('deleteNamespace'),
  updateNamespace: started('updateNamespace'),
  listUsers: (b) => ({ users: list(b, 'users').map(userFromCloud), ...page(b) }),
  createUser: (b) => created('createUser', b, 'userId'),
  getUser: (b) => userFromCloud(resource('getUser', b, 'user')),
  deleteUser: started('deleteUser'),
  // The real list field is singular.
  listServiceAccounts: (b) => ({
    serviceAccounts: list(b, 'serviceAccount').map(serviceAccountFromCloud),
    ...page(b),
  }),
  createServiceAccount: (b) => created('createServiceAccount', b, 'serviceAccountId'),
  getServiceAccount: (b) => serviceAccountFromCloud(resource('getServiceAccount', b, 'serviceAccount')),
  deleteServiceAccount: started('deleteServiceAccount'),
  listApiKeys: (b) => ({ apiKeys: list(b, 'apiKeys').map(apiKeyFromCloud), ...page(b) }),
  createApiKey: (b) => ({
    ...created('createApiKey', b, 'keyId'),
    ...(typeof b.token === 'string' && b.token ? { token: b.token } : {}),
  }),
  getApiKey: (b) => apiKeyFromCloud(resource('getApiKey', b, 'apiKey')),
  deleteApiKey: started('deleteApiKey'),
  listRegions: (b) => ({ regions: list(b, 'regions').map(regionFromCloud) }),
  getAsyncOperation: (b) => asyncOperationFromCloud(resource('getAsyncOperation', b, 'asyncOperation')),
  updateUser: started('updateUser'),
  updateServiceAccount: started('updateServiceAccount'),
  updateApiKey: started('updateApiKey'),
  setUserNamespaceAccess: started('setUserNamespaceAccess'),
  setServiceAccountNamespaceAccess: started('setServiceAccountNamespaceAccess'),
  listUserGroups: (b) => ({ groups: list(b, 'groups').map(userGroupFromCloud), ...page(b) }),
  getUserGroup: (b) => userGroupFromCloud(resource('getUserGroup', b, 'group')),
  createUserGroup: (b) => created('createUserGroup', b, 'groupId'),
  updateUserGroup: started('updateUserGroup'),
  deleteUserGroup: started('deleteUserGroup'),
  setUserGroupNamespaceAccess: started('setUserGroupNamespaceAccess'),
  addUserGroupMember: started('addUserGroupMember'),
  removeUserGroupMember: started('removeUserGroupMember'),
  listUserGroupMembers: (b) => ({ members: list(b, 'members').map(userGroupMemberFromCloud), ...page(b) }),
  listCustomRoles: (b) => ({ customRoles: list(b, 'customRoles').map(customRoleFromCloud), ...page(b) }),
  getCustomRole: (b) => customRoleFromCloud(resource('getCustomRole', b, 'customRole')),
  createCustomRole: (b) => created('createCustomRole', b, 'roleId'),
  updateCustomRole: started('updateCustomRole'),
  deleteCustomRole: started('deleteCustomRole'),
};

export function cloudDialect(version: string = DEFAULT_CLOUD_API_VERSION): wire.Dialect {
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

    encode<Op extends AnyOperationId>(operationId: Op, input: OperationInput<Op>): wire.WireRequest {
      const route = CLOUD_ROUTES[operationId];
      const request = requestMessage(operationId, input);
      // Filled from the request's JSON names: the gateway's template has them in snake_case (`{user_id}`).
      const path = wire.fillPath(route.fieldPath.replace(/^\//, ''), request, operationId);
      const rest = Object.fromEntries(
        Object.entries(request).filter(([k, v]) => !route.pathFields.includes(k) && v !== undefined),
      );
      if (route.bodyIsRequest) return { method: route.verb, path, body: rest };
      const query = wire.compactQuery(rest);
      return { method: route.verb, path, ...(query ? { query } : {}) };
    },

    decode<Op extends AnyOperationId>(operationId: Op, body: unknown): OperationOutput<Op> {
      wire.expectShape(isObject(body), operationId, 'a JSON object');
      // The gateway spells out every unset field (null, false, "", [], {}): read in canonical form, a field at
      // its default is absent, so `"namespaceScopedAccess": null` is no scope and `false` no change.
      const canonical = canonicalProtoJson(CLOUD_ROUTES[operationId].response, body);
      return (RESPONSES[operationId] as (b: Json) => OperationOutput<Op>)(canonical);
    },

    decodeError(body: unknown): wire.DomainError | undefined {
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
