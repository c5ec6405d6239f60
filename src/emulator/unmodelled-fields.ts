// The realism switch `unmodelledFields`: the real API's spec fields the domain does not model are kept on
// the resource, and a whole-spec update replaces them with what it sent — so what it leaves out is lost, as
// in the real service. This file says which fields an update lost.

import {
  apiKeySpecToCloud,
  customRoleSpecToCloud,
  isObject,
  namespaceSpecToCloud,
  protoJsonProblems,
  protoType,
  serviceAccountSpecToCloud,
  userGroupSpecToCloud,
  userSpecToCloud,
  type Json,
  type UserGroupSpecForm,
} from '../cloud-api';
import { invalid } from './errors';

/** A /cloud request's spec fields beyond the domain's (undefined: it sent none). */
export interface UnmodelledSent {
  fields?: Json;
}

// The namespace mapping keeps a codec server's own extra fields under this name (src/cloud-api/specs.ts).
const REAL_NAMES: Readonly<Record<string, string>> = { codecServerExtras: 'codecServer' };

/** The fields `before` had that `after` has not, as dot paths in the real API's names (leaves only). */
export function lostFields(before: unknown, after: unknown, path = ''): string[] {
  if (!isObject(before)) return [];
  const lost: string[] = [];
  for (const [key, value] of Object.entries(before)) {
    const at = path ? `${path}.${key}` : (REAL_NAMES[key] ?? key);
    const now = isObject(after) ? after[key] : undefined;
    if (isObject(value)) lost.push(...lostFields(value, now, at));
    else if (now === undefined) lost.push(at);
  }
  return lost;
}

type SeedList = 'namespaces' | 'users' | 'serviceAccounts' | 'apiKeys' | 'customRoles' | 'userGroups';

/** A seeded group's spec: its members (memberEmails) are not part of it. */
const groupSpecToCloud = ({ memberEmails: _m, ...spec }: UserGroupSpecForm & { memberEmails?: string[] }) =>
  userGroupSpecToCloud(spec);

const SEED_SPECS: Record<SeedList, { type: string; toCloud: (spec: never) => Json }> = {
  namespaces: { type: 'temporal.api.cloud.namespace.v1.NamespaceSpec', toCloud: namespaceSpecToCloud },
  users: { type: 'temporal.api.cloud.identity.v1.UserSpec', toCloud: userSpecToCloud },
  serviceAccounts: {
    type: 'temporal.api.cloud.identity.v1.ServiceAccountSpec',
    toCloud: serviceAccountSpecToCloud,
  },
  apiKeys: { type: 'temporal.api.cloud.identity.v1.ApiKeySpec', toCloud: apiKeySpecToCloud },
  customRoles: { type: 'temporal.api.cloud.identity.v1.CustomRoleSpec', toCloud: customRoleSpecToCloud },
  userGroups: { type: 'temporal.api.cloud.identity.v1.UserGroupSpec', toCloud: groupSpecToCloud },
};

/**
 * A seeded spec's `preserved` part (the real API's fields the domain does not model, in its JSON names)
 * apart from the rest, once the whole is valid protobuf JSON for the real API's spec. Lets tests seed a
 * user's custom roles or a service account's description as the real service would have them.
 */
export function seedUnmodelled(list: SeedList, item: unknown): { spec: unknown; unmodelled?: Json } {
  if (!isObject(item) || item.preserved === undefined) return { spec: item };
  const { preserved, ...spec } = item;
  if (!isObject(preserved))
    throw invalid('spec.preserved', 'must be an object of the real API’s spec fields');
  const { type, toCloud } = SEED_SPECS[list];
  const problem = protoJsonProblems(protoType(type), toCloud({ ...spec, preserved } as never), '$.spec')[0];
  if (problem !== undefined) throw invalid('spec.preserved', problem);
  return { spec, unmodelled: preserved };
}
