// The account as desired state sees it: every namespace, service account, user and service-account key, read once.
import { listAll } from '../ops-api';
import type { Access, NamespaceSpec, OpsApiClient } from '../ops-api';
import type { AccountSnapshot } from '../desired-state/plan';
import type { Permission } from '../desired-state/schema';
import { normalizeCa } from '../shared/resources';
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
  return {
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
          : { role: sa.spec.access?.accountAccess?.role ?? 'none' }),
      };
    }),
    users: users.map((u) => ({
      id: u.id,
      email: u.spec.email,
      state: u.state,
      role: u.spec.access?.accountAccess?.role ?? 'none',
      access: permissions(u.spec.access),
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
