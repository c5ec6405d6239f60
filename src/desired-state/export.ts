// The account as it is, in the file format (no tokens: the API never returns them after creation), so an
// existing set-up is imported with one command and `plan` on the result prints no changes.
import { stringify } from 'yaml';
import { baseDisplayName } from '../shared/api-key-names';
import type { AccountSnapshot } from './plan';
import type { DesiredStateInput } from './schema';
import { isLive, newestFirst, normalizeCa } from '../shared/resources';

const DAY_MS = 86_400_000;
export const DESIRED_STATE_SCHEMA_URL = './desired-state.schema.json';

export function exportDesiredState(account: AccountSnapshot, name?: string): DesiredStateInput {
  const live = <T extends { state: string }>(items: T[]) => items.filter(isLive);
  const namespaces = live(account.namespaces);
  const nsName = new Map(namespaces.map((n) => [n.id, n.name]));
  // Only access to namespaces the file defines can be written down (a reference must resolve).
  const access = (grants: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(grants)
        .filter(([id]) => nsName.has(id))
        .map(([id, p]) => [nsName.get(id)!, p]),
    ) as Record<string, 'admin' | 'write' | 'read'>;
  const keys = live(account.apiKeys);
  const roleName = new Map(live(account.customRoles ?? []).map((r) => [r.id, r.name]));
  // Roles by name, of the roles the file defines (a role read meanwhile deleted cannot be referred to).
  const roles = (ids: string[] | undefined) => {
    const names = (ids ?? []).filter((id) => roleName.has(id)).map((id) => roleName.get(id)!);
    return names.length > 0 ? { customRoles: names.sort() } : {};
  };
  const users = live(account.users);
  const emailById = new Map(users.map((u) => [u.id, u.email]));
  return {
    ...(name ? { name } : {}),
    namespaces: namespaces.map((n) => ({
      name: n.name,
      region: n.region,
      retentionDays: n.retentionDays,
      ...(n.codecServer ? { codecServer: n.codecServer } : {}),
      ...(n.mtlsAuth
        ? { mtlsAuth: { ...n.mtlsAuth, acceptedClientCa: normalizeCa(n.mtlsAuth.acceptedClientCa) } }
        : {}),
      apiKeyAuth: n.apiKeyAuth,
    })),
    serviceAccounts: live(account.serviceAccounts).map((sa) => {
      const owned = keys.filter((k) => k.ownerId === sa.id);
      const names = [...new Set(owned.map((k) => baseDisplayName(k.displayName)))];
      const scoped = sa.namespaceScoped ? nsName.get(sa.namespaceScoped) : undefined;
      return {
        name: sa.name,
        ...(scoped ? { namespaceScoped: scoped } : {}),
        ...(sa.role && sa.role !== 'none' ? { accountRole: sa.role as never } : {}),
        ...roles(sa.customRoles),
        access: access(sa.access),
        apiKeys: names.map((displayName) => {
          const newest = owned
            .filter((k) => baseDisplayName(k.displayName) === displayName)
            .sort(newestFirst)[0]!;
          // The lifetime the existing key was given, as the policy for the next one.
          const lifetime = newest.createdTime
            ? Math.round((Date.parse(newest.expiryTime) - Date.parse(newest.createdTime)) / DAY_MS)
            : 90;
          return { displayName, expiryDays: Math.min(730, Math.max(1, lifetime)) };
        }),
      };
    }),
    users: users.map((u) => ({
      email: u.email,
      role: u.role as never,
      ...roles(u.customRoles),
      access: access(u.access),
    })),
    // Every group with its members: an identity provider's too, shown as they are (the plan never changes them).
    userGroups: live(account.userGroups ?? []).map((g) => ({
      name: g.name,
      ...(g.type !== 'cloud' ? { type: g.type } : {}),
      members: g.members.filter((id) => emailById.has(id)).map((id) => emailById.get(id)!),
      ...(g.role !== 'none' ? { accountRole: g.role as never } : {}),
      ...roles(g.customRoles),
      access: access(g.access),
    })),
    customRoles: live(account.customRoles ?? []).map((r) => ({
      name: r.name,
      ...(r.description ? { description: r.description } : {}),
      permissions: r.permissions,
    })),
  };
}

/** The YAML text of an export, pointing editors at the JSON Schema. */
export function exportYaml(state: DesiredStateInput, schemaUrl = DESIRED_STATE_SCHEMA_URL): string {
  return (
    `# yaml-language-server: $schema=${schemaUrl}\n` +
    '# Exported from the account by `npm run export`; API keys are listed by name, never with a token.\n' +
    stringify(state, { lineWidth: 0 })
  );
}
