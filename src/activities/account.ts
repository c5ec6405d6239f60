// The account as desired state sees it: every namespace, service account, user and service-account key, and (where
// the API has them) every user group with its members and every custom role, read once.
import { listAll } from '../ops-api';
import type { Access, NamespaceSpec, OpsApiClient } from '../ops-api';
import { customRolesOf } from '../ops-api/resources';
import type { AccountSnapshot } from '../desired-state/plan';
import type { Permission } from '../desired-state/schema';
import { isLive, normalizeCa } from '../shared/resources';
import { heartbeat } from './util';

const normalCa = (spec: NamespaceSpec) =>
  spec.mtlsAuth
    ? { ...spec.mtlsAuth, acceptedClientCa: normalizeCa(spec.mtlsAuth.acceptedClientCa) }
    : undefined;

const permissions = (a: Access | undefined) =>
  Object.fromEntries(
    Object.entries(a?.namespaceAccesses ?? {}).map(([id, grant]) => [id, grant.permission as Permission]),
  );

/** Reads the account into what a plan or an export needs (never a token: the API does not return them). */
export async function readAccount(client: OpsApiClient): Promise<AccountSnapshot> {
  const [regions, namespaces, serviceAccounts, users, apiKeys] = await Promise.all([
    client.listRegions(),
    listAll(client, 'listNamespaces'),
    listAll(client, 'listServiceAccounts'),
    listAll(client, 'listUsers'),
    listAll(client, 'listApiKeys', { ownerType: 'service-account' }),
  ]);
  heartbeat();
  const model = await readAccessModel(client);
  return {
    ...model,
    regions: (regions.regions ?? []).map((r) => r.id ?? '').filter(Boolean),
    namespaces: namespaces.map((n) => ({
      id: n.namespace,
      name: n.spec.name,
      region: n.spec.region,
      retentionDays: n.spec.retentionDays,
      ...(n.spec.codecServer ? { codecServer: n.spec.codecServer } : {}),
      ...(n.spec.mtlsAuth ? { mtlsAuth: normalCa(n.spec) } : {}),
      apiKeyAuth: n.spec.apiKeyAuth?.enabled === true,
      state: n.state,
    })),
    serviceAccounts: serviceAccounts.map((sa) => {
      const scoped = sa.spec.namespaceScopedAccess;
      return {
        id: sa.id,
        name: sa.spec.name,
        state: sa.state,
        access: scoped ? { [scoped.namespace]: scoped.access.permission } : permissions(sa.spec.access),
        ...(scoped
          ? { namespaceScoped: scoped.namespace }
          : { role: sa.spec.access?.accountAccess?.role ?? 'none', customRoles: customRolesOf(sa.spec) }),
      };
    }),
    users: users.map((u) => ({
      id: u.id,
      email: u.spec.email,
      state: u.state,
      role: u.spec.access?.accountAccess?.role ?? 'none',
      access: permissions(u.spec.access),
      customRoles: customRolesOf(u.spec),
    })),
    apiKeys: apiKeys.map((k) => ({
      id: k.id,
      ownerId: k.spec.ownerId,
      displayName: k.spec.displayName,
      expiryTime: k.spec.expiryTime,
      ...(k.createdTime ? { createdTime: k.createdTime } : {}),
      state: k.state,
    })),
  };
}

/** User groups (each with its members) and custom roles; none where the API has neither. */
async function readAccessModel(
  client: OpsApiClient,
): Promise<Required<Pick<AccountSnapshot, 'userGroups' | 'customRoles'>>> {
  if (!client.supports('listUserGroups')) return { userGroups: [], customRoles: [] };
  const [groups, roles] = await Promise.all([
    listAll(client, 'listUserGroups'),
    listAll(client, 'listCustomRoles'),
  ]);
  const userGroups: AccountSnapshot['userGroups'] = [];
  for (const g of groups) {
    heartbeat();
    // A group being deleted has no members worth reading (and may answer NOT_FOUND).
    const members = isLive(g) ? await listAll(client, 'listUserGroupMembers', { groupId: g.id }) : [];
    userGroups.push({
      id: g.id,
      name: g.spec.displayName,
      state: g.state,
      type: g.spec.groupType,
      role: g.spec.access?.accountAccess?.role ?? 'none',
      access: permissions(g.spec.access),
      customRoles: customRolesOf(g.spec),
      members: members.map((m) => m.userId),
    });
  }
  const customRoles = roles.map((r) => ({
    id: r.id,
    name: r.spec.name,
    state: r.state,
    ...(r.spec.description ? { description: r.spec.description } : {}),
    permissions: r.spec.permissions,
  }));
  return { userGroups, customRoles };
}
