// Protobuf JSON's two spellings of "not set", from the message descriptors: the canonical form (no field at its
// default) that both sides read, and the gateway's form (every field, unset ones at their default or null) that
// the real HTTP gateway sends (grpc-gateway runtime/marshaler_registry.go: EmitUnpopulated is on by default).
import { isObject, type Json } from './json';
import { isEnum, isMessage, type Field, type Type } from './protos';

const INTEGER = /^(u?int|s?fixed|sint)(32|64)$/;
const INT64 = /^(u?int|s?fixed|sint)64$/;
/** Well-known types travel as strings (Timestamp, Duration) or as they are (Any): never walked into. */
const wellKnown = (type: Type) => type.fullName.startsWith('.google.protobuf.');

export interface CanonicalOptions {
  /** The error for a field given twice (as JSON name and proto name); by default the last one wins. */
  givenTwice?: (path: string) => Error;
}

/**
 * JSON (lowerCamelCase) field names, enum values by name, numbers as numbers, and no field at its default
 * (null, false, 0, "", [], an empty map, the enum's zero value): proto3 cannot tell a default from an
 * absent field, so neither side does. A message that is present stays, even when empty. A field the
 * descriptors do not know (a newer API) stays as it is, unless null; a value of the wrong JSON shape stays
 * as it is too (a strict check, protoJsonProblems, is the place to refuse it).
 */
export function canonicalProtoJson(
  type: Type,
  json: unknown,
  path = '',
  options: CanonicalOptions = {},
): Json {
  const out: Json = {};
  if (!isObject(json)) return out;
  const byName = new Map<string, Field>();
  for (const field of type.fieldsArray)
    byName.set(field.name, field).set(field.protoName ?? field.name, field);
  for (const [key, value] of Object.entries(json)) {
    const field = byName.get(key);
    if (!field) {
      if (value !== null && value !== undefined) out[key] = value;
      continue;
    }
    const at = path ? `${path}.${field.name}` : field.name;
    // `page_size` and `pageSize` are the same field: saying it twice is ambiguous.
    if (Object.hasOwn(out, field.name) && options.givenTwice) throw options.givenTwice(at);
    const canonical = canonicalField(field, value, at, options);
    if (canonical !== undefined) out[field.name] = canonical;
    else delete out[field.name];
  }
  return out;
}

function canonicalField(field: Field, value: unknown, path: string, options: CanonicalOptions): unknown {
  if (value === null || value === undefined) return undefined;
  field.resolve();
  if (field.map) {
    if (!isObject(value)) return value;
    const entries = Object.entries(value).map(([k, v]) => [
      k,
      canonicalValue(field, v, `${path}.${k}`, options),
    ]);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return value;
    const items = value.map((v, i) => canonicalValue(field, v, `${path}[${i}]`, options));
    return items.length > 0 ? items : undefined;
  }
  const canonical = canonicalValue(field, value, path, options);
  return isDefault(field, canonical) ? undefined : canonical;
}

function canonicalValue(field: Field, value: unknown, path: string, options: CanonicalOptions): unknown {
  const resolved = field.resolvedType;
  if (isMessage(resolved)) {
    return wellKnown(resolved) || !isObject(value)
      ? value
      : canonicalProtoJson(resolved, value, path, options);
  }
  if (isEnum(resolved)) {
    if (typeof value === 'string') return value;
    const name = Object.entries(resolved.values).find(([, n]) => n === value)?.[0];
    return name ?? value;
  }
  if (INTEGER.test(field.type) && field.type.endsWith('32')) return Number(value);
  if (field.type === 'double' || field.type === 'float') return Number(value);
  return value;
}

function isDefault(field: Field, value: unknown): boolean {
  const resolved = field.resolvedType;
  if (isMessage(resolved)) return false;
  if (isEnum(resolved)) return resolved.values[String(value)] === 0 || value === 0;
  // "0" is the default of a 64-bit integer only (proto JSON writes those as strings); a name may be "0".
  return value === '' || value === false || value === 0 || (value === '0' && INT64.test(field.type));
}

/**
 * `json` (a message of `type`) as the gateway sends it: every field that is not set spelled out at its
 * default — null for a message, false, 0, "0" for a 64-bit integer, "", the enum's zero value by name, [] and
 * {} — and the same within every message that is set. Fields of a oneof that are not set stay out (protojson's
 * EmitUnpopulated "does not emit unpopulated oneof fields").
 */
export function withUnpopulated(type: Type, json: unknown): unknown {
  if (!isObject(json) || wellKnown(type)) return json;
  const out: Json = { ...json };
  for (const field of type.fieldsArray) {
    field.resolve();
    const value = out[field.name];
    if (value === undefined || value === null) {
      if (field.partOf) continue;
      out[field.name] = unpopulated(field);
      continue;
    }
    const message = field.resolvedType;
    if (!isMessage(message)) continue;
    if (field.map && isObject(value)) {
      out[field.name] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, withUnpopulated(message, v)]),
      );
    } else if (field.repeated && Array.isArray(value)) {
      out[field.name] = value.map((v) => withUnpopulated(message, v));
    } else out[field.name] = withUnpopulated(message, value);
  }
  return out;
}

function unpopulated(field: Field): unknown {
  if (field.map) return {};
  if (field.repeated) return [];
  const resolved = field.resolvedType;
  if (isMessage(resolved)) return null;
  if (isEnum(resolved)) return Object.entries(resolved.values).find(([, n]) => n === 0)?.[0] ?? 0;
  if (field.type === 'bool') return false;
  if (field.type === 'string' || field.type === 'bytes') return '';
  return INT64.test(field.type) ? '0' : 0;
}
