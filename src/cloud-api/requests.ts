// The real API's request message (as JSON) of each operation, from the operation's input in the domain's
// terms: what the client sends, and what the emulator holds a /cloud request to (nothing it said is lost).
import { ownerTypes, permissions } from './enums';
import {
  customRoleSpecToCloud,
  userGroupSpecToCloud,
  type CustomRoleSpecForm,
  type UserGroupSpecForm,
} from './access-specs';
import type { Json } from './json';
import {
  apiKeySpecToCloud,
  namespaceSpecToCloud,
  serviceAccountSpecToCloud,
  userSpecToCloud,
  type ApiKeySpecForm,
  type NamespaceSpecForm,
  type ServiceAccountSpecForm,
  type UserSpecForm,
} from './specs';

type Create<S> = { spec: S; asyncOperationId?: string };
type Update<S> = Json & { spec: S };
type AccessChange = Json & { access: { permission: string } };

const same = (input: object): Json => ({ ...input });
/** Add/RemoveUserGroupMember: the member as the API names it (a oneof, of which a user is the one kind). */
const member = ({ userId, ...rest }: Json & { userId: string }): Json => ({ ...rest, memberId: { userId } });
const accessChange = (i: AccessChange): Json => ({
  ...i,
  access: { permission: permissions.toProto(i.access.permission) },
});

/** Keyed by our operationIds (the given document's 19 and the real API's own), each the CloudService method's. */
export const REQUEST_MESSAGES = {
  listNamespaces: same,
  createNamespace: (i: Create<NamespaceSpecForm>) => ({
    spec: namespaceSpecToCloud(i.spec),
    asyncOperationId: i.asyncOperationId,
  }),
  getNamespace: same,
  deleteNamespace: same,
  updateNamespace: (i: Create<NamespaceSpecForm> & { namespace: string; resourceVersion: string }) => ({
    namespace: i.namespace,
    spec: namespaceSpecToCloud(i.spec),
    resourceVersion: i.resourceVersion,
    asyncOperationId: i.asyncOperationId,
  }),
  listUsers: same,
  createUser: (i: Create<UserSpecForm>) => ({
    spec: userSpecToCloud(i.spec),
    asyncOperationId: i.asyncOperationId,
  }),
  getUser: same,
  deleteUser: same,
  listServiceAccounts: same,
  createServiceAccount: (i: Create<ServiceAccountSpecForm>) => ({
    spec: serviceAccountSpecToCloud(i.spec),
    asyncOperationId: i.asyncOperationId,
  }),
  getServiceAccount: same,
  deleteServiceAccount: same,
  listApiKeys: (i: Json & { ownerType?: string }) => ({
    ...i,
    ownerType: i.ownerType ? ownerTypes.toProto(i.ownerType) : undefined,
  }),
  createApiKey: (i: Create<ApiKeySpecForm>) => ({
    spec: apiKeySpecToCloud(i.spec),
    asyncOperationId: i.asyncOperationId,
  }),
  getApiKey: same,
  deleteApiKey: same,
  listRegions: () => ({}),
  getAsyncOperation: same,
  updateUser: (i: Update<UserSpecForm>) => ({ ...i, spec: userSpecToCloud(i.spec) }),
  updateServiceAccount: (i: Update<ServiceAccountSpecForm>) => ({
    ...i,
    spec: serviceAccountSpecToCloud(i.spec),
  }),
  updateApiKey: (i: Update<ApiKeySpecForm>) => ({ ...i, spec: apiKeySpecToCloud(i.spec) }),
  setUserNamespaceAccess: accessChange,
  setServiceAccountNamespaceAccess: accessChange,
  listUserGroups: same,
  getUserGroup: same,
  createUserGroup: (i: Create<UserGroupSpecForm>) => ({
    spec: userGroupSpecToCloud(i.spec),
    asyncOperationId: i.asyncOperationId,
  }),
  updateUserGroup: (i: Update<UserGroupSpecForm>) => ({ ...i, spec: userGroupSpecToCloud(i.spec) }),
  deleteUserGroup: same,
  setUserGroupNamespaceAccess: accessChange,
  addUserGroupMember: member,
  removeUserGroupMember: member,
  listUserGroupMembers: same,
  listCustomRoles: same,
  getCustomRole: same,
  createCustomRole: (i: Create<CustomRoleSpecForm>) => ({
    spec: customRoleSpecToCloud(i.spec),
    asyncOperationId: i.asyncOperationId,
  }),
  updateCustomRole: (i: Update<CustomRoleSpecForm>) => ({ ...i, spec: customRoleSpecToCloud(i.spec) }),
  deleteCustomRole: same,
} satisfies Record<string, (input: never) => Json>;

export type CloudOperationId = keyof typeof REQUEST_MESSAGES;

/** The request message of an operation (its fields may still be undefined: the caller leaves those out). */
export function requestMessage(operationId: CloudOperationId, input: object): Json {
  return (REQUEST_MESSAGES[operationId] as (i: object) => Json)(input);
}
