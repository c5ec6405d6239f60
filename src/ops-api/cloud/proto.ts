// The real Ops API as the bundled protos describe it: each operation's CloudService method, its HTTP
// route from the method's `(google.api.http)` option, its request/response messages, and a strict check
// of protobuf JSON against a message type. Nothing here is a hand-copied table of routes or fields.
import protos from '@temporalio/proto/protos/json-module.js';
import { ALL_OPERATION_IDS, type AnyOperationId } from '../types';

// The few parts of protobufjs's reflection objects used here (the bundle brings its own protobufjs).
export interface Field {
  name: string;
  protoName?: string;
  type: string;
  repeated: boolean;
  map: boolean;
  resolvedType: Type | Enum | null;
  resolve(): Field;
}
export interface Type {
  name: string;
  fullName: string;
  fieldsArray: Field[];
  fields: Record<string, Field>;
}
export interface Enum {
  name: string;
  values: Record<string, number>;
}
interface Method {
  name: string;
  parsedOptions?: Array<Record<string, unknown>>;
  resolvedRequestType: Type | null;
  resolvedResponseType: Type | null;
  resolve(): Method;
}
interface Root {
  lookupService(name: string): { methods: Record<string, Method> };
  lookupType(name: string): Type;
  lookupEnum(name: string): Enum;
}

const root = protos as unknown as Root;
const CLOUD_SERVICE = 'temporal.api.cloud.cloudservice.v1.CloudService';

export const cloudService = root.lookupService(CLOUD_SERVICE);

export type HttpVerb = 'GET' | 'POST' | 'DELETE';

export interface CloudRoute {
  operationId: AnyOperationId;
  /** The gRPC method, e.g. `GetNamespaces`. */
  method: string;
  verb: HttpVerb;
  /** The gateway's path template, e.g. `/cloud/users/{user_id}`. */
  path: string;
  /** The same template with the request's JSON field names: `/cloud/users/{userId}`. */
  fieldPath: string;
  /** Path parameters as request field names (lowerCamelCase), in template order. */
  pathFields: string[];
  /** Whether the request (minus path fields) is the JSON body (`body: "*"`) or the query string. */
  bodyIsRequest: boolean;
  request: Type;
  response: Type;
}

/** Our operationId → the CloudService method: `listX` is `GetX`, the rest is the same name capitalised. */
export function cloudMethodName(operationId: AnyOperationId): string {
  const name = operationId.replace(/^list/, 'get');
  return name[0]!.toUpperCase() + name.slice(1);
}

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function routeOf(operationId: AnyOperationId): CloudRoute {
  const method = cloudService.methods[cloudMethodName(operationId)];
  if (!method) throw new Error(`CloudService has no method for ${operationId}`);
  const http = (method.parsedOptions ?? [])
    .map((o) => o['(google.api.http)'] as Record<string, string> | undefined)
    .find(Boolean);
  if (!http) throw new Error(`${method.name} has no (google.api.http) option`);
  const verb = (['get', 'post', 'delete'] as const).find((v) => typeof http[v] === 'string');
  if (!verb) throw new Error(`${method.name}: unsupported HTTP rule ${JSON.stringify(http)}`);
  const path = http[verb]!;
  method.resolve();
  return {
    operationId,
    method: method.name,
    verb: verb.toUpperCase() as HttpVerb,
    path,
    fieldPath: path.replace(/\{(\w+)\}/g, (_, name: string) => `{${camel(name)}}`),
    pathFields: [...path.matchAll(/\{(\w+)\}/g)].map((m) => camel(m[1]!)),
    bodyIsRequest: http.body === '*',
    request: method.resolvedRequestType!,
    response: method.resolvedResponseType!,
  };
}

/** The route of every operation (the 19 and the real API's own), derived from the protos once. */
export const CLOUD_ROUTES: Readonly<Record<AnyOperationId, CloudRoute>> = Object.freeze(
  Object.fromEntries(ALL_OPERATION_IDS.map((id) => [id, routeOf(id)])) as Record<AnyOperationId, CloudRoute>,
);

export function protoType(fullName: string): Type {
  return root.lookupType(fullName);
}

export function protoEnum(fullName: string): Enum {
  return root.lookupEnum(fullName);
}

// ---------------------------------------------------------------- strict protobuf JSON

const INT32 = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Every way `json` is not valid protobuf JSON for `type`: unknown fields, wrong JSON types, enum names
 * the type does not have, malformed timestamps / durations / bytes. Empty when it decodes strictly.
 */
export function protoJsonProblems(type: Type, json: unknown, path = ''): string[] {
  const problems: string[] = [];
  checkMessage(type, json, path || type.name, problems);
  return problems;
}

function checkMessage(type: Type, json: unknown, path: string, out: string[]): void {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      if (typeof json !== 'string' || !RFC3339.test(json) || Number.isNaN(Date.parse(json)))
        out.push(`${path}: not an RFC 3339 timestamp: ${JSON.stringify(json)}`);
      return;
    case '.google.protobuf.Duration':
      if (typeof json !== 'string' || !DURATION.test(json))
        out.push(`${path}: not a protobuf duration: ${JSON.stringify(json)}`);
      return;
    case '.google.protobuf.Any':
      if (!isObject(json) || typeof json['@type'] !== 'string') out.push(`${path}: an Any needs "@type"`);
      return;
  }
  if (!isObject(json)) {
    out.push(`${path}: expected an object for ${type.name}`);
    return;
  }
  const byJsonName = new Map<string, Field>();
  for (const field of type.fieldsArray)
    byJsonName.set(field.name, field).set(field.protoName ?? field.name, field);
  for (const [key, value] of Object.entries(json)) {
    const field = byJsonName.get(key);
    const at = `${path}.${key}`;
    if (!field) {
      out.push(`${at}: ${type.name} has no field "${key}"`);
      continue;
    }
    if (value === null) continue; // protobuf JSON: null means the default
    field.resolve();
    if (field.map) {
      if (!isObject(value)) out.push(`${at}: expected a map object`);
      else for (const [k, v] of Object.entries(value)) checkValue(field, v, `${at}.${k}`, out);
    } else if (field.repeated) {
      if (!Array.isArray(value)) out.push(`${at}: expected an array`);
      else value.forEach((v, i) => checkValue(field, v, `${at}[${i}]`, out));
    } else checkValue(field, value, at, out);
  }
}

function checkValue(field: Field, value: unknown, path: string, out: string[]): void {
  const resolved = field.resolvedType;
  if (resolved && 'fieldsArray' in resolved) return checkMessage(resolved as Type, value, path, out);
  if (resolved && 'values' in resolved) {
    const values = (resolved as Enum).values;
    // Own names only: protobufjs's `values` inherits the numbers ("1") from `valuesById`.
    const ok = typeof value === 'string' ? Object.hasOwn(values, value) : Number.isInteger(value);
    if (!ok) out.push(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.name}`);
    return;
  }
  const t = field.type;
  const bad = (what: string) => out.push(`${path}: expected ${what}, got ${JSON.stringify(value)}`);
  if (t === 'string') {
    if (typeof value !== 'string') bad('a string');
  } else if (t === 'bool') {
    if (typeof value !== 'boolean') bad('a boolean');
  } else if (INT32.has(t)) {
    // A JSON number, or a string holding one ("", " 5", "0x10" are not), integral and in the type's range.
    const n = typeof value === 'string' && JSON_NUMBER.test(value) ? Number(value) : value;
    const [min, max] = t.startsWith('u') || t === 'fixed32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
    if (!Number.isInteger(n) || (n as number) < min || (n as number) > max) bad(`an integer (${t})`);
  } else if (INT64.has(t)) {
    if (!(Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)))) bad('an int64');
  } else if (t === 'double' || t === 'float') {
    if (typeof value !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(String(value)))
      bad('a number');
  } else if (t === 'bytes') {
    if (typeof value !== 'string' || !BASE64.test(value.replace(/\s/g, ''))) bad('base64 bytes');
  } else out.push(`${path}: unsupported field type ${t}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Strips the `PREFIX_` of a proto enum value name and lowercases it: `RESOURCE_STATE_ACTIVE` → `active`. */
export function enumCodec(fullName: string, prefix: string, domain: (proto: string) => string = (s) => s) {
  const names = Object.keys(protoEnum(fullName).values).filter((n) => !n.endsWith('_UNSPECIFIED'));
  const toDomain = new Map(names.map((n) => [n, domain(n.slice(prefix.length).toLowerCase())]));
  const toProto = new Map([...toDomain].map(([p, d]) => [d, p]));
  return {
    /** Every domain value the proto enum has. */
    values: [...toProto.keys()],
    toDomain(proto: string | undefined): string | undefined {
      return proto === undefined ? undefined : (toDomain.get(proto) ?? proto.toLowerCase());
    },
    toProto(value: string): string {
      const proto = toProto.get(value);
      if (!proto) throw new Error(`${fullName} has no value for "${value}"`);
      return proto;
    },
  };
}
