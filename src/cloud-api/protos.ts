// The real Ops API as the bundled protos describe it: each operation's CloudService method, its HTTP route
// from the method's `(google.api.http)` option, and its request/response messages. No hand-copied table.
import protos from '@temporalio/proto/protos/json-module.js';

// The few parts of protobufjs's reflection objects used here (the bundle brings its own protobufjs).
export interface Field {
  name: string;
  protoName?: string;
  type: string;
  repeated: boolean;
  map: boolean;
  /** The oneof the field is part of, if any. */
  partOf: object | null;
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

export function protoType(fullName: string): Type {
  return root.lookupType(fullName);
}

export function protoEnum(fullName: string): Enum {
  return root.lookupEnum(fullName);
}

/** The field of `type` with this JSON or proto name, resolved. */
export function fieldOf(type: Type, key: string): Field | undefined {
  return type.fieldsArray.find((f) => f.name === key || f.protoName === key)?.resolve();
}

export const isMessage = (resolved: Type | Enum | null | undefined): resolved is Type =>
  resolved != null && 'fieldsArray' in resolved;
export const isEnum = (resolved: Type | Enum | null | undefined): resolved is Enum =>
  resolved != null && 'values' in resolved;

export type HttpVerb = 'GET' | 'POST' | 'DELETE';

export interface CloudRoute<Id extends string = string> {
  operationId: Id;
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
export function cloudMethodName(operationId: string): string {
  const name = operationId.replace(/^list/, 'get');
  return name[0]!.toUpperCase() + name.slice(1);
}

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function routeOf<Id extends string>(operationId: Id): CloudRoute<Id> {
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

/** The route of each operation, derived from the protos at once (a missing method fails at start-up). */
export function cloudRoutes<Id extends string>(
  operationIds: readonly Id[],
): Readonly<Record<Id, CloudRoute<Id>>> {
  return Object.freeze(
    Object.fromEntries(operationIds.map((id) => [id, routeOf(id)])) as Record<Id, CloudRoute<Id>>,
  );
}

/** A message's fields as plain data: a scalar's proto type (`string`, `bool`, ...; `[]` when repeated), or a nested message's fields. */
export type MessageShape = { [field: string]: string | MessageShape };

/**
 * The fields of a message (JSON names), scalars by proto type and messages nested, for code that may not load the
 * protos itself (workflow code): `npm run generate` writes what it needs of them. Maps and enums are not needed yet.
 */
export function messageShape(type: Type): MessageShape {
  const shape: MessageShape = {};
  for (const f of type.fieldsArray) {
    const field = f.resolve();
    if (field.map || isEnum(field.resolvedType))
      throw new Error(`${type.fullName}.${field.name}: maps and enums have no shape yet`);
    const inner = isMessage(field.resolvedType) ? messageShape(field.resolvedType) : field.type;
    if (field.repeated && typeof inner !== 'string')
      throw new Error(`${type.fullName}.${field.name}: repeated messages have no shape yet`);
    shape[field.name] = field.repeated ? `${inner as string}[]` : inner;
  }
  return shape;
}
