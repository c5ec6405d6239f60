// Service accounts: a unique name, and either account-wide access or access scoped to one namespace that
// exists. Deleting one leaves its API keys (see principals.ts).
import { ApiError } from '../errors';
import { checkLength, checkNamespaceScopedAccess, requireString } from '../rules';
import type { Store } from './core';
import { checkCustomRoles } from './custom-roles';
import { accessOf, checkPrincipalAccess, principalType } from './principals';
import {
  newId,
  type Json,
  type MutationOptions,
  type ServiceAccountRecord,
  type ServiceAccountSpec,
} from './records';

export const SERVICE_ACCOUNT = principalType<ServiceAccountRecord>('service account', 'activating');

function validateSpec(store: Store, spec: ServiceAccountSpec): ServiceAccountSpec {
  const name = requireString(spec.name, 'spec.name');
  checkLength(name, 1, 64, 'spec.name');
  checkPrincipalAccess(store, spec.access);
  checkNamespaceScopedAccess(spec, (id) => store.namespaces.has(id));
  for (const sa of store.serviceAccounts.values()) {
    if (sa.spec.name === name) {
      throw new ApiError('already_exists', `service account '${name}' already exists`, 'spec.name');
    }
  }
  return { name, ...accessOf(spec) };
}

export function createServiceAccount(
  store: Store,
  body: { spec: ServiceAccountSpec },
  options: MutationOptions,
) {
  const spec = validateSpec(store, body.spec);
  checkCustomRoles(store, options.unmodelled?.fields);
  const { record, asyncOperationId } = store.create(
    'serviceAccount',
    'createServiceAccount',
    { id: newId(), spec },
    options,
  );
  return { serviceAccountId: record.id, asyncOperationId };
}

export function seedServiceAccount(
  store: Store,
  spec: ServiceAccountSpec,
  now: number,
  unmodelled?: Json,
): string {
  const fields = { id: newId(), spec: validateSpec(store, spec), state: 'active' as const };
  return store.insert('serviceAccount', fields, now, unmodelled).id;
}
