// Protobuf JSON, as the /cloud routes receive it, in one canonical form, and the check that a translation
// to the domain kept everything a request said. Runs only after protoJsonProblems found nothing wrong.
import { isDeepStrictEqual } from 'node:util';
import { isEnum, isMessage, isObject, type Field, type Json, type Type } from '../cloud-api';
import { invalid } from './errors';
const INTEGER = /^(u?int|s?fixed|sint)(32|64)$/;

/**
 * JSON (lowerCamelCase) field names, enum values by name, numbers as numbers, and no field at its default
 * (null, false, 0, "", [], an empty map, the enum's zero value): proto3 cannot tell a default from an
 * absent field, so the emulator does not either. A message that is present stays, even when empty.
 */
export function canonicalProtoJson(type: Type, json: unknown, path = ''): Json {
  const out: Json = {};
  if (!isObject(json)) return out;
  const byName = new Map<string, Field>();
  for (const field of type.fieldsArray)
    byName.set(field.name, field).set(field.protoName ?? field.name, field);
  for (const [key, value] of Object.entries(json)) {
    const field = byName.get(key);
    if (!field) continue;
    const at = path ? `${path}.${field.name}` : field.name;
    // `page_size` and `pageSize` are the same field: saying it twice is ambiguous.
    if (Object.hasOwn(out, field.name)) throw invalid(at, 'is given twice (as JSON name and proto name)');
    const canonical = canonicalField(field, value, at);
    if (canonical !== undefined) out[field.name] = canonical;
  }
  return out;
}

function canonicalField(field: Field, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  field.resolve();
  if (field.map) {
    const entries = Object.entries(value as Json).map(([k, v]) => [
      k,
      canonicalValue(field, v, `${path}.${k}`),
    ]);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (field.repeated) {
    const items = (value as unknown[]).map((v, i) => canonicalValue(field, v, `${path}[${i}]`));
    return items.length > 0 ? items : undefined;
  }
  const canonical = canonicalValue(field, value, path);
  return isDefault(field, canonical) ? undefined : canonical;
}

function canonicalValue(field: Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (isMessage(resolved)) {
    // Well-known types travel as strings (Timestamp, Duration) or as they are (Any).
    return resolved.fullName.startsWith('.google.protobuf.')
      ? value
      : canonicalProtoJson(resolved, value, path);
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
  return value === '' || value === false || value === 0 || value === '0';
}

/**
 * The first part of `sent` that `kept` does not have as well (both canonical), as a field path: what a
 * translation to the domain and back would silently drop. `kept` may have more (e.g. defaults spelled out).
 */
export function firstLoss(sent: unknown, kept: unknown, path = ''): string | undefined {
  if (isObject(sent)) {
    if (!isObject(kept)) return path;
    for (const [key, value] of Object.entries(sent)) {
      const lost = firstLoss(value, kept[key], path ? `${path}.${key}` : key);
      if (lost !== undefined) return lost;
    }
    return undefined;
  }
  if (Array.isArray(sent)) {
    if (!Array.isArray(kept)) return path;
    for (const [i, value] of sent.entries()) {
      const lost = firstLoss(value, kept[i], `${path}[${i}]`);
      if (lost !== undefined) return lost;
    }
    return undefined;
  }
  return isDeepStrictEqual(sent, kept) ? undefined : path;
}
