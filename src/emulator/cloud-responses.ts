// A domain answer as the real API's response message: resources wrapped and translated with the mapping
// functions, lists under the proto's field names, and mutations answering the whole async operation.
import {
  apiKeyToCloud,
  asyncOperationToCloud,
  namespaceToCloud,
  regionToCloud,
  serviceAccountToCloud,
  userToCloud,
  type Json,
} from '../ops-api/cloud/mapping';
import type {
  ApiKey,
  AsyncOperation,
  AsyncOperationResponse,
  CreateApiKeyResponse,
  CreateNamespaceResponse,
  CreateServiceAccountResponse,
  CreateUserResponse,
  ListApiKeysResponse,
  ListNamespacesResponse,
  ListRegionsResponse,
  ListServiceAccountsResponse,
  ListUsersResponse,
  AnyOperationId,
  Namespace,
  ServiceAccount,
  User,
} from '../ops-api/types';
import type { Store } from './store';

type Encoder = (result: never, store: Store) => Json;

const page = (r: { nextPageToken?: string }): Json =>
  r.nextPageToken ? { nextPageToken: r.nextPageToken } : {};
/** The operation as getAsyncOperation renders it now (a replayed answer shows how far it has got). */
const operation = (store: Store, r: AsyncOperationResponse): Json => ({
  asyncOperation: asyncOperationToCloud(store.getOperation(r.asyncOperationId)),
});

/** A resource with the unmodelled spec fields its record keeps (realism switch `unmodelledFields`). */
function withKept<R extends { spec: object }>(resource: R, record: { unmodelled?: Json } | undefined): R {
  return record?.unmodelled
    ? { ...resource, spec: { ...resource.spec, preserved: record.unmodelled } }
    : resource;
}
const ns = (store: Store) => (r: Namespace) =>
  namespaceToCloud(withKept(r, store.namespaces.get(r.namespace)));
const user = (store: Store) => (r: User) => userToCloud(withKept(r, store.users.get(r.id)));
const account = (store: Store) => (r: ServiceAccount) =>
  serviceAccountToCloud(withKept(r, store.serviceAccounts.get(r.id)));
const key = (store: Store) => (r: ApiKey) => apiKeyToCloud(withKept(r, store.apiKeys.get(r.id)));

const RESPONSES: Record<AnyOperationId, Encoder> = {
  listNamespaces: (r: ListNamespacesResponse, store) => ({
    namespaces: r.namespaces.map(ns(store)),
    ...page(r),
  }),
  createNamespace: (r: CreateNamespaceResponse, store) => ({
    namespace: r.namespace,
    ...operation(store, r),
  }),
  getNamespace: (r: Namespace, store) => ({ namespace: ns(store)(r) }),
  deleteNamespace: (r: AsyncOperationResponse, store) => operation(store, r),
  updateNamespace: (r: AsyncOperationResponse, store) => operation(store, r),
  listUsers: (r: ListUsersResponse, store) => ({ users: r.users.map(user(store)), ...page(r) }),
  createUser: (r: CreateUserResponse, store) => ({ userId: r.userId, ...operation(store, r) }),
  getUser: (r: User, store) => ({ user: user(store)(r) }),
  deleteUser: (r: AsyncOperationResponse, store) => operation(store, r),
  // The real list field is singular.
  listServiceAccounts: (r: ListServiceAccountsResponse, store) => ({
    serviceAccount: r.serviceAccounts.map(account(store)),
    ...page(r),
  }),
  createServiceAccount: (r: CreateServiceAccountResponse, store) => ({
    serviceAccountId: r.serviceAccountId,
    ...operation(store, r),
  }),
  getServiceAccount: (r: ServiceAccount, store) => ({ serviceAccount: account(store)(r) }),
  deleteServiceAccount: (r: AsyncOperationResponse, store) => operation(store, r),
  listApiKeys: (r: ListApiKeysResponse, store) => ({ apiKeys: r.apiKeys.map(key(store)), ...page(r) }),
  // A replayed create has no token: it is shown once.
  createApiKey: (r: CreateApiKeyResponse, store) => ({
    keyId: r.keyId,
    ...(r.token ? { token: r.token } : {}),
    ...operation(store, r),
  }),
  getApiKey: (r: ApiKey, store) => ({ apiKey: key(store)(r) }),
  deleteApiKey: (r: AsyncOperationResponse, store) => operation(store, r),
  listRegions: (r: ListRegionsResponse) => ({ regions: r.regions.map(regionToCloud) }),
  getAsyncOperation: (r: AsyncOperation) => ({ asyncOperation: asyncOperationToCloud(r) }),
  updateUser: (r: AsyncOperationResponse, store) => operation(store, r),
  updateServiceAccount: (r: AsyncOperationResponse, store) => operation(store, r),
  updateApiKey: (r: AsyncOperationResponse, store) => operation(store, r),
  setUserNamespaceAccess: (r: AsyncOperationResponse, store) => operation(store, r),
  setServiceAccountNamespaceAccess: (r: AsyncOperationResponse, store) => operation(store, r),
};

/** The /cloud response message of an operation's domain result. */
export function encodeCloudResponse(operationId: AnyOperationId, result: unknown, store: Store): Json {
  return RESPONSES[operationId](result as never, store);
}
