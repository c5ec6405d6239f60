// A strict check of protobuf JSON against a message type: what the gateway would refuse to decode.
import { isObject } from './json';
import { isEnum, isMessage, type Field, type Type } from './protos';

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
  if (isMessage(resolved)) return checkMessage(resolved, value, path, out);
  if (isEnum(resolved)) {
    // Own names only: protobufjs's `values` inherits the numbers ("1") from `valuesById`.
    const ok = typeof value === 'string' ? Object.hasOwn(resolved.values, value) : Number.isInteger(value);
    if (!ok) out.push(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.name}`);
    return;
  }
  const problem = scalarProblem(field.type, value);
  if (problem) out.push(`${path}: ${problem}`);
}

/** What is wrong with a scalar field's JSON value, if anything. */
function scalarProblem(t: string, value: unknown): string | undefined {
  const expected = (what: string) => `expected ${what}, got ${JSON.stringify(value)}`;
  if (t === 'string') return typeof value === 'string' ? undefined : expected('a string');
  if (t === 'bool') return typeof value === 'boolean' ? undefined : expected('a boolean');
  if (INT32.has(t)) {
    // A JSON number, or a string holding one ("", " 5", "0x10" are not), integral and in the type's range.
    const n = typeof value === 'string' && JSON_NUMBER.test(value) ? Number(value) : value;
    const [min, max] = t.startsWith('u') || t === 'fixed32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
    const ok = Number.isInteger(n) && (n as number) >= min && (n as number) <= max;
    return ok ? undefined : expected(`an integer (${t})`);
  }
  if (INT64.has(t)) {
    const ok = Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value));
    return ok ? undefined : expected('an int64');
  }
  if (t === 'double' || t === 'float') {
    const ok = typeof value === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(String(value));
    return ok ? undefined : expected('a number');
  }
  if (t === 'bytes') {
    const ok = typeof value === 'string' && BASE64.test(value.replace(/\s/g, ''));
    return ok ? undefined : expected('base64 bytes');
  }
  return `unsupported field type ${t}`;
}
