// Small facts about resources that several places must agree on. Workflow-safe.

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

/** A CA bundle's base64 is the same with or without the line breaks people keep in it. */
export const normalizeCa = (base64: string): string => base64.replace(/\s/g, '');
