// One handler per operationId (compile-time complete over every operation either dialect serves): reads
// render records, mutations go to the store's resource modules.
import type { AnyOperationId, NamespacePermission, OwnerType } from '../ops-api/types';
import { paginate, type PageLimits, type PageRequest } from './pagination';
import { REGIONS } from './regions';
import {
  changeMember,
  createApiKey,
  createCustomRole,
  createUserGroup,
  createNamespace,
  createServiceAccount,
  createUser,
  setNamespaceAccess,
  setUserGroupNamespaceAccess,
  updateApiKey,
  updateCustomRole,
  updateUserGroup,
  updateNamespace,
  updatePrincipal,
  iso,
  type MutationOptions,
  type RecordOf,
  type ResourceKind,
  type Store,
} from './store';
import type { UnmodelledSent } from './unmodelled-fields';

/** The real API's list filters, which the given document lacks (only the /cloud routes set them). */
export interface ListFilters {
  /** listNamespaces: the namespace's name. */
  name?: string;
  /** listUsers: the user's email (case-insensitively). */
  email?: string;
  /** listUsers, listUserGroups: those with access to this namespace id. */
  namespace?: string;
  /** listUserGroups: the group's display name. */
  displayName?: string;
}

/** What a handler sees of a request once auth, faults and schema validation have passed. */
export interface OperationRequest {
  params: Record<string, string>;
  query: PageRequest & { ownerId?: string; ownerType?: OwnerType };
  body: unknown;
  filters?: ListFilters;
  /** A /cloud request's spec fields the domain does not model, when the `unmodelledFields` switch keeps them. */
  unmodelled?: UnmodelledSent;
}

export interface HandlerContext {
  store: Store;
  limits: PageLimits;
  mutation: MutationOptions;
}

type Handler = (req: OperationRequest, ctx: HandlerContext) => unknown;

const param = (req: OperationRequest, name: string): string => req.params[name] ?? '';

/** A list: the records that pass `keep`, a page of them rendered under `field` (also the page token's list). */
function list<K extends ResourceKind>(
  kind: K,
  field: string,
  keep: (r: RecordOf[K], req: OperationRequest) => boolean = () => true,
): Handler {
  return (req, { store, limits }) => {
    // Filters apply before paging, so every page is full and the cursor stays valid across filters.
    const matching = [...store.records(kind).values()].filter((r) => keep(r, req));
    const { page, nextPageToken } = paginate(field, matching, req.query, limits);
    return { [field]: page.map((r) => store.render(kind, r)), ...(nextPageToken ? { nextPageToken } : {}) };
  };
}

const get =
  (kind: ResourceKind, idParam: string): Handler =>
  (req, { store }) =>
    store.render(kind, store.existing(kind, param(req, idParam)));

const remove =
  (kind: ResourceKind, operationType: AnyOperationId, idParam: string): Handler =>
  (req, { store, mutation }) =>
    store.delete(kind, operationType, param(req, idParam), mutation);

// Bodies are cast only after the spec's schema (plus the silences' stricter ones) has accepted them;
// the store re-checks whatever the schemas leave optional.
type Body = never;

export const HANDLERS: Record<AnyOperationId, Handler> = {
  listNamespaces: list('namespace', 'namespaces', (n, req) => {
    const name = req.filters?.name;
    return name === undefined || n.spec.name === name;
  }),
  createNamespace: (req, { store, mutation }) => createNamespace(store, req.body as Body, mutation),
  getNamespace: get('namespace', 'namespace'),
  deleteNamespace: remove('namespace', 'deleteNamespace', 'namespace'),
  updateNamespace: (req, { store, mutation }) =>
    updateNamespace(store, param(req, 'namespace'), req.body as Body, mutation),

  listUsers: list('user', 'users', (u, req) => {
    const email = req.filters?.email?.toLowerCase();
    const namespace = req.filters?.namespace;
    return (
      (email === undefined || u.spec.email.toLowerCase() === email) &&
      (namespace === undefined || Object.hasOwn(u.spec.access?.namespaceAccesses ?? {}, namespace))
    );
  }),
  createUser: (req, { store, mutation }) => createUser(store, req.body as Body, mutation),
  getUser: get('user', 'userId'),
  deleteUser: remove('user', 'deleteUser', 'userId'),

  listServiceAccounts: list('serviceAccount', 'serviceAccounts'),
  createServiceAccount: (req, { store, mutation }) => createServiceAccount(store, req.body as Body, mutation),
  getServiceAccount: get('serviceAccount', 'serviceAccountId'),
  deleteServiceAccount: remove('serviceAccount', 'deleteServiceAccount', 'serviceAccountId'),

  // An empty filter never gets here: the query validator drops empty optional parameters.
  listApiKeys: list('apiKey', 'apiKeys', (k, { query: { ownerId, ownerType } }) => {
    return (
      (ownerId === undefined || k.spec.ownerId === ownerId) &&
      (ownerType === undefined || k.spec.ownerType === ownerType)
    );
  }),
  createApiKey: (req, { store, mutation }) => createApiKey(store, req.body as Body, mutation),
  getApiKey: get('apiKey', 'keyId'),
  deleteApiKey: remove('apiKey', 'deleteApiKey', 'keyId'),

  listRegions: () => ({ regions: REGIONS.map((r) => ({ ...r })) }),
  getAsyncOperation: (req, { store }) => store.getOperation(param(req, 'asyncOperationId')),
  // The real API only (served on /cloud): changing an existing principal or key.
  updateUser: (req, { store, mutation }) =>
    updatePrincipal(store, 'user', param(req, 'userId'), req.body as Body, mutation),
  updateServiceAccount: (req, { store, mutation }) =>
    updatePrincipal(store, 'serviceAccount', param(req, 'serviceAccountId'), req.body as Body, mutation),
  updateApiKey: (req, { store, mutation }) =>
    updateApiKey(store, param(req, 'keyId'), req.body as Body, mutation),
  setUserNamespaceAccess: (req, { store, mutation }) =>
    setNamespaceAccess(store, 'user', param(req, 'userId'), req.body as AccessChange, mutation),
  setServiceAccountNamespaceAccess: (req, { store, mutation }) =>
    setNamespaceAccess(
      store,
      'serviceAccount',
      param(req, 'serviceAccountId'),
      req.body as AccessChange,
      mutation,
    ),
  // User groups and custom roles (the real API only).
  listUserGroups: list('userGroup', 'groups', (g, { filters }) => {
    const { namespace, displayName } = filters ?? {};
    return (
      (displayName === undefined || g.spec.displayName === displayName) &&
      (namespace === undefined || Object.hasOwn(g.spec.access?.namespaceAccesses ?? {}, namespace))
    );
  }),
  getUserGroup: get('userGroup', 'groupId'),
  createUserGroup: (req, { store, mutation }) => createUserGroup(store, req.body as Body, mutation),
  updateUserGroup: (req, { store, mutation }) =>
    updateUserGroup(store, param(req, 'groupId'), req.body as Body, mutation),
  deleteUserGroup: remove('userGroup', 'deleteUserGroup', 'groupId'),
  setUserGroupNamespaceAccess: (req, { store, mutation }) =>
    setUserGroupNamespaceAccess(store, param(req, 'groupId'), req.body as AccessChange, mutation),
  addUserGroupMember: (req, { store, mutation }) =>
    changeMember(store, param(req, 'groupId'), req.body as Body, true, mutation),
  removeUserGroupMember: (req, { store, mutation }) =>
    changeMember(store, param(req, 'groupId'), req.body as Body, false, mutation),
  listUserGroupMembers: (req, { store, limits }) => {
    const group = store.existing('userGroup', param(req, 'groupId'));
    // The members' join order is the cursor's sequence.
    const members = group.members.map((m, i) => ({ ...m, seq: i + 1 }));
    const { page, nextPageToken } = paginate('members', members, req.query, limits);
    return {
      members: page.map((m) => ({ userId: m.userId, createdTime: iso(m.addedAt) })),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
  },
  listCustomRoles: list('customRole', 'customRoles'),
  getCustomRole: get('customRole', 'roleId'),
  createCustomRole: (req, { store, mutation }) => createCustomRole(store, req.body as Body, mutation),
  updateCustomRole: (req, { store, mutation }) =>
    updateCustomRole(store, param(req, 'roleId'), req.body as Body, mutation),
  deleteCustomRole: remove('customRole', 'deleteCustomRole', 'roleId'),
};

type AccessChange = {
  namespace: string;
  access: { permission: NamespacePermission };
  resourceVersion: string;
};
