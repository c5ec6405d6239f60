// A domain answer as the real API's response message: resources translated (the emulator's half of the
// mapping; the specs are the wire contract's), lists under the proto's field names, and mutations answering
// the whole async operation.
import {
  apiKeySpecToCloud,
  cloudProviders,
  compact,
  customRoleSpecToCloud,
  namespaceSpecToCloud,
  operationStates,
  resourceStates,
  serviceAccountSpecToCloud,
  userGroupSpecToCloud,
  userSpecToCloud,
  type Json,
} from '../cloud-api';
import type {
  AnyOperationId,
  ApiKey,
  AsyncOperation,
  AsyncOperationResponse,
  CustomRole,
  Namespace,
  Region,
  ServiceAccount,
  User,
  UserGroup,
  UserGroupMember,
} from '../ops-api/types';
import type { ResourceKind, Store } from './store';

/** The domain's user `pending` (invited, the given document's) is the real API's `activating`. */
const resourceStateToCloud = (state: string): string =>
  resourceStates.toProto(state === 'pending' ? 'activating' : state);

export function namespaceToCloud(ns: Namespace): Json {
  return compact({
    namespace: ns.namespace,
    resourceVersion: ns.resourceVersion,
    spec: namespaceSpecToCloud(ns.spec),
    state: resourceStateToCloud(ns.state),
    asyncOperationId: ns.asyncOperationId,
    // The real API has one gRPC address for API-key clients and one for mTLS clients.
    endpoints: compact({
      webAddress: ns.endpoints.webAddress,
      grpcAddress: ns.endpoints.apiKeyGrpcAddress,
      mtlsGrpcAddress: ns.endpoints.mtlsGrpcAddress,
    }),
    activeRegion: ns.spec.region,
    createdTime: ns.createdTime,
    lastModifiedTime: ns.lastModifiedTime,
  });
}

/** An identity resource (user, service account, API key) with its spec translated by `specToCloud`. */
type Tracked = { createdTime?: string; lastModifiedTime?: string };
function identityToCloud<R extends User | ServiceAccount | ApiKey | UserGroup | CustomRole>(
  specToCloud: (spec: R['spec']) => Json,
) {
  return (r: R & Tracked): Json => ({
    ...compact({
      id: r.id,
      resourceVersion: r.resourceVersion,
      state: resourceStateToCloud(r.state),
      asyncOperationId: r.asyncOperationId,
      createdTime: r.createdTime,
      lastModifiedTime: r.lastModifiedTime,
    }),
    spec: specToCloud(r.spec),
  });
}
export const userToCloud = identityToCloud<User>(userSpecToCloud);
export const serviceAccountToCloud = identityToCloud<ServiceAccount>(serviceAccountSpecToCloud);
export const apiKeyToCloud = identityToCloud<ApiKey>(apiKeySpecToCloud);
export const userGroupToCloud = identityToCloud<UserGroup>(userGroupSpecToCloud);
export const customRoleToCloud = identityToCloud<CustomRole>(customRoleSpecToCloud);

export function regionToCloud(r: Region): Json {
  return compact({
    id: r.id,
    cloudProvider: r.cloudProvider ? cloudProviders.toProto(r.cloudProvider) : undefined,
    cloudProviderRegion: r.id?.replace(/^[a-z]+-/, ''),
    location: r.location,
  });
}

export function asyncOperationToCloud(op: AsyncOperation): Json {
  return compact({
    id: op.id,
    state: operationStates.toProto(op.state),
    checkDuration: op.checkDuration,
    operationType: op.operationType,
    failureReason: op.failureReason,
    startedTime: op.startedTime,
    finishedTime: op.finishedTime,
  });
}

// ---------------------------------------------------------------- response messages

type Encoder = (result: never, store: Store) => Json;

/** Each resource kind's translation, with the unmodelled spec fields its record keeps (`unmodelledFields`). */
const TO_CLOUD: Record<ResourceKind, (r: never) => Json> = {
  namespace: namespaceToCloud,
  user: userToCloud,
  serviceAccount: serviceAccountToCloud,
  apiKey: apiKeyToCloud,
  userGroup: userGroupToCloud,
  customRole: customRoleToCloud,
};
function toCloud(store: Store, kind: ResourceKind) {
  return (resource: { id?: string; namespace?: string; spec: object }): Json => {
    const kept = store.records(kind).get(resource.namespace ?? resource.id ?? '')?.unmodelled;
    const withKept = kept ? { ...resource, spec: { ...resource.spec, preserved: kept } } : resource;
    return TO_CLOUD[kind](withKept as never);
  };
}

/** A resource wrapped: `{namespace: {...}}`. */
const one =
  (kind: ResourceKind, field: string): Encoder =>
  (r, store) => ({ [field]: toCloud(store, kind)(r) });

/** A page of resources under the proto's list field (`serviceAccount`: the real one is singular). */
const page =
  (kind: ResourceKind, field: string, cloudField = field): Encoder =>
  (r: Record<string, unknown> & { nextPageToken?: string }, store) => ({
    [cloudField]: (r[field] as never[]).map(toCloud(store, kind)),
    ...(r.nextPageToken ? { nextPageToken: r.nextPageToken } : {}),
  });

/** A mutation's answer: the operation as getAsyncOperation renders it now (a replay shows how far it got). */
const operation: Encoder = (r: AsyncOperationResponse, store) => ({
  asyncOperation: asyncOperationToCloud(store.getOperation(r.asyncOperationId)),
});
/** A create's answer: the new resource's id under `field`, and the operation. */
const created =
  (field: string): Encoder =>
  (r: AsyncOperationResponse & Record<string, unknown>, store) => ({
    [field]: r[field],
    ...operation(r as never, store),
  });

const RESPONSES: Record<AnyOperationId, Encoder> = {
  listNamespaces: page('namespace', 'namespaces'),
  createNamespace: created('namespace'),
  getNamespace: one('namespace', 'namespace'),
  deleteNamespace: operation,
  updateNamespace: operation,
  listUsers: page('user', 'users'),
  createUser: created('userId'),
  getUser: one('user', 'user'),
  deleteUser: operation,
  listServiceAccounts: page('serviceAccount', 'serviceAccounts', 'serviceAccount'),
  createServiceAccount: created('serviceAccountId'),
  getServiceAccount: one('serviceAccount', 'serviceAccount'),
  deleteServiceAccount: operation,
  listApiKeys: page('apiKey', 'apiKeys'),
  // A replayed create has no token: it is shown once.
  createApiKey: (r: { keyId: string; token?: string } & AsyncOperationResponse, store) => ({
    keyId: r.keyId,
    ...(r.token ? { token: r.token } : {}),
    ...operation(r as never, store),
  }),
  getApiKey: one('apiKey', 'apiKey'),
  deleteApiKey: operation,
  listRegions: (r: { regions: Region[] }) => ({ regions: r.regions.map(regionToCloud) }),
  getAsyncOperation: (r: AsyncOperation) => ({ asyncOperation: asyncOperationToCloud(r) }),
  updateUser: operation,
  updateServiceAccount: operation,
  updateApiKey: operation,
  setUserNamespaceAccess: operation,
  setServiceAccountNamespaceAccess: operation,
  listUserGroups: page('userGroup', 'groups'),
  getUserGroup: one('userGroup', 'group'),
  createUserGroup: created('groupId'),
  updateUserGroup: operation,
  deleteUserGroup: operation,
  setUserGroupNamespaceAccess: operation,
  addUserGroupMember: operation,
  removeUserGroupMember: operation,
  listUserGroupMembers: (r: { members: UserGroupMember[]; nextPageToken?: string }) => ({
    members: r.members.map((m) => compact({ memberId: { userId: m.userId }, createdTime: m.createdTime })),
    ...(r.nextPageToken ? { nextPageToken: r.nextPageToken } : {}),
  }),
  listCustomRoles: page('customRole', 'customRoles'),
  getCustomRole: one('customRole', 'customRole'),
  createCustomRole: created('roleId'),
  updateCustomRole: operation,
  deleteCustomRole: operation,
};

/** The /cloud response message of an operation's domain result. */
export function encodeCloudResponse(operationId: AnyOperationId, result: unknown, store: Store): Json {
  return RESPONSES[operationId](result as never, store);
}
