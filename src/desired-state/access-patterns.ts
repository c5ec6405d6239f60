// Patterns of names (`*` = any characters), as prune and access use them. Access by pattern: a key of a principal's
// `access` is a namespace name of the file or a pattern (`payments-*`, `*`) that stands for every namespace of the
// account whose name matches — today's and those made later. Pure and workflow-safe: the plan expands it against
// the account, and provisioning asks it of a new namespace.
/** Namespace permissions, strongest first (the schema's enum is made of them). */
export const PERMISSIONS = ['admin', 'write', 'read'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** A key with a `*` is a pattern; any other key names one namespace of the file. */
export const isAccessPattern = (key: string): boolean => key.includes('*');

const stronger = (a: Permission, b: Permission) => PERMISSIONS.indexOf(a) < PERMISSIONS.indexOf(b);

/** One namespace's permission as the file gives it: named, or through a pattern (the one it came from). */
export interface ExpandedGrant {
  permission: Permission;
  /** The pattern that gave it; absent when the file names the namespace. */
  pattern?: string;
}

/**
 * The grants `access` gives over `namespaces` (names), by namespace name. A name the file writes beats every
 * pattern; of several patterns matching one namespace, the strongest permission wins (grants add up, as a
 * principal's access does everywhere else) and, between equals, the first in the file names the source.
 */
export function expandAccess(
  access: Record<string, Permission>,
  namespaces: readonly string[],
): Map<string, ExpandedGrant> {
  const grants = new Map<string, ExpandedGrant>();
  const patterns = Object.entries(access).filter(([key]) => isAccessPattern(key));
  for (const [key, permission] of Object.entries(access)) {
    if (!isAccessPattern(key)) grants.set(key, { permission });
  }
  for (const ns of namespaces) {
    if (grants.has(ns)) continue;
    for (const [pattern, permission] of patterns) {
      const best = grants.get(ns);
      if (matchesAny(ns, [pattern]) && (!best || stronger(permission, best.permission)))
        grants.set(ns, { permission, pattern });
    }
  }
  return grants;
}

/** The patterns of `access` that match none of `namespaces`: they grant nothing now (they will, later). */
export function idlePatterns(access: Record<string, Permission>, namespaces: readonly string[]): string[] {
  return Object.keys(access).filter(
    (key) => isAccessPattern(key) && !namespaces.some((ns) => matchesAny(ns, [key])),
  );
}

type Holders = ReadonlyArray<{ access?: Record<string, Permission> | undefined }> | undefined;

/**
 * Every principal of a file that holds namespace access, whatever its kind (users, service accounts, user groups):
 * what expansion and provisioning look at.
 */
export function accessHolders(desired: {
  users?: Holders;
  serviceAccounts?: Holders;
  userGroups?: Holders;
}): Array<{ access?: Record<string, Permission> | undefined }> {
  return [...(desired.users ?? []), ...(desired.serviceAccounts ?? []), ...(desired.userGroups ?? [])];
}

/** Whether the access of any of `principals` reaches `namespace` (by its name or a pattern). */
export function accessReaches(
  principals: ReadonlyArray<{ access?: Record<string, Permission> | undefined }>,
  namespace: string,
): boolean {
  return principals.some(({ access = {} }) => expandAccess(access, [namespace]).has(namespace));
}

/** Does `name` match any of the patterns (`*` = any characters)? */
export function matchesAny(name: string, patterns: readonly string[] | undefined): boolean {
  return (patterns ?? []).some((p) =>
    new RegExp(
      `^${p
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      'i',
    ).test(name),
  );
}
