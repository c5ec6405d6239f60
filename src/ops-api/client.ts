import ky, { TimeoutError, type KyInstance } from 'ky';
import { OpsApiError, parseRetryAfter } from './errors';
import type {
  ApiKey,
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
  DeleteParams,
  ErrorBody,
  ListApiKeysParams,
  ListApiKeysResponse,
  ListNamespacesResponse,
  ListRegionsResponse,
  ListServiceAccountsResponse,
  ListUsersResponse,
  Namespace,
  OperationId,
  PageParams,
  ServiceAccount,
  UpdateNamespaceRequest,
  User,
} from './types';

export interface OpsApiClientConfig {
  /** e.g. https://saas-api.tmprl.cloud */
  baseUrl: string;
  /** Bearer API key. Kept in a closure, never on the instance, so it cannot be logged by accident. */
  apiKey: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Awaited before each request: the place for a rate limiter. */
  beforeRequest?: (operationId: OperationId) => Promise<void> | void;
  /** Called after each request with its outcome: the place for metrics and request logs. */
  afterRequest?: (event: RequestEvent) => void;
  /** Test seam; defaults to global fetch. */
  fetch?: typeof fetch;
}

export interface RequestEvent {
  operationId: OperationId;
  method: string;
  status: number | undefined;
  durationMs: number;
  error?: OpsApiError;
}

type Method = 'GET' | 'POST' | 'DELETE';
type Query = Record<string, string | number | undefined>;

export const DEFAULT_USER_AGENT = 'temporal-cloud-ops/0.1';

/**
 * Typed client for the 19 operations of the Ops API. One request path does all I/O and error mapping;
 * there are no retries here because Temporal activities own retrying.
 */
export class OpsApiClient {
  readonly baseUrl: string;
  readonly #http: KyInstance;
  readonly #config: OpsApiClientConfig;

  constructor(config: OpsApiClientConfig) {
    if (!config.baseUrl) throw new Error('OpsApiClient: baseUrl is required');
    if (!config.apiKey) throw new Error('OpsApiClient: apiKey is required');
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.#config = config;
    this.#http = ky.create({
      prefixUrl: this.baseUrl,
      timeout: config.timeoutMs ?? 30_000,
      retry: 0,
      throwHttpErrors: false,
      headers: {
        authorization: `Bearer ${config.apiKey}`,
        'user-agent': config.userAgent ?? DEFAULT_USER_AGENT,
        accept: 'application/json',
      },
      ...(config.fetch ? { fetch: config.fetch } : {}),
    });
  }

  // Namespaces
  listNamespaces(params: PageParams = {}): Promise<ListNamespacesResponse> {
    return this.#request('listNamespaces', 'GET', 'api/v1/namespaces', { query: { ...params } });
  }
  createNamespace(body: CreateNamespaceRequest): Promise<CreateNamespaceResponse> {
    return this.#request('createNamespace', 'POST', 'api/v1/namespaces', { body });
  }
  getNamespace(namespace: string): Promise<Namespace> {
    return this.#request('getNamespace', 'GET', `api/v1/namespaces/${seg(namespace)}`);
  }
  deleteNamespace(namespace: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.#request('deleteNamespace', 'DELETE', `api/v1/namespaces/${seg(namespace)}`, {
      query: { ...params },
    });
  }
  updateNamespace(namespace: string, body: UpdateNamespaceRequest): Promise<AsyncOperationResponse> {
    return this.#request('updateNamespace', 'POST', `api/v1/namespaces/${seg(namespace)}/update`, { body });
  }

  // Users
  listUsers(params: PageParams = {}): Promise<ListUsersResponse> {
    return this.#request('listUsers', 'GET', 'api/v1/users', { query: { ...params } });
  }
  createUser(body: CreateUserRequest): Promise<CreateUserResponse> {
    return this.#request('createUser', 'POST', 'api/v1/users', { body });
  }
  getUser(userId: string): Promise<User> {
    return this.#request('getUser', 'GET', `api/v1/users/${seg(userId)}`);
  }
  deleteUser(userId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.#request('deleteUser', 'DELETE', `api/v1/users/${seg(userId)}`, { query: { ...params } });
  }

  // Service accounts
  listServiceAccounts(params: PageParams = {}): Promise<ListServiceAccountsResponse> {
    return this.#request('listServiceAccounts', 'GET', 'api/v1/service-accounts', { query: { ...params } });
  }
  createServiceAccount(body: CreateServiceAccountRequest): Promise<CreateServiceAccountResponse> {
    return this.#request('createServiceAccount', 'POST', 'api/v1/service-accounts', { body });
  }
  getServiceAccount(serviceAccountId: string): Promise<ServiceAccount> {
    return this.#request('getServiceAccount', 'GET', `api/v1/service-accounts/${seg(serviceAccountId)}`);
  }
  deleteServiceAccount(serviceAccountId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.#request(
      'deleteServiceAccount',
      'DELETE',
      `api/v1/service-accounts/${seg(serviceAccountId)}`,
      { query: { ...params } },
    );
  }

  // API keys
  listApiKeys(params: ListApiKeysParams = {}): Promise<ListApiKeysResponse> {
    return this.#request('listApiKeys', 'GET', 'api/v1/api-keys', { query: { ...params } });
  }
  createApiKey(body: CreateApiKeyRequest): Promise<CreateApiKeyResponse> {
    return this.#request('createApiKey', 'POST', 'api/v1/api-keys', { body });
  }
  getApiKey(keyId: string): Promise<ApiKey> {
    return this.#request('getApiKey', 'GET', `api/v1/api-keys/${seg(keyId)}`);
  }
  deleteApiKey(keyId: string, params: DeleteParams = {}): Promise<AsyncOperationResponse> {
    return this.#request('deleteApiKey', 'DELETE', `api/v1/api-keys/${seg(keyId)}`, { query: { ...params } });
  }

  // Regions and async operations
  listRegions(): Promise<ListRegionsResponse> {
    return this.#request('listRegions', 'GET', 'api/v1/regions');
  }
  getAsyncOperation(asyncOperationId: string): Promise<AsyncOperation> {
    return this.#request('getAsyncOperation', 'GET', `api/v1/async-operations/${seg(asyncOperationId)}`);
  }

  async #request<T>(
    operationId: OperationId,
    method: Method,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    if (/\/\/|\/$|\/\/update$/.test(path)) {
      throw new OpsApiError({
        operationId,
        kind: 'invalid_request',
        code: 'invalid_argument',
        message: 'a path parameter is empty',
      });
    }
    await this.#config.beforeRequest?.(operationId);
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await this.#http(path, {
        method,
        searchParams: compactQuery(options.query),
        ...(options.body === undefined ? {} : { json: options.body }),
      });
      status = response.status;
      const text = await response.text();
      if (!response.ok) throw this.#httpError(operationId, response, text);
      const result = parseBody<T>(operationId, text);
      this.#after({ operationId, method, status, durationMs: performance.now() - started });
      return result;
    } catch (err) {
      const error = err instanceof OpsApiError ? err : this.#transportError(operationId, err);
      this.#after({ operationId, method, status, durationMs: performance.now() - started, error });
      throw error;
    }
  }

  #after(event: RequestEvent): void {
    try {
      this.#config.afterRequest?.(event);
    } catch {
      // Observability must never turn a good call into a failed one.
    }
  }

  #httpError(operationId: OperationId, response: Response, text: string): OpsApiError {
    const body = tryParse(text) as Partial<ErrorBody> | undefined;
    return new OpsApiError({
      operationId,
      kind: 'http',
      status: response.status,
      code: (typeof body?.code === 'string' ? body.code : 'unknown') as ErrorBody['code'],
      message: this.#scrub(
        typeof body?.message === 'string' ? body.message : text.slice(0, 200) || response.statusText,
      ),
      ...(typeof body?.field === 'string' ? { field: body.field } : {}),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    });
  }

  #transportError(operationId: OperationId, err: unknown): OpsApiError {
    if (err instanceof TimeoutError) {
      return new OpsApiError({
        operationId,
        kind: 'timeout',
        code: 'timeout',
        message: `no response within ${this.#config.timeoutMs ?? 30_000} ms`,
      });
    }
    const cause = err instanceof Error ? ((err.cause as Error | undefined) ?? err) : undefined;
    const detail = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : cause?.message;
    return new OpsApiError({
      operationId,
      kind: 'network',
      code: 'network_error',
      message: this.#scrub(`request failed before a response: ${detail ?? String(err)}`),
    });
  }

  // A server (or proxy) that echoes the Authorization header must not make us leak it.
  #scrub(text: string): string {
    return text.split(this.#config.apiKey).join('[redacted]');
  }
}

function parseBody<T>(operationId: OperationId, text: string): T {
  if (text === '') return {} as T;
  const parsed = tryParse(text);
  if (parsed === undefined) {
    throw new OpsApiError({
      operationId,
      kind: 'invalid_response',
      code: 'invalid_response',
      message: 'response body is not JSON',
    });
  }
  return parsed as T;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function seg(value: string): string {
  // Checked in #request, where the operationId is known; an empty id would hit a different route.
  return encodeURIComponent(value);
}

function compactQuery(query: Query | undefined): Record<string, string | number> | undefined {
  if (!query) return undefined;
  const entries = Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}
