import type {
  CreateApiKeyRequest,
  CreateNamespaceRequest,
  CreateServiceAccountRequest,
  CreateUserRequest,
  ListApiKeysResponse,
  ListNamespacesResponse,
  ListRegionsResponse,
  ListServiceAccountsResponse,
  ListUsersResponse,
  AnyOperationId,
  NamespacePermission,
  OwnerType,
  UpdateNamespaceRequest,
} from '../ops-api/types';
import { paginate, type PageLimits, type PageRequest } from './pagination';
import { REGIONS } from './regions';
import type { MutationOptions, Store } from './store';
import type { UnmodelledSent } from './unmodelled-fields';

/** The real API's list filters, which the given document lacks (only the /cloud routes set them). */
export interface ListFilters {
  /** listNamespaces: the namespace's name. */
  name?: string;
  /** listUsers: the user's email (case-insensitively). */
  email?: string;
  /** listUsers: users with access to this namespace id. */
  namespace?: string;
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

// Bodies are cast only after the spec's schema (plus the silences' stricter ones) has accepted them;
// the store re-checks whatever the schemas leave optional.
export const HANDLERS: Record<AnyOperationId, Handler> = {
  listNamespaces: (req, { store, limits }): ListNamespacesResponse => {
    const name = req.filters?.name;
    const matching = [...store.namespaces.values()].filter((n) => name === undefined || n.spec.name === name);
    const { page, nextPageToken } = paginate('namespaces', matching, req.query, limits);
    return {
      namespaces: page.map((r) => store.renderNamespace(r)),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
  },
  createNamespace: (req, { store, mutation }) =>
    store.createNamespace(req.body as CreateNamespaceRequest, mutation),
  getNamespace: (req, { store }) => store.renderNamespace(store.getNamespaceRecord(param(req, 'namespace'))),
  deleteNamespace: (req, { store, mutation }) => store.deleteNamespace(param(req, 'namespace'), mutation),
  updateNamespace: (req, { store, mutation }) =>
    store.updateNamespace(param(req, 'namespace'), req.body as UpdateNamespaceRequest, mutation),

  listUsers: (req, { store, limits }): ListUsersResponse => {
    const email = req.filters?.email?.toLowerCase();
    const namespace = req.filters?.namespace;
    const matching = [...store.users.values()].filter(
      (u) =>
        (email === undefined || u.spec.email.toLowerCase() === email) &&
        (namespace === undefined || Object.hasOwn(u.spec.access?.namespaceAccesses ?? {}, namespace)),
    );
    const { page, nextPageToken } = paginate('users', matching, req.query, limits);
    return { users: page.map((r) => store.renderUser(r)), ...(nextPageToken ? { nextPageToken } : {}) };
  },
  createUser: (req, { store, mutation }) => store.createUser(req.body as CreateUserRequest, mutation),
  getUser: (req, { store }) => store.renderUser(store.getUserRecord(param(req, 'userId'))),
  deleteUser: (req, { store, mutation }) => store.deleteUser(param(req, 'userId'), mutation),

  listServiceAccounts: (req, { store, limits }): ListServiceAccountsResponse => {
    const { page, nextPageToken } = paginate(
      'serviceAccounts',
      store.serviceAccounts.values(),
      req.query,
      limits,
    );
    return {
      serviceAccounts: page.map((r) => store.renderServiceAccount(r)),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
  },
  createServiceAccount: (req, { store, mutation }) =>
    store.createServiceAccount(req.body as CreateServiceAccountRequest, mutation),
  getServiceAccount: (req, { store }) =>
    store.renderServiceAccount(store.getServiceAccountRecord(param(req, 'serviceAccountId'))),
  deleteServiceAccount: (req, { store, mutation }) =>
    store.deleteServiceAccount(param(req, 'serviceAccountId'), mutation),

  listApiKeys: (req, { store, limits }): ListApiKeysResponse => {
    const { ownerId, ownerType } = req.query;
    // Filters apply before paging, so every page is full and the cursor stays valid across filters.
    // An empty filter never gets here: the query validator drops empty optional parameters.
    const matching = [...store.apiKeys.values()].filter(
      (k) =>
        (ownerId === undefined || k.spec.ownerId === ownerId) &&
        (ownerType === undefined || k.spec.ownerType === ownerType),
    );
    const { page, nextPageToken } = paginate('apiKeys', matching, req.query, limits);
    return { apiKeys: page.map((r) => store.renderApiKey(r)), ...(nextPageToken ? { nextPageToken } : {}) };
  },
  createApiKey: (req, { store, mutation }) => store.createApiKey(req.body as CreateApiKeyRequest, mutation),
  getApiKey: (req, { store }) => store.renderApiKey(store.getApiKeyRecord(param(req, 'keyId'))),
  deleteApiKey: (req, { store, mutation }) => store.deleteApiKey(param(req, 'keyId'), mutation),

  listRegions: (): ListRegionsResponse => ({ regions: REGIONS.map((r) => ({ ...r })) }),
  getAsyncOperation: (req, { store }) => store.getOperation(param(req, 'asyncOperationId')),
  // The real API only (served on /cloud): changing an existing principal.
  updateUser: (req, { store, mutation }) =>
    store.updatePrincipal('user', param(req, 'userId'), req.body as PrincipalUpdate, mutation),
  updateServiceAccount: (req, { store, mutation }) =>
    store.updatePrincipal(
      'serviceAccount',
      param(req, 'serviceAccountId'),
      req.body as PrincipalUpdate,
      mutation,
    ),
  updateApiKey: (req, { store, mutation }) =>
    store.updateApiKey(param(req, 'keyId'), req.body as ApiKeyUpdate, mutation),
  setUserNamespaceAccess: (req, { store, mutation }) =>
    store.setNamespaceAccess('user', param(req, 'userId'), req.body as AccessChange, {
      ...mutation,
      operationType: 'setUserNamespaceAccess',
    }),
  setServiceAccountNamespaceAccess: (req, { store, mutation }) =>
    store.setNamespaceAccess('serviceAccount', param(req, 'serviceAccountId'), req.body as AccessChange, {
      ...mutation,
      operationType: 'setServiceAccountNamespaceAccess',
    }),
};

type PrincipalUpdate = { resourceVersion: string; spec: CreateUserRequest['spec'] };
type ApiKeyUpdate = { resourceVersion: string; spec: CreateApiKeyRequest['spec'] & { disabled?: boolean } };
type AccessChange = {
  namespace: string;
  access: { permission: NamespacePermission };
  resourceVersion: string;
};
