// The real API's access resources beyond users and service accounts: user groups, their members, and custom
// roles (CloudService GetUserGroups…DeleteCustomRole). The given document has none: in the `openapi` dialect
// `client.supports()` is false for each of these operations.
import type {
  Access,
  AsyncOperationResponse,
  ClientOperationId,
  NamespaceAccessRequest,
  PageParams,
  ServiceAccountState,
  Unmodelled,
} from './types';

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
