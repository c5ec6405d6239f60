// Small facts about resources that several places must agree on. Workflow-safe.
import type { NamespaceSpec, ServiceAccount } from '../ops-api/types';

/** A resource on its way out or gone: never adopted, planned against or exported as existing. */
const LEAVING: ReadonlySet<string> = new Set(['deleting', 'deleted']);

export const isLive = (resource: { state: string }): boolean => !LEAVING.has(resource.state);

/**
 * Newest first (by creation, ties by id so every replay agrees): of a rotation's old and new key, which
 * share a name during the grace period, the first is the one in use.
 */
export function newestFirst<T extends { id: string; createdTime?: string | undefined }>(a: T, b: T): number {
  return (b.createdTime ?? '').localeCompare(a.createdTime ?? '') || a.id.localeCompare(b.id);
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

/** A CA bundle's base64 is the same with or without the line breaks people keep in it. */
export const normalizeCa = (base64: string): string => base64.replace(/\s/g, '');

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
