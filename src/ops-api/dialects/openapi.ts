// The given document's dialect (openapi/cloud-ops-api.yml plus openapi/spec-silences.yml): resources
// travel bare, mutations answer `asyncOperationId`, errors are `{code, message, field}`. The domain is
// this dialect's vocabulary, so encoding is mostly placing fields; a test checks the routes against the
// document.
import {
  OPERATION_IDS,
  type AnyOperationId,
  type ErrorCode,
  type NamespaceSpec,
  type OperationId,
  type OperationInput,
  type OperationOutput,
  type Unmodelled,
} from '../types';
import {
  compactQuery,
  expectShape,
  UnsupportedOperationError,
  fillPath,
  isObject,
  type Dialect,
  type DomainError,
  type WireRequest,
} from './dialect';

type Route = readonly [WireRequest['method'], string];

/** The given document's route of each operation. */
export const OPENAPI_ROUTES: Readonly<Record<OperationId, Route>> = {
  listNamespaces: ['GET', 'api/v1/namespaces'],
  createNamespace: ['POST', 'api/v1/namespaces'],
  getNamespace: ['GET', 'api/v1/namespaces/{namespace}'],
  deleteNamespace: ['DELETE', 'api/v1/namespaces/{namespace}'],
  updateNamespace: ['POST', 'api/v1/namespaces/{namespace}/update'],
  listUsers: ['GET', 'api/v1/users'],
  createUser: ['POST', 'api/v1/users'],
  getUser: ['GET', 'api/v1/users/{userId}'],
  deleteUser: ['DELETE', 'api/v1/users/{userId}'],
  listServiceAccounts: ['GET', 'api/v1/service-accounts'],
  createServiceAccount: ['POST', 'api/v1/service-accounts'],
  getServiceAccount: ['GET', 'api/v1/service-accounts/{serviceAccountId}'],
  deleteServiceAccount: ['DELETE', 'api/v1/service-accounts/{serviceAccountId}'],
  listApiKeys: ['GET', 'api/v1/api-keys'],
  createApiKey: ['POST', 'api/v1/api-keys'],
  getApiKey: ['GET', 'api/v1/api-keys/{keyId}'],
  deleteApiKey: ['DELETE', 'api/v1/api-keys/{keyId}'],
  listRegions: ['GET', 'api/v1/regions'],
  getAsyncOperation: ['GET', 'api/v1/async-operations/{asyncOperationId}'],
};

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'already_exists',
  'resource_version_mismatch',
  'failed_precondition',
  'rate_limited',
  'internal',
  'unavailable',
]);

/** This dialect never carries what only the real API has (the unmodelled part a real-API read kept). */
function wireSpec<S extends Unmodelled>(spec: S): Omit<S, 'preserved'> {
  const { preserved: _real, ...rest } = spec;
  return rest;
}

/** The field every answer of each operation has (the document's lists always carry their array). */
const REQUIRED: Record<OperationId, string> = {
  listNamespaces: 'namespaces',
  createNamespace: 'namespace',
  getNamespace: 'namespace',
  deleteNamespace: 'asyncOperationId',
  updateNamespace: 'asyncOperationId',
  listUsers: 'users',
  createUser: 'userId',
  getUser: 'id',
  deleteUser: 'asyncOperationId',
  listServiceAccounts: 'serviceAccounts',
  createServiceAccount: 'serviceAccountId',
  getServiceAccount: 'id',
  deleteServiceAccount: 'asyncOperationId',
  listApiKeys: 'apiKeys',
  createApiKey: 'keyId',
  getApiKey: 'id',
  deleteApiKey: 'asyncOperationId',
  listRegions: 'regions',
  getAsyncOperation: 'id',
};

export const openapiDialect: Dialect = {
  name: 'openapi',
  headers: {},
  // The given document documents no limit (and its emulator has none).
  defaultMaxConcurrentMutations: undefined,
  defaultFleetLimits: undefined,

  supports: (operationId) => (OPERATION_IDS as readonly AnyOperationId[]).includes(operationId),
  // The given document's service accounts reach namespaces through `access` only, with no role required.
  capabilities: new Set(),
  defaultServiceAccountRole: undefined,

  encode<Op extends AnyOperationId>(operationId: Op, input: OperationInput<Op>): WireRequest {
    const route = OPENAPI_ROUTES[operationId as OperationId];
    if (!route) throw new UnsupportedOperationError(operationId, 'openapi');
    const [method, template] = route;
    const fields = { ...(input as Record<string, unknown>) };
    const path = fillPath(template, fields, operationId);
    for (const [, name] of template.matchAll(/\{(\w+)\}/g)) delete fields[name!];
    if (method !== 'POST') {
      const query = compactQuery(fields);
      return { method, path, ...(query ? { query } : {}) };
    }
    if (isObject(fields.spec)) fields.spec = wireSpec(fields.spec);
    if (operationId === 'updateNamespace') {
      // The whole spec: what it lacks is cleared (`null`), so the update leaves nothing half-merged.
      fields.spec = {
        codecServer: null,
        mtlsAuth: null,
        apiKeyAuth: null,
        ...(fields.spec as NamespaceSpec),
      };
    }
    return { method, path, body: fields };
  },

  decode<Op extends AnyOperationId>(operationId: Op, body: unknown): OperationOutput<Op> {
    expectShape(isObject(body), operationId, 'a JSON object');
    const field = REQUIRED[operationId as OperationId];
    const required = body[field];
    expectShape(typeof required === 'string' || Array.isArray(required), operationId, `"${field}"`);
    return body as OperationOutput<Op>;
  },

  decodeError(body: unknown): DomainError | undefined {
    if (!isObject(body) || typeof body.code !== 'string' || !ERROR_CODES.has(body.code)) return undefined;
    if (typeof body.message !== 'string') return undefined;
    return {
      code: body.code as ErrorCode,
      message: body.message,
      ...(typeof body.field === 'string' ? { field: body.field } : {}),
    };
  },
};
