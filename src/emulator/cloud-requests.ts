// A /cloud request, from the real API's wire format to the domain: the request message (body, or path and
// query fields), checked strictly against the method's proto type, translated with the mapping functions,
// refused if the translation would drop something it said, then laid out as the /api/v1 request and
// validated with the very schemas /api/v1 uses. The handlers and the store see no difference.
import type { FastifyRequest } from 'fastify';
import {
  apiKeySpecFromCloud,
  cloudRoutes,
  compact,
  customRoleSpecFromCloud,
  fieldOf,
  isEnum,
  isObject,
  namespaceSpecFromCloud,
  ownerTypes,
  permissions,
  protoJsonProblems,
  requestMessage,
  serviceAccountSpecFromCloud,
  userGroupSpecFromCloud,
  userSpecFromCloud,
  type CloudRoute,
  type Json,
  type Type,
} from '../cloud-api';
import { ALL_OPERATION_IDS, type AnyOperationId, type OperationId, type Unmodelled } from '../ops-api/types';
import { invalid } from './errors';
import { canonicalRequest, firstLoss } from './proto-json';
import type { ListFilters, OperationRequest } from './routes';
import type { OperationRoute } from './spec-loader';
import { validationError, type HttpPart, type SchemaValidators } from './validator';

/** The gateway's route of every operation, from the protos' HTTP rules. */
export const CLOUD_ROUTES = cloudRoutes(ALL_OPERATION_IDS);

/** The named fields of `m` that are set. */
const pick = (m: Json, ...names: string[]): Json =>
  Object.fromEntries(names.filter((n) => m[n] !== undefined).map((n) => [n, m[n]]));

function spec<T>(m: Json, fromCloud: (json: unknown) => T): { spec: T } {
  if (!isObject(m.spec)) throw invalid('spec', 'is required');
  return { spec: fromCloud(m.spec) };
}

interface Decoded {
  /** The operation's domain input (Operations[op]['input']), path fields included. */
  input: Json;
  filters?: ListFilters;
}

const DELETE = ['resourceVersion', 'asyncOperationId'];
const PAGE = ['pageSize', 'pageToken'];

/** The domain input of each operation, from its canonical request message. */
const DECODERS: Record<AnyOperationId, (m: Json) => Decoded> = {
  listNamespaces: (m) => ({ input: pick(m, ...PAGE), filters: pick(m, 'name') }),
  createNamespace: (m) => ({ input: { ...spec(m, namespaceSpecFromCloud), ...pick(m, 'asyncOperationId') } }),
  getNamespace: (m) => ({ input: pick(m, 'namespace') }),
  deleteNamespace: (m) => ({ input: pick(m, 'namespace', ...DELETE) }),
  updateNamespace: (m) => ({
    input: { ...spec(m, namespaceSpecFromCloud), ...pick(m, 'namespace', ...DELETE) },
  }),
  listUsers: (m) => ({ input: pick(m, ...PAGE), filters: pick(m, 'email', 'namespace') }),
  createUser: (m) => ({ input: { ...spec(m, userSpecFromCloud), ...pick(m, 'asyncOperationId') } }),
  getUser: (m) => ({ input: pick(m, 'userId') }),
  deleteUser: (m) => ({ input: pick(m, 'userId', ...DELETE) }),
  listServiceAccounts: (m) => ({ input: pick(m, ...PAGE) }),
  createServiceAccount: (m) => ({
    input: { ...spec(m, serviceAccountSpecFromCloud), ...pick(m, 'asyncOperationId') },
  }),
  getServiceAccount: (m) => ({ input: pick(m, 'serviceAccountId') }),
  deleteServiceAccount: (m) => ({ input: pick(m, 'serviceAccountId', ...DELETE) }),
  listApiKeys: (m) => ({
    input: {
      ...pick(m, ...PAGE, 'ownerId'),
      ...(typeof m.ownerType === 'string' ? { ownerType: ownerTypes.toDomain(m.ownerType) } : {}),
    },
  }),
  createApiKey: (m) => {
    const decoded = spec(m, apiKeySpecFromCloud);
    // The store makes keys as the given document does, enabled; only updateApiKey disables one.
    if (decoded.spec.disabled) throw invalid('spec.disabled', NOT_KEPT);
    return { input: { ...decoded, ...pick(m, 'asyncOperationId') } };
  },
  getApiKey: (m) => ({ input: pick(m, 'keyId') }),
  deleteApiKey: (m) => ({ input: pick(m, 'keyId', ...DELETE) }),
  listRegions: () => ({ input: {} }),
  getAsyncOperation: (m) => ({ input: pick(m, 'asyncOperationId') }),
  updateUser: (m) => ({ input: { ...spec(m, userSpecFromCloud), ...pick(m, 'userId', ...DELETE) } }),
  updateServiceAccount: (m) => ({
    input: { ...spec(m, serviceAccountSpecFromCloud), ...pick(m, 'serviceAccountId', ...DELETE) },
  }),
  updateApiKey: (m) => ({ input: { ...spec(m, apiKeySpecFromCloud), ...pick(m, 'keyId', ...DELETE) } }),
  setUserNamespaceAccess: (m) => ({ input: { ...access(m), ...pick(m, 'userId', 'namespace', ...DELETE) } }),
  setServiceAccountNamespaceAccess: (m) => ({
    input: { ...access(m), ...pick(m, 'serviceAccountId', 'namespace', ...DELETE) },
  }),
  listUserGroups: (m) => ({ input: pick(m, ...PAGE), filters: pick(m, 'namespace', 'displayName') }),
  getUserGroup: (m) => ({ input: pick(m, 'groupId') }),
  createUserGroup: (m) => ({ input: { ...spec(m, userGroupSpecFromCloud), ...pick(m, 'asyncOperationId') } }),
  updateUserGroup: (m) => ({
    input: { ...spec(m, userGroupSpecFromCloud), ...pick(m, 'groupId', ...DELETE) },
  }),
  deleteUserGroup: (m) => ({ input: pick(m, 'groupId', ...DELETE) }),
  setUserGroupNamespaceAccess: (m) => ({
    input: { ...access(m), ...pick(m, 'groupId', 'namespace', ...DELETE) },
  }),
  addUserGroupMember: (m) => ({ input: memberOf(m) }),
  removeUserGroupMember: (m) => ({ input: memberOf(m) }),
  listUserGroupMembers: (m) => ({ input: pick(m, 'groupId', ...PAGE) }),
  listCustomRoles: (m) => ({ input: pick(m, ...PAGE) }),
  getCustomRole: (m) => ({ input: pick(m, 'roleId') }),
  createCustomRole: (m) => ({
    input: { ...spec(m, customRoleSpecFromCloud), ...pick(m, 'asyncOperationId') },
  }),
  updateCustomRole: (m) => ({
    input: { ...spec(m, customRoleSpecFromCloud), ...pick(m, 'roleId', ...DELETE) },
  }),
  deleteCustomRole: (m) => ({ input: pick(m, 'roleId', ...DELETE) }),
};

/** Add/RemoveUserGroupMember: the group, and the member, which must be a user (the one kind there is). */
function memberOf(m: Json): Json {
  const userId = isObject(m.memberId) ? m.memberId.userId : undefined;
  if (typeof userId !== 'string' || userId === '') throw invalid('memberId.userId', 'is required');
  return { ...pick(m, 'groupId', 'asyncOperationId'), userId };
}

/** Updates and set*NamespaceAccess are compare-and-set: the version just read is required. */
const VERSIONED = /^(update|set)[A-Z]/;

/**
 * A request of an operation the given document lacks: path fields as the params, and the rest the query (reads,
 * deletes: where their ids and versions are looked for) or the body.
 */
function cloudOnlyRequest(operationId: AnyOperationId, route: CloudRoute, input: Json) {
  const { resourceVersion } = input;
  if (VERSIONED.test(operationId) && (typeof resourceVersion !== 'string' || resourceVersion === '')) {
    throw invalid('resourceVersion', 'is required: the version of the resource just read');
  }
  const params = Object.fromEntries(route.pathFields.map((n) => [n, String(input[n])]));
  const rest = Object.fromEntries(
    Object.entries(input).filter(([k, v]) => !route.pathFields.includes(k) && v !== undefined),
  );
  // A body keeps its path fields too (set*NamespaceAccess reads its namespace from it).
  if (route.verb === 'POST') return { params, query: {}, body: compact(input) };
  return { params, query: rest, body: undefined };
}

/** A set*NamespaceAccess request's permission, which must be one the domain knows. */
function access(m: Json): { access: { permission: string } } {
  const permission = isObject(m.access) ? m.access.permission : undefined;
  if (typeof permission !== 'string' || !permissions.values.includes(permissions.toDomain(permission)!)) {
    throw invalid('access.permission', 'is required: PERMISSION_ADMIN, PERMISSION_WRITE or PERMISSION_READ');
  }
  return { access: { permission: permissions.toDomain(permission)! } };
}

/** Fastify's form of the gateway's path template: `/cloud/users/{user_id}` → `/cloud/users/:userId`. */
export const fastifyPath = (route: CloudRoute): string => route.fieldPath.replace(/\{(\w+)\}/g, ':$1');

/** The request message: the body (`body: "*"`) or the query, with the path fields merged in. */
function messageOf(route: CloudRoute, req: FastifyRequest): Json {
  const query = { ...(req.query as Json | undefined) };
  let message: Json;
  if (route.bodyIsRequest) {
    const extra = Object.keys(query)[0];
    if (extra !== undefined)
      throw invalid(extra, 'is not a query parameter: this method takes its request as the body');
    const body = req.body ?? {};
    if (!isObject(body)) throw invalid('body', 'must be a JSON object (the request message)');
    message = { ...body };
  } else {
    // As on /api/v1, an empty query parameter is an absent one; like the gateway, a query parameter may
    // give an enum by number (JSON would need a number, not a string).
    message = Object.fromEntries(
      Object.entries(query)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [k, isEnumField(route.request, k) && /^\d+$/.test(String(v)) ? Number(v) : v]),
    );
  }
  const snakeNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  route.pathFields.forEach((name, i) => {
    const value = (req.params as Record<string, string>)[name];
    if (!value) throw invalid(name, 'is required');
    // The path wins over a body field of the same name, as at the gateway.
    delete message[snakeNames[i]!];
    message[name] = value;
  });
  return message;
}

const isEnumField = (type: Type, key: string): boolean => isEnum(fieldOf(type, key)?.resolvedType);

/** `$.spec.foo: NamespaceSpec has no field "foo"` → the field and what is wrong with it. */
function problemError(problem: string): Error {
  const at = problem.indexOf(': ');
  const field = problem.slice(0, at).replace(/^\$\.?/, '') || 'body';
  return invalid(field, problem.slice(at + 2));
}

const NOT_KEPT =
  "is not supported by the emulator: its one store keeps only what the given document's resources have";

/** The parts of a namespace spec the given document's update clears with `null` (it keeps what it is not sent). */
const CLEARABLE = { codecServer: null, mtlsAuth: null, apiKeyAuth: null };

/**
 * The same request in the /api/v1 layout: path fields as the params, the rest the query (GET, DELETE) or the
 * body. A /cloud update is the whole spec, so what it leaves out is cleared.
 */
function openapiRequest(
  api: OperationRoute,
  input: Json,
): Pick<OperationRequest, 'params' | 'query' | 'body'> {
  const pathNames = [...api.specPath.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const params = Object.fromEntries(pathNames.map((n) => [n, String(input[n])]));
  const rest = Object.entries(input).filter(([k, v]) => !pathNames.includes(k) && v !== undefined);
  if (api.method !== 'POST') {
    const query = rest.filter(([, v]) => (typeof v === 'string' && v !== '') || typeof v === 'number');
    return { params, query: Object.fromEntries(query), body: undefined };
  }
  const body = Object.fromEntries(rest);
  if (api.operationId === 'updateNamespace') body.spec = { ...CLEARABLE, ...(body.spec as Json) };
  return { params, query: {}, body };
}

/**
 * Decodes /cloud requests for the handlers; `routes` are the /api/v1 routes whose schemas apply too.
 * `keepUnmodelled`: whether the realism switch `unmodelledFields` is on (spec fields the domain does not
 * model are then kept, not refused).
 */
export function cloudRequestDecoder(
  routes: readonly OperationRoute[],
  validators: SchemaValidators,
  keepUnmodelled: () => boolean,
) {
  const openapi = new Map(routes.map((r) => [r.operationId, r]));
  const validate = (route: OperationRoute, part: HttpPart, data: unknown): void => {
    const schema = route.schema[part as keyof OperationRoute['schema']];
    if (!schema) return;
    const check = validators.compile(schema, part);
    if (check(data)) return;
    const error = validationError(check.errors ?? [], part);
    // The domain's enum names mean nothing on /cloud: say what the emulator lacks instead.
    if (check.errors?.[0]?.keyword === 'enum') throw invalid(error.field!, NOT_KEPT);
    throw error;
  };

  return (operationId: AnyOperationId, req: FastifyRequest): OperationRequest => {
    const route = CLOUD_ROUTES[operationId];
    const message = messageOf(route, req);
    const problem = protoJsonProblems(route.request, message, '$')[0];
    if (problem !== undefined) throw problemError(problem);
    const canonical = canonicalRequest(route.request, message);
    const { input, filters } = DECODERS[operationId](canonical);

    // What the store keeps, in the real API's terms again: anything the request said beyond it is refused
    // rather than dropped. The spec's unmodelled part is kept only while `unmodelledFields` is on.
    const keep = keepUnmodelled();
    const { preserved, ...modelled } = (isObject(input.spec) ? input.spec : {}) as Unmodelled;
    const unmodelled =
      keep && isObject(input.spec) ? { ...(preserved ? { fields: preserved } : {}) } : undefined;
    if (isObject(input.spec)) input.spec = modelled;
    const kept: Json = { ...input, ...filters };
    if (unmodelled?.fields) kept.spec = { ...modelled, preserved: unmodelled.fields };
    const withoutPath = (m: Json) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !route.pathFields.includes(k)));
    const again = canonicalRequest(route.request, withoutPath(requestMessage(operationId, kept)));
    const lost = firstLoss(withoutPath(canonical), again);
    if (lost !== undefined) throw invalid(lost, NOT_KEPT);
    const extras = unmodelled ? { unmodelled } : {};

    // The real API's own operations have no /api/v1 twin: path fields are the params, the rest the body.
    const api = openapi.get(operationId as OperationId);
    if (!api) {
      const withFilters = filters && Object.keys(filters).length > 0 ? { filters } : {};
      return { ...cloudOnlyRequest(operationId, route, input), ...withFilters, ...extras };
    }
    // The same request in the /api/v1 layout, held to the same schemas.
    const request: OperationRequest = {
      ...openapiRequest(api, input),
      ...(filters && Object.keys(filters).length > 0 ? { filters } : {}),
      ...extras,
    };
    validate(api, 'params', request.params);
    validate(api, 'body', request.body);
    validate(api, 'querystring', request.query);
    return request;
  };
}
