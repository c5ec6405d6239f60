// Protobuf JSON as the /cloud routes receive it, in one canonical form, and the check that a translation
// to the domain kept everything a request said. Runs only after protoJsonProblems found nothing wrong.
import { isDeepStrictEqual } from 'node:util';
import { canonicalProtoJson, isObject, type Json, type Type } from '../cloud-api';
import { invalid } from './errors';

/** A request message in canonical form (src/cloud-api/canonical.ts); a field given twice is refused. */
export const canonicalRequest = (type: Type, json: unknown): Json =>
  canonicalProtoJson(type, json, '', {
    givenTwice: (at) => invalid(at, 'is given twice (as JSON name and proto name)'),
  });

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
