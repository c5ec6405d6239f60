// The Ops API's operations as typed methods, named after their operationIds: each is one call of the client's
// one request path (client.ts), which encodes, sends, decodes and maps errors.
import type {
  ApiKey,
  AnyOperationId,
  AsyncOperation,
  AsyncOperationResponse,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  CreateNamespaceRequest,
  CreateNamespaceResponse,
  CreateServiceAccountRequest,
  CreateServiceAccountResponse,
  CreateUserRequest,
  CreateUserResponse,
  CustomRole,
  DeleteParams,
  ListApiKeysParams,
  ListApiKeysResponse,
  ListNamespacesResponse,
  ListRegionsResponse,
  ListServiceAccountsResponse,
  ListUsersResponse,
  Namespace,
  OperationInput,
  OperationOutput,
  PageParams,
  ServiceAccount,
  UpdateNamespaceRequest,
  User,
  UserGroup,
} from './types';

export abstract class OpsApiOperations {
  /** The one request path. */
  abstract call<Op extends AnyOperationId>(
    operationId: Op,
    input: OperationInput<Op>,
  ): Promise<OperationOutput<Op>>;

  // Namespaces
  listNamespaces(params: PageParams = {}): Promise<ListNamespacesResponse> {
    return this.call('listNamespaces', params);
  }
  createNamespace(body: CreateNamespaceRequest): Promise<CreateNamespaceResponse> {
    return this.call('createNamespace', body);
  }
  getNamespace(namespace: string): Promise<Namespace> {
    return this.call('getNamespace', { namespace });
  }
  deleteNamespace(namespace: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.call('deleteNamespace', { namespace, ...params });
  }
  updateNamespace(namespace: string, body: UpdateNamespaceRequest): Promise<AsyncOperationResponse> {
    return this.call('updateNamespace', { namespace, ...body });
  }

  // Users
  listUsers(params: PageParams = {}): Promise<ListUsersResponse> {
    return this.call('listUsers', params);
  }
  createUser(body: CreateUserRequest): Promise<CreateUserResponse> {
    return this.call('createUser', body);
  }
  getUser(userId: string): Promise<User> {
    return this.call('getUser', { userId });
  }
  deleteUser(userId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.call('deleteUser', { userId, ...params });
  }

  // Service accounts
  listServiceAccounts(params: PageParams = {}): Promise<ListServiceAccountsResponse> {
    return this.call('listServiceAccounts', params);
  }
  createServiceAccount(body: CreateServiceAccountRequest): Promise<CreateServiceAccountResponse> {
    return this.call('createServiceAccount', body);
  }
  getServiceAccount(serviceAccountId: string): Promise<ServiceAccount> {
    return this.call('getServiceAccount', { serviceAccountId });
  }
  deleteServiceAccount(serviceAccountId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.call('deleteServiceAccount', { serviceAccountId, ...params });
  }

  // API keys
  listApiKeys(params: ListApiKeysParams = {}): Promise<ListApiKeysResponse> {
    return this.call('listApiKeys', params);
  }
  createApiKey(body: CreateApiKeyRequest): Promise<CreateApiKeyResponse> {
    return this.call('createApiKey', body);
  }
  getApiKey(keyId: string): Promise<ApiKey> {
    return this.call('getApiKey', { keyId });
  }
  deleteApiKey(keyId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.call('deleteApiKey', { keyId, ...params });
  }

  // Regions and async operations
  listRegions(): Promise<ListRegionsResponse> {
    return this.call('listRegions', {});
  }
  getAsyncOperation(asyncOperationId: string): Promise<AsyncOperation> {
    return this.call('getAsyncOperation', { asyncOperationId });
  }

  // The real API only: changing an existing principal (see supports()).
  updateUser(input: OperationInput<'updateUser'>): Promise<AsyncOperationResponse> {
    return this.call('updateUser', input);
  }
  updateServiceAccount(input: OperationInput<'updateServiceAccount'>): Promise<AsyncOperationResponse> {
    return this.call('updateServiceAccount', input);
  }
  /** Changes an API key's spec (e.g. disables it: the key stops working, and can be enabled again). */
  updateApiKey(input: OperationInput<'updateApiKey'>): Promise<AsyncOperationResponse> {
    return this.call('updateApiKey', input);
  }
  setUserNamespaceAccess(input: OperationInput<'setUserNamespaceAccess'>): Promise<AsyncOperationResponse> {
    return this.call('setUserNamespaceAccess', input);
  }
  setServiceAccountNamespaceAccess(
    input: OperationInput<'setServiceAccountNamespaceAccess'>,
  ): Promise<AsyncOperationResponse> {
    return this.call('setServiceAccountNamespaceAccess', input);
  }

  // The real API only: user groups, their members, and custom roles (see types.ts).
  listUserGroups(params: OperationInput<'listUserGroups'> = {}): Promise<OperationOutput<'listUserGroups'>> {
    return this.call('listUserGroups', params);
  }
  getUserGroup(groupId: string): Promise<UserGroup> {
    return this.call('getUserGroup', { groupId });
  }
  createUserGroup(body: OperationInput<'createUserGroup'>): Promise<OperationOutput<'createUserGroup'>> {
    return this.call('createUserGroup', body);
  }
  updateUserGroup(input: OperationInput<'updateUserGroup'>): Promise<AsyncOperationResponse> {
    return this.call('updateUserGroup', input);
  }
  deleteUserGroup(groupId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.call('deleteUserGroup', { groupId, ...params });
  }
  setUserGroupNamespaceAccess(
    input: OperationInput<'setUserGroupNamespaceAccess'>,
  ): Promise<AsyncOperationResponse> {
    return this.call('setUserGroupNamespaceAccess', input);
  }
  addUserGroupMember(input: OperationInput<'addUserGroupMember'>): Promise<AsyncOperationResponse> {
    return this.call('addUserGroupMember', input);
  }
  removeUserGroupMember(input: OperationInput<'removeUserGroupMember'>): Promise<AsyncOperationResponse> {
    return this.call('removeUserGroupMember', input);
  }
  listUserGroupMembers(
    params: OperationInput<'listUserGroupMembers'>,
  ): Promise<OperationOutput<'listUserGroupMembers'>> {
    return this.call('listUserGroupMembers', params);
  }
  listCustomRoles(params: PageParams = {}): Promise<OperationOutput<'listCustomRoles'>> {
    return this.call('listCustomRoles', params);
  }
  getCustomRole(roleId: string): Promise<CustomRole> {
    return this.call('getCustomRole', { roleId });
  }
  createCustomRole(body: OperationInput<'createCustomRole'>): Promise<OperationOutput<'createCustomRole'>> {
    return this.call('createCustomRole', body);
  }
  updateCustomRole(input: OperationInput<'updateCustomRole'>): Promise<AsyncOperationResponse> {
    return this.call('updateCustomRole', input);
  }
  deleteCustomRole(roleId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.call('deleteCustomRole', { roleId, ...params });
  }
}
