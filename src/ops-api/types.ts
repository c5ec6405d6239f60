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

// Compile-time proof that OPERATION_IDS lists every operation of the spec.
type Missing = Exclude<OperationId, (typeof OPERATION_IDS)[number]>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

export type AsyncOperationState = X['AsyncOperationState'];
export type NamespaceState = X['NamespaceState'];
export type UserState = X['UserState'];
export type ServiceAccountState = X['ServiceAccountState'];
export type ApiKeyState = X['ApiKeyState'];
export type OwnerType = X['OwnerType'];
export type NamespacePermission = X['NamespacePermission'];
export type AccountRole = X['AccountRole'];
export type Access = X['Access'];
export type CodecServer = X['CodecServer'];
export type MtlsAuth = X['MtlsAuth'];
export type NamespaceSpec = X['NamespaceSpec'];
export type NamespaceUpdateSpec = X['NamespaceUpdateSpec'];
export type NamespaceEndpoints = X['NamespaceEndpoints'];
export type ErrorBody = X['Error'];
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
    spec: { email: string; access?: Access };
    state: UserState;
  };
export type ServiceAccount = Omit<S['ServiceAccount'], 'spec' | 'state'> &
  LatestOperation & {
    id: string;
    resourceVersion: string;
    spec: { name: string; access?: Access };
    state: ServiceAccountState;
  };
export type ApiKey = Omit<S['ApiKey'], 'spec' | 'state'> &
  LatestOperation & {
    id: string;
    resourceVersion: string;
    spec: { displayName: string; ownerId: string; ownerType: OwnerType; expiryTime: string };
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
export type UpdateNamespaceRequest = {
  resourceVersion: string;
  spec: NamespaceUpdateSpec;
} & ClientOperationId;
export type CreateUserRequest = { spec: { email: string; access?: Access } } & ClientOperationId;
export type CreateServiceAccountRequest = { spec: { name: string; access?: Access } } & ClientOperationId;
export type CreateApiKeyRequest = {
  spec: { displayName: string; ownerId: string; ownerType: OwnerType; expiryTime: string };
} & ClientOperationId;
/** Query parameters of every delete. */
export type DeleteParams = ClientOperationId;

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
