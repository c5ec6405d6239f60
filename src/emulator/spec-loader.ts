import { readFileSync } from 'node:fs';
import path from 'node:path';
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
    if (!isObject(node) || !(key in node)) throw new Error(`Unresolvable $ref ${ref}`);
    node = node[key];
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

export function silenceSchema(docs: SpecDocuments, name: string): JsonSchema {
  const schema = resolveSchema(docs.silences, { $ref: `#/components/schemas/${name}` });
  if (!isObject(schema)) throw new Error(`spec-silences.yml has no schema ${name}`);
  return schema;
}

// Where the given spec says only `type: object` (or a bare string), the documented silences are stricter.
// Paths are dot paths inside the body / query object; each is combined with the spec's schema via allOf.
const BODY_OVERLAYS: Partial<Record<OperationId, Record<string, string>>> = {
  createNamespace: { spec: 'NamespaceSpec' },
  updateNamespace: { spec: 'NamespaceUpdateSpec' },
  createUser: { 'spec.access': 'Access' },
  createServiceAccount: { 'spec.access': 'Access' },
  createApiKey: { 'spec.ownerType': 'OwnerType' },
};
const QUERY_OVERLAYS: Partial<Record<OperationId, Record<string, string>>> = {
  listApiKeys: { ownerType: 'OwnerType' },
};

function overlay(
  docs: SpecDocuments,
  schema: JsonSchema,
  overlays: Record<string, string> | undefined,
): void {
  for (const [dotPath, silence] of Object.entries(overlays ?? {})) {
    const keys = dotPath.split('.');
    const last = keys.pop()!;
    let parent: JsonSchema = schema;
    for (const key of keys) {
      const props = parent.properties;
      const next = isObject(props) ? props[key] : undefined;
      if (!isObject(next)) throw new Error(`Overlay path ${dotPath} not found in spec schema`);
      parent = next;
    }
    const props = isObject(parent.properties) ? parent.properties : (parent.properties = {});
    const original = props[last];
    const strict = silenceSchema(docs, silence);
    props[last] = isObject(original) ? { allOf: [original, strict] } : strict;
  }
}

const METHODS: Record<string, HttpMethod> = { get: 'GET', post: 'POST', delete: 'DELETE' };

/** One route per operation of the given spec, with validation schemas derived from the spec itself. */
export function buildRoutes(docs: SpecDocuments): OperationRoute[] {
  const routes: OperationRoute[] = [];
  const paths = docs.api.paths;
  if (!isObject(paths)) throw new Error('cloud-ops-api.yml has no paths');
  for (const [specPath, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [verb, rawOp] of Object.entries(item)) {
      const method = METHODS[verb];
      if (!method || !isObject(rawOp)) continue;
      const op = resolveSchema(docs.api, rawOp) as JsonObject;
      const operationId = op.operationId as OperationId;
      if (!(OPERATION_IDS as readonly string[]).includes(operationId)) {
        throw new Error(`Spec operation ${String(operationId)} is unknown to src/ops-api/types.ts`);
      }
      const schema: OperationRoute['schema'] = {};
      const params = Array.isArray(op.parameters) ? op.parameters.filter(isObject) : [];
      for (const location of ['path', 'query'] as const) {
        const here = params.filter((p) => p.in === location);
        if (here.length === 0) continue;
        const object: JsonSchema = {
          type: 'object',
          properties: Object.fromEntries(here.map((p) => [String(p.name), p.schema ?? {}])),
          required: here.filter((p) => p.required === true).map((p) => String(p.name)),
        };
        if (location === 'query') overlay(docs, object, QUERY_OVERLAYS[operationId]);
        schema[location === 'path' ? 'params' : 'querystring'] = object;
      }
      const requestBody = op.requestBody;
      if (isObject(requestBody)) {
        const content = isObject(requestBody.content) ? requestBody.content['application/json'] : undefined;
        if (isObject(content) && isObject(content.schema)) {
          const body = structuredClone(content.schema);
          overlay(docs, body, BODY_OVERLAYS[operationId]);
          schema.body = body;
        }
      }
      routes.push({ operationId, method, specPath, url: specPath.replace(/\{(\w+)\}/g, ':$1'), schema });
    }
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
