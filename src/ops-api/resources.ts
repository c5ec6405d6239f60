// Facts about the API's resources that workflows, activities and desired state must agree on. Workflow-safe.
import type { Namespace, NamespaceSpec, ServiceAccount } from './types';

/**
 * The custom roles (ids) a user's or group's account access names. The domain does not model them: they travel
 * in the spec's `preserved` part as the real API has them (`access.accountAccess.customRoles`).
 */
export function customRolesOf(spec: { preserved?: Record<string, unknown> }): string[] {
  const access = spec.preserved?.access as { accountAccess?: { customRoles?: unknown } } | undefined;
  const roles = access?.accountAccess?.customRoles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

/** Whether a service account reaches the namespace (by id): scoped to it, or granted access to it. */
export function reachesNamespace(sa: Pick<ServiceAccount, 'spec'>, namespace: string): boolean {
  return (
    sa.spec.namespaceScopedAccess?.namespace === namespace ||
    sa.spec.access?.namespaceAccesses?.[namespace] !== undefined
  );
}

/** The namespaces a service account reaches (ids): its one namespace if scoped, else its grants. */
export function namespacesOf(sa: Pick<ServiceAccount, 'spec'>): string[] {
  const scoped = sa.spec.namespaceScopedAccess?.namespace;
  return scoped ? [scoped] : Object.keys(sa.spec.access?.namespaceAccesses ?? {});
}

/**
 * Where a namespace's clients connect: the API-key endpoint when it takes API keys and not mTLS, the mTLS one
 * otherwise — each falling back to another address when the API leaves it empty.
 */
export function clientAddress(ns: Pick<Namespace, 'spec' | 'endpoints'>): string {
  const { endpoints } = ns;
  const byApiKey = ns.spec.apiKeyAuth?.enabled === true && !ns.spec.mtlsAuth;
  const preferred = byApiKey ? endpoints.apiKeyGrpcAddress : endpoints.mtlsGrpcAddress;
  return preferred || endpoints.grpcAddress || endpoints.apiKeyGrpcAddress || endpoints.mtlsGrpcAddress;
}

/** The namespace settings this product changes (update-namespace, desired state); `null` clears one. */
export interface NamespaceChanges {
  retentionDays?: number;
  codecServer?: NamespaceSpec['codecServer'] | null;
  mtlsAuth?: NamespaceSpec['mtlsAuth'] | null;
  apiKeyAuth?: boolean;
}

/**
 * The whole spec as read, with the changes merged in: an update replaces the spec, so a field no change names (mTLS,
 * API-key auth, what only the real API has) is kept.
 */
export function withNamespaceChanges(current: NamespaceSpec, changes: NamespaceChanges): NamespaceSpec {
  const next: NamespaceSpec = { ...current };
  if (changes.retentionDays !== undefined) next.retentionDays = changes.retentionDays;
  if (changes.apiKeyAuth !== undefined) next.apiKeyAuth = { enabled: changes.apiKeyAuth };
  for (const field of ['codecServer', 'mtlsAuth'] as const) {
    const value = changes[field];
    if (value === null) delete next[field];
    else if (value !== undefined) (next as Record<string, unknown>)[field] = value;
  }
  return next;
}

/** A value that says nothing: absent, null, false, "", [] or {} (all fields of which say nothing). */
const saysNothing = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === false ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every(saysNothing));

/**
 * Whether two specs say the same, a field at its default (absent, null, false, "", [], {}) counting as absent:
 * the real API cannot tell them apart either, so neither is a change.
 */
export function sameSpec(a: unknown, b: unknown): boolean {
  if (saysNothing(a) || saysNothing(b)) return saysNothing(a) && saysNothing(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameSpec(v, b[i]))
    );
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].every((k) =>
      sameSpec((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return a === b;
}
