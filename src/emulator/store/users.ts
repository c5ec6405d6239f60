// Users: an email unique case-insensitively, access to namespaces that exist; `pending` (invited) until
// their create settles. Deleting one leaves its API keys (see principals.ts).
import { ApiError } from '../errors';
import { checkEmail, requireString } from '../rules';
import type { Store } from './core';
import { checkCustomRoles } from './custom-roles';
import { leaveGroups } from './user-groups';
import { checkPrincipalAccess, principalType } from './principals';
import { newId, type Json, type MutationOptions, type UserRecord, type UserSpec } from './records';

// A deleted user leaves every group it was in.
export const USER = { ...principalType<UserRecord>('user', 'pending'), removed: leaveGroups };

function validateSpec(store: Store, spec: UserSpec): UserSpec {
  const email = requireString(spec.email, 'spec.email');
  checkEmail(email);
  checkPrincipalAccess(store, spec.access);
  const lower = email.toLowerCase();
  for (const user of store.users.values()) {
    if (user.spec.email.toLowerCase() === lower) {
      throw new ApiError('already_exists', `a user with email '${email}' already exists`, 'spec.email');
    }
  }
  return { email, ...(spec.access ? { access: structuredClone(spec.access) } : {}) };
}

export function createUser(store: Store, body: { spec: UserSpec }, options: MutationOptions) {
  const spec = validateSpec(store, body.spec);
  checkCustomRoles(store, options.unmodelled?.fields);
  const { record, asyncOperationId } = store.create('user', 'createUser', { id: newId(), spec }, options);
  return { userId: record.id, asyncOperationId };
}

export const seedUser = (store: Store, spec: UserSpec, now: number, unmodelled?: Json): string => {
  checkCustomRoles(store, unmodelled);
  return store.insert(
    'user',
    { id: newId(), spec: validateSpec(store, spec), state: 'active' },
    now,
    unmodelled,
  ).id;
};
