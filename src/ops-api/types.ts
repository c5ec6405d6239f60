// Friendly names for the generated Ops API types. Nothing here is hand-written shape: every type is
// taken from src/ops-api/generated/*, which `npm run generate` makes from openapi/*.yml.
import type { components as Spec, operations } from './generated/schema';
import type { components as Silences } from './generated/silences';

type S = Spec['schemas'];
type X = Silences['schemas'];

export type OperationId = keyof operations;
export const OPERATION_IDS = [
  'listNamespaces',
  'createNamespace',
  'getNamespace',
  'deleteNamespace',
  'updateNamespace',
  'listUsers',
  'createUser',
  'getUser',
  'deleteUser',
  'listServiceAccounts',
  'createServiceAccount',
  'getServiceAccount',
  'deleteServiceAccount',
  'listApiKeys',
  'createApiKey',
  'getApiKey',
  'deleteApiKey',
  'listRegions',
  'getAsyncOperation',
] as const satisfies readonly OperationId[];

/** The access operations that start an async operation. */
export const ACCESS_MUTATION_IDS = [
  'createUserGroup',
  'updateUserGroup',
  'deleteUserGroup',
  'setUserGroupNamespaceAccess',
  'addUserGroupMember',
  'removeUserGroupMember',
  'createCustomRole',
  'updateCustomRole',
  'deleteCustomRole',
] as const satisfies ReadonlyArray<keyof AccessOperations>;
export const ACCESS_OPERATION_IDS = [
  'listUserGroups',
  'getUserGroup',
  'listUserGroupMembers',
  'listCustomRoles',
  'getCustomRole',
  ...ACCESS_MUTATION_IDS,
] as const satisfies ReadonlyArray<keyof AccessOperations>;

/**
 * Operations only the real API has: the given document offers no way to change an existing user's or
 * service account's access. Named after their CloudService methods, like the 19.
 */
export const CLOUD_ONLY_OPERATION_IDS = [
  'updateUser',
  'updateServiceAccount',
  'updateApiKey',
  'setUserNamespaceAccess',
  'setServiceAccountNamespaceAccess',
  ...ACCESS_OPERATION_IDS,
] as const;
export type CloudOnlyOperationId = (typeof CLOUD_ONLY_OPERATION_IDS)[number];
/** Every operation the client knows, in either dialect. */
export type AnyOperationId = OperationId | CloudOnlyOperationId;
export const ALL_OPERATION_IDS: readonly AnyOperationId[] = [...OPERATION_IDS, ...CLOUD_ONLY_OPERATION_IDS];

/** The operations that start an async operation. */
export const MUTATION_IDS = [
  'createNamespace',
  'updateNamespace',
  'deleteNamespace',
  'createUser',
  'deleteUser',
  'createServiceAccount',
  'deleteServiceAccount',
  'createApiKey',
  'deleteApiKey',
  'updateUser',
  'updateServiceAccount',
  'updateApiKey',
  'setUserNamespaceAccess',
  'setServiceAccountNamespaceAccess',
  ...ACCESS_MUTATION_IDS,
] as const satisfies readonly AnyOperationId[];
export type MutationId = (typeof MUTATION_IDS)[number];
export const isMutation = (id: string): id is MutationId => (MUTATION_IDS as readonly string[]).includes(id);

// Compile-time proof that OPERATION_IDS lists every operation of the spec.
type Missing = Exclude<OperationId, (typeof OPERATION_IDS)[number]>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

// The domain: what activities and workflows speak, whichever dialect is on the wire. Its vocabulary is
// the given document's (plus the documented silences); the `cloud` dialect translates to the real API.

export type AsyncOperationState = X['AsyncOperationState'];
/**
 * The real API's ResourceState values beyond the given document's (`deleted`, `suspended`, `expired`;
 * the emulator's `openapi` dialect never reports them, the real API may).
 */
type RealApiOnlyState = 'deleted' | 'suspended' | 'expired';
export type NamespaceState = X['NamespaceState'] | RealApiOnlyState;
/** `pending`: an invited user in the `openapi` dialect; the real API says `activating`. */
export type UserState = X['UserState'] | 'activating' | RealApiOnlyState;
export type ServiceAccountState = X['ServiceAccountState'] | RealApiOnlyState;
export type ApiKeyState = X['ApiKeyState'] | RealApiOnlyState;
export type OwnerType = X['OwnerType'];
export type NamespacePermission = X['NamespacePermission'];
/** The given document's roles plus the real API's finance and metrics roles. */
export type AccountRole = X['AccountRole'] | 'finance_admin' | 'metrics_read';
export type Access = Omit<X['Access'], 'accountAccess'> & { accountAccess?: { role: AccountRole } };
export type CodecServer = X['CodecServer'];
export type MtlsAuth = X['MtlsAuth'];
export type ApiKeyAuth = X['ApiKeyAuth'];
/**
 * A namespace spec. `preserved` carries the parts of a real-API spec this product does not manage
 * (lifecycle, high availability, search attributes, ...): an update sends the whole spec back, so they
 * must travel with it untouched. The `openapi` dialect has none.
 */
export type NamespaceSpec = X['NamespaceSpec'] & {
  apiKeyAuth?: ApiKeyAuth;
  preserved?: Record<string, unknown>;
};
export type NamespaceEndpoints = X['NamespaceEndpoints'];
/**
 * The part of a real-API spec this product does not model (a user's custom roles, a service account's
 * description, an API key's description, ...), as read: an update replaces the whole spec, so it travels
 * with the spec and goes back untouched (see src/cloud-api/unmodelled.ts). The `openapi` dialect has none.
 */
export interface Unmodelled {
  preserved?: Record<string, unknown>;
}
export type ErrorBody = X['Error'];
/** What every error is classified by, in both dialects (the `cloud` dialect maps gRPC codes onto it). */
export type ErrorCode = ErrorBody['code'];
type LatestOperation = X['LatestOperation'];

// Resources as the spec gives them, with the free-form parts narrowed by the documented silences.
export type Namespace = Omit<S['Namespace'], 'spec' | 'state' | 'endpoints'> & {
  namespace: string;
  resourceVersion: string;
  spec: NamespaceSpec;
  state: NamespaceState;
  endpoints: NamespaceEndpoints;
};
export type User = Omit<S['User'], 'spec' | 'state'> &
  LatestOperation & {
    id: string;
    resourceVersion: string;
    spec: { email: string; access?: Access } & Unmodelled;
    state: UserState;
  };
/**
 * A service account reaching exactly one namespace (the real API's `NamespaceScopedAccess`): its namespace is
 * fixed at creation, its permission may change. The given document has none.
 */
export interface NamespaceScopedAccess {
  /** The namespace id. */
  namespace: string;
  access: { permission: NamespacePermission };
}
/** Either account-wide `access` (with an account role, on the real API) or `namespaceScopedAccess`, never both. */
export type ServiceAccountSpec = {
  name: string;
  access?: Access;
  namespaceScopedAccess?: NamespaceScopedAccess;
};
export type ServiceAccount = Omit<S['ServiceAccount'], 'spec' | 'state'> &
  LatestOperation & {
    id: string;
    resourceVersion: string;
    spec: ServiceAccountSpec & Unmodelled;
    state: ServiceAccountState;
  };
export type ApiKey = Omit<S['ApiKey'], 'spec' | 'state'> &
  LatestOperation & {
    id: string;
    resourceVersion: string;
    spec: {
      displayName: string;
      ownerId: string;
      ownerType: OwnerType;
      expiryTime: string;
      /** The real API only: a disabled key stops working at once and can be enabled again (updateApiKey). */
      disabled?: boolean;
    } & Unmodelled;
    state: ApiKeyState;
  };
export type Region = S['Region'];
export type AsyncOperation = Omit<S['AsyncOperation'], 'state'> & {
  id: string;
  state: AsyncOperationState;
  checkDuration: string;
};

/** The client-chosen async operation id every mutation accepts (see ClientOperationId in the silences). */
export type ClientOperationId = X['ClientOperationId'];
export type CreateNamespaceRequest = { spec: NamespaceSpec } & ClientOperationId;
/** The whole spec, as read and merged with the change: an update never drops a field it does not mention. */
export type UpdateNamespaceRequest = { resourceVersion: string; spec: NamespaceSpec } & ClientOperationId;
export type CreateUserRequest = { spec: { email: string; access?: Access } } & ClientOperationId;
export type CreateServiceAccountRequest = { spec: ServiceAccountSpec } & ClientOperationId;
export type CreateApiKeyRequest = {
  spec: { displayName: string; ownerId: string; ownerType: OwnerType; expiryTime: string } & Unmodelled;
} & ClientOperationId;
/** Query parameters of every delete: the operation id, and the version just read (as tcld sends it). */
export type DeleteParams = ClientOperationId & { resourceVersion?: string };

export type CreateNamespaceResponse = Required<S['CreateNamespaceResponse']>;
export type AsyncOperationResponse = X['AsyncOperationResponse'];
export type CreateUserResponse = X['CreateUserResponse'];
export type CreateServiceAccountResponse = X['CreateServiceAccountResponse'];
/** `token` is absent when the server answers a repeat of an earlier create (same asyncOperationId). */
export type CreateApiKeyResponse = Omit<X['CreateApiKeyResponse'], 'token'> & { token?: string };

export interface PageParams {
  pageSize?: number;
  pageToken?: string;
}
export interface ListApiKeysParams extends PageParams {
  ownerId?: string;
  ownerType?: OwnerType;
}
export type ListNamespacesResponse = { namespaces: Namespace[]; nextPageToken?: string };
export type ListUsersResponse = { users: User[]; nextPageToken?: string };
export type ListServiceAccountsResponse = { serviceAccounts: ServiceAccount[]; nextPageToken?: string };
export type ListApiKeysResponse = { apiKeys: ApiKey[]; nextPageToken?: string };
export type ListRegionsResponse = { regions: Region[] };

/** Each operation's input (path parameters included) and output, in the domain's terms. */
export interface Operations extends AccessOperations {
  listNamespaces: { input: PageParams; output: ListNamespacesResponse };
  createNamespace: { input: CreateNamespaceRequest; output: CreateNamespaceResponse };
  getNamespace: { input: { namespace: string }; output: Namespace };
  deleteNamespace: { input: { namespace: string } & DeleteParams; output: AsyncOperationResponse };
  updateNamespace: { input: { namespace: string } & UpdateNamespaceRequest; output: AsyncOperationResponse };
  listUsers: { input: PageParams; output: ListUsersResponse };
  createUser: { input: CreateUserRequest; output: CreateUserResponse };
  getUser: { input: { userId: string }; output: User };
  deleteUser: { input: { userId: string } & DeleteParams; output: AsyncOperationResponse };
  listServiceAccounts: { input: PageParams; output: ListServiceAccountsResponse };
  createServiceAccount: { input: CreateServiceAccountRequest; output: CreateServiceAccountResponse };
  getServiceAccount: { input: { serviceAccountId: string }; output: ServiceAccount };
  deleteServiceAccount: {
    input: { serviceAccountId: string } & DeleteParams;
    output: AsyncOperationResponse;
  };
  listApiKeys: { input: ListApiKeysParams; output: ListApiKeysResponse };
  createApiKey: { input: CreateApiKeyRequest; output: CreateApiKeyResponse };
  getApiKey: { input: { keyId: string }; output: ApiKey };
  deleteApiKey: { input: { keyId: string } & DeleteParams; output: AsyncOperationResponse };
  listRegions: { input: Record<string, never>; output: ListRegionsResponse };
  getAsyncOperation: { input: { asyncOperationId: string }; output: AsyncOperation };
  // The real API only (see CLOUD_ONLY_OPERATION_IDS). Updates replace the whole spec, as for namespaces.
  updateUser: {
    input: { userId: string; resourceVersion: string; spec: User['spec'] } & ClientOperationId;
    output: AsyncOperationResponse;
  };
  updateServiceAccount: {
    input: {
      serviceAccountId: string;
      resourceVersion: string;
      spec: ServiceAccount['spec'];
    } & ClientOperationId;
    output: AsyncOperationResponse;
  };
  /** The whole spec, as read with the change made (e.g. `disabled: true`); the owner cannot change. */
  updateApiKey: {
    input: { keyId: string; resourceVersion: string; spec: ApiKey['spec'] } & ClientOperationId;
    output: AsyncOperationResponse;
  };
  /** Grants (or changes) one namespace's permission without touching the others. */
  setUserNamespaceAccess: {
    input: NamespaceAccessRequest & { userId: string };
    output: AsyncOperationResponse;
  };
  setServiceAccountNamespaceAccess: {
    input: NamespaceAccessRequest & { serviceAccountId: string };
    output: AsyncOperationResponse;
  };
}
export interface NamespaceAccessRequest extends ClientOperationId {
  /** The namespace id. */
  namespace: string;
  access: { permission: NamespacePermission };
  resourceVersion: string;
}
/**
 * What an API offers beyond operations, asked through `client.supports()`: the product adapts to the API
 * behind the client without knowing which dialect that is.
 */
export const CAPABILITIES = ['namespaceScopedServiceAccounts'] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const isCapability = (name: string): name is Capability =>
  (CAPABILITIES as readonly string[]).includes(name);

export type OperationInput<Op extends AnyOperationId> = Operations[Op]['input'];
export type OperationOutput<Op extends AnyOperationId> = Operations[Op]['output'];

// ---------------------------------------------------------------- user groups and custom roles
// The real API's access resources beyond users and service accounts (CloudService GetUserGroups…DeleteCustomRole).
// The given document has none: in the `openapi` dialect `client.supports()` is false for each of these operations.

/**
 * Who owns a group's membership: this API (`cloud`: Add/RemoveUserGroupMember), or an identity provider
 * (`google`, `scim`: membership is the provider's, readable here but changed there).
 */
export type UserGroupType = 'cloud' | 'google' | 'scim';
/**
 * A group's spec. Its custom roles (`accountAccess.customRoles`, ids) are not modelled, as a user's are not:
 * they travel in `preserved` (see customRolesOf in resources.ts).
 */
export type UserGroupSpec = {
  displayName: string;
  access?: Access;
  groupType: UserGroupType;
  googleGroupEmail?: string;
  scimIdpId?: string;
} & Unmodelled;
/** The real API's ResourceState, as for the other identities. */
export type AccessResourceState = ServiceAccountState;
interface Tracked {
  id: string;
  resourceVersion: string;
  state: AccessResourceState;
  asyncOperationId?: string;
  createdTime?: string;
  lastModifiedTime?: string;
}
export type UserGroup = Tracked & { spec: UserGroupSpec };
export interface UserGroupMember {
  userId: string;
  createdTime?: string;
}
/** One grant of a custom role: actions on resources of one type (some by id, or all of them). */
export interface CustomRolePermission {
  resources: { resourceType: string; resourceIds?: string[]; allowAll?: boolean };
  actions: string[];
}
export type CustomRoleSpec = {
  name: string;
  description?: string;
  permissions: CustomRolePermission[];
} & Unmodelled;
export type CustomRole = Tracked & { spec: CustomRoleSpec };

export interface ListUserGroupsParams extends PageParams {
  /** Groups with access to this namespace (id). */
  namespace?: string;
  displayName?: string;
}

type Update<Key extends string, Spec> = { [K in Key]: string } & {
  resourceVersion: string;
  spec: Spec;
} & ClientOperationId;
type Delete<Key extends string> = { [K in Key]: string } & ClientOperationId & { resourceVersion?: string };
type Started = AsyncOperationResponse;

export interface AccessOperations {
  listUserGroups: {
    input: ListUserGroupsParams;
    output: { groups: UserGroup[]; nextPageToken?: string };
  };
  getUserGroup: { input: { groupId: string }; output: UserGroup };
  createUserGroup: {
    input: { spec: UserGroupSpec } & ClientOperationId;
    output: { groupId: string } & Started;
  };
  /** The whole spec, as read with the change made; the group's type cannot change. */
  updateUserGroup: { input: Update<'groupId', UserGroupSpec>; output: Started };
  deleteUserGroup: { input: Delete<'groupId'>; output: Started };
  setUserGroupNamespaceAccess: { input: NamespaceAccessRequest & { groupId: string }; output: Started };
  addUserGroupMember: { input: { groupId: string; userId: string } & ClientOperationId; output: Started };
  removeUserGroupMember: { input: { groupId: string; userId: string } & ClientOperationId; output: Started };
  listUserGroupMembers: {
    input: { groupId: string } & PageParams;
    output: { members: UserGroupMember[]; nextPageToken?: string };
  };
  listCustomRoles: { input: PageParams; output: { customRoles: CustomRole[]; nextPageToken?: string } };
  getCustomRole: { input: { roleId: string }; output: CustomRole };
  createCustomRole: {
    input: { spec: CustomRoleSpec } & ClientOperationId;
    output: { roleId: string } & Started;
  };
  updateCustomRole: { input: Update<'roleId', CustomRoleSpec>; output: Started };
  deleteCustomRole: { input: Delete<'roleId'>; output: Started };
}
