// Users and service accounts alike: what a principal's access may name, and the real API's operations
// that change an existing principal (a whole-spec update, or one namespace's permission).
import type { Access, AnyOperationId, NamespacePermission } from '../../ops-api/types';
import { invalid, notFound } from '../errors';
import { checkAccess, checkScopeKept } from '../rules';
import { checkVersion, failedPrecondition, type ResourceType, type Store } from './core';
import { checkCustomRoles } from './custom-roles';
import {
  renderTracked,
  type MutationOptions,
  type ServiceAccountRecord,
  type ServiceAccountSpec,
  type UserRecord,
  type UserSpec,
} from './records';

export type PrincipalKind = 'user' | 'serviceAccount';
type PrincipalRecord = UserRecord | ServiceAccountRecord;

/**
 * A user's or service account's life: no failed states (a failed create removes it, a failed delete leaves it
 * active). Deleting one leaves the API keys it owns: nothing public says the real service takes them with it
 * (docs/real-service.md), so a client must delete them first.
 */
export function principalType<R extends PrincipalRecord>(
  what: string,
  creating: R['state'],
): ResourceType<R> {
  return {
    what,
    creating,
    deleteFailed: 'active',
    deleteRefused: [creating],
    render: (r) => renderTracked(r),
  };
}

/** The access a principal's spec keeps: account-wide `access`, or a service account's namespace-scoped one. */
export function accessOf(spec: {
  access?: Access;
  namespaceScopedAccess?: ServiceAccountSpec['namespaceScopedAccess'];
}) {
  return {
    ...(spec.access ? { access: structuredClone(spec.access) } : {}),
    ...(spec.namespaceScopedAccess
      ? { namespaceScopedAccess: structuredClone(spec.namespaceScopedAccess) }
      : {}),
  };
}

/** Its access may name only namespaces that exist. */
export const checkPrincipalAccess = (store: Store, access: Access | undefined): void =>
  checkAccess(access, (id) => store.namespaces.has(id));

/** updateUser / updateServiceAccount: the whole spec replaces the old one; the name or email stays. */
export function updatePrincipal(
  store: Store,
  kind: PrincipalKind,
  id: string,
  body: { resourceVersion: string; spec: UserSpec | ServiceAccountSpec },
  options: MutationOptions,
) {
  const record = store.existing(kind, id);
  const key = kind === 'user' ? 'email' : 'name';
  const was = (record.spec as unknown as Record<string, string>)[key]!;
  const now = (body.spec as Record<string, unknown>)[key];
  if (typeof now !== 'string' || now.toLowerCase() !== was.toLowerCase()) {
    throw invalid(`spec.${key}`, `is immutable (it is '${was}')`);
  }
  checkPrincipalAccess(store, body.spec.access);
  checkCustomRoles(store, options.unmodelled?.fields);
  if (kind === 'serviceAccount') {
    checkScopeKept(record.spec as ServiceAccountSpec, body.spec as ServiceAccountSpec);
  }
  const spec = { [key]: was, ...accessOf(body.spec) };
  const operationType = kind === 'user' ? 'updateUser' : 'updateServiceAccount';
  return change(store, kind, record, spec, body.resourceVersion, { ...options, operationType });
}

/** set*NamespaceAccess: one namespace's permission, the others untouched. */
export function setNamespaceAccess(
  store: Store,
  kind: PrincipalKind,
  id: string,
  body: { namespace: string; access: { permission: NamespacePermission }; resourceVersion: string },
  options: MutationOptions,
) {
  const record = store.existing(kind, id);
  if (!store.namespaces.has(body.namespace)) throw notFound('namespace', body.namespace);
  const scoped = (record.spec as ServiceAccountSpec).namespaceScopedAccess;
  const operationType = kind === 'user' ? 'setUserNamespaceAccess' : 'setServiceAccountNamespaceAccess';
  if (scoped) {
    // Its one namespace's permission may change; it can reach no other.
    if (scoped.namespace !== body.namespace) {
      throw invalid('namespace', `service account '${id}' is scoped to namespace '${scoped.namespace}' only`);
    }
    const spec: ServiceAccountSpec = {
      ...(structuredClone(record.spec) as ServiceAccountSpec),
      namespaceScopedAccess: { ...scoped, access: { ...body.access } },
    };
    return change(store, kind, record, spec, body.resourceVersion, { ...options, operationType });
  }
  const spec = structuredClone(record.spec) as UserSpec;
  spec.access = {
    ...spec.access,
    namespaceAccesses: { ...spec.access?.namespaceAccesses, [body.namespace]: { ...body.access } },
  };
  return change(store, kind, record, spec, body.resourceVersion, { ...options, operationType });
}

/** A principal has no "updating" state: it stays usable and changes when the operation is fulfilled. */
function change(
  store: Store,
  kind: PrincipalKind,
  record: PrincipalRecord,
  spec: object,
  resourceVersion: string,
  options: MutationOptions & { operationType: AnyOperationId },
) {
  const what = store.what(kind);
  if (record.state === 'deleting') throw failedPrecondition(what, record.id, record.state);
  checkVersion(record, what, resourceVersion);
  return store.update(kind, options.operationType, record, spec, options);
}
