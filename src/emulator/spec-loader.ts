import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { OPERATION_IDS, type OperationId } from '../ops-api/types';

export const DEFAULT_SPEC_DIR = path.resolve(__dirname, '../../openapi');

type JsonObject = { [key: string]: unknown };
export type JsonSchema = JsonObject;

export interface SpecDocuments {
  api: JsonObject;
  silences: JsonObject;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface OperationRoute {
  operationId: OperationId;
  method: HttpMethod;
  /** The spec's path template, e.g. `/api/v1/namespaces/{namespace}`. */
  specPath: string;
  /** The same path in Fastify syntax, e.g. `/api/v1/namespaces/:namespace`. */
  url: string;
  schema: { params?: JsonSchema; querystring?: JsonSchema; body?: JsonSchema };
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const schemaOf = (value: unknown): JsonSchema | undefined => (isObject(value) ? value : undefined);

export function loadSpecs(dir: string = DEFAULT_SPEC_DIR): SpecDocuments {
  const read = (file: string): JsonObject => {
    const doc: unknown = parse(readFileSync(path.join(dir, file), 'utf8'));
    if (!isObject(doc)) throw new Error(`${file} is not an OpenAPI document`);
    return doc;
  };
  return { api: read('cloud-ops-api.yml'), silences: read('spec-silences.yml') };
}

function pointer(doc: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported, got ${ref}`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(key) && Number(key) < node.length)
      node = node[Number(key)];
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
    else throw new Error(`Unresolvable $ref ${ref}`);
  }
  return node;
}

/**
 * Inlines `$ref`s and drops annotations ajv has no use for: the given spec puts `example: example_value`
 * on object schemas, and the vendor `x-*` keys are noise to a validator.
 */
export function resolveSchema(doc: JsonObject, node: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveSchema(doc, item, seen));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string') {
    if (seen.includes(node.$ref)) throw new Error(`Recursive $ref ${node.$ref} is not supported`);
    return resolveSchema(doc, pointer(doc, node.$ref), [...seen, node.$ref]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'examples' || key.startsWith('x-')) continue;
    // `properties` maps names to schemas: a property could legitimately be called "example".
    out[key] =
      key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveSchema(doc, v, seen)]))
        : resolveSchema(doc, value, seen);
  }
  return out;
}

// Where the given spec says only `type: object` (or a bare string), the silences' operation at the same
// path and method says more (formats, ranges, enums, required fields); its schemas are layered onto the
// given spec's with allOf, so the emulator checks exactly what the silences document.
const layer = (given: JsonSchema | undefined, silences: JsonSchema | undefined): JsonSchema | undefined =>
  given && silences && !isDeepStrictEqual(given, silences)
    ? { allOf: [given, silences] }
    : (given ?? silences);

const METHODS: Record<string, HttpMethod> = { get: 'GET', post: 'POST', delete: 'DELETE' };

interface Operation {
  operationId: OperationId;
  parameters: JsonObject[];
  body: JsonSchema | undefined;
}

/** Each operation of a document by `METHOD path`, `$ref`s resolved, path-level parameters included. */
function operations(doc: JsonObject, file: string): Map<string, Operation> {
  const out = new Map<string, Operation>();
  const paths = doc.paths;
  if (!isObject(paths)) throw new Error(`${file} has no paths`);
  for (const [specPath, rawItem] of Object.entries(paths)) {
    const item = resolveSchema(doc, rawItem);
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters.filter(isObject) : [];
    for (const [verb, op] of Object.entries(item)) {
      const method = METHODS[verb];
      if (!method || !isObject(op)) continue;
      const own = Array.isArray(op.parameters) ? op.parameters.filter(isObject) : [];
      // An operation's own parameter overrides a path-level one of the same name and location.
      const parameters = [
        ...shared.filter((p) => !own.some((o) => o.in === p.in && o.name === p.name)),
        ...own,
      ];
      const requestBody = op.requestBody;
      const content = isObject(requestBody) && isObject(requestBody.content) ? requestBody.content : {};
      const json = content['application/json'];
      const body = isObject(json) ? schemaOf(json.schema) : undefined;
      out.set(`${method} ${specPath}`, { operationId: op.operationId as OperationId, parameters, body });
    }
  }
  return out;
}

/** The path or query parameters of both documents as one object schema (names and `required` united). */
function parameterObject(
  location: 'path' | 'query',
  given: readonly JsonObject[],
  silences: readonly JsonObject[],
): JsonSchema | undefined {
  const a = given.filter((p) => p.in === location);
  const b = silences.filter((p) => p.in === location);
  if (a.length + b.length === 0) return undefined;
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const name of new Set([...a, ...b].map((p) => String(p.name)))) {
    const g = a.find((p) => p.name === name);
    const s = b.find((p) => p.name === name);
    properties[name] = layer(schemaOf(g?.schema), schemaOf(s?.schema)) ?? {};
    if (g?.required === true || s?.required === true) required.push(name);
  }
  return { type: 'object', properties, required };
}

/** One route per operation of the given spec, with validation schemas derived from both documents. */
export function buildRoutes(docs: SpecDocuments): OperationRoute[] {
  const given = operations(docs.api, 'cloud-ops-api.yml');
  const silences = operations(docs.silences, 'spec-silences.yml');
  for (const [key, op] of silences) {
    if (given.get(key)?.operationId !== op.operationId) {
      throw new Error(
        `spec-silences.yml: ${key} (${op.operationId}) is not an operation of cloud-ops-api.yml`,
      );
    }
  }
  const routes: OperationRoute[] = [];
  for (const [key, op] of given) {
    const [method, specPath] = key.split(' ') as [HttpMethod, string];
    const operationId = op.operationId;
    if (!(OPERATION_IDS as readonly string[]).includes(operationId)) {
      throw new Error(`Spec operation ${String(operationId)} is unknown to src/ops-api/types.ts`);
    }
    const extra = silences.get(key);
    const schema: OperationRoute['schema'] = {};
    const params = parameterObject('path', op.parameters, extra?.parameters ?? []);
    const querystring = parameterObject('query', op.parameters, extra?.parameters ?? []);
    if (params) schema.params = params;
    if (querystring) schema.querystring = querystring;
    const body = layer(op.body, extra?.body);
    if (body) schema.body = body;
    routes.push({ operationId, method, specPath, url: specPath.replace(/\{(\w+)\}/g, ':$1'), schema });
  }
  const missing = OPERATION_IDS.filter((id) => !routes.some((r) => r.operationId === id));
  if (missing.length > 0) throw new Error(`Spec lacks operations: ${missing.join(', ')}`);
  return routes;
}

const routeCache = new Map<string, readonly OperationRoute[]>();

/** The routes of the spec in `dir`, parsed once per process (the files are read-only inputs). */
export function specRoutes(dir: string = DEFAULT_SPEC_DIR): OperationRoute[] {
  let routes = routeCache.get(dir);
  if (!routes) {
    routes = buildRoutes(loadSpecs(dir));
    routeCache.set(dir, routes);
  }
  return structuredClone(routes) as OperationRoute[];
}
