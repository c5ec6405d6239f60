// The parts of a real-API spec the domain does not model, carried from a read to the next whole-spec
// update: the real API replaces the whole spec, so what an update leaves out is cleared. Split by the
// protos (a map or a repeated field is one value; a message is split field by field), so nothing here is a
// hand-kept list of fields — a field the pinned protos do not even know (a newer API) is kept too.
import { isObject, type Json } from './json';
import { fieldOf, isMessage, type Type } from './protos';

/**
 * What `asRead` (a spec as the server sent it) has that `modelled` (the domain's translation of it, encoded
 * again) does not: whole fields the domain left out, and within a message field both have, the same again.
 * Undefined when the domain models everything.
 */
export function unmodelledPart(type: Type, asRead: unknown, modelled: Json): Json | undefined {
  if (!isObject(asRead)) return undefined;
  const out: Json = {};
  for (const [key, value] of Object.entries(asRead)) {
    if (value === undefined || value === null) continue;
    const field = fieldOf(type, key);
    if (!(key in modelled)) {
      out[key] = value;
      continue;
    }
    const nested = field?.resolvedType;
    if (field && !field.map && !field.repeated && isMessage(nested) && isObject(value)) {
      const inner = isObject(modelled[key]) ? modelled[key] : {};
      const part = unmodelledPart(nested, value, inner);
      if (part) out[key] = part;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The spec to send: the domain's fields, and wherever the domain says nothing, the unmodelled part as read. */
export function withUnmodelled(unmodelled: unknown, modelled: Json): Json {
  if (!isObject(unmodelled)) return modelled;
  const out: Json = { ...unmodelled };
  for (const [key, value] of Object.entries(modelled)) {
    out[key] = isObject(value) && isObject(out[key]) ? withUnmodelled(out[key], value) : value;
  }
  return out;
}
