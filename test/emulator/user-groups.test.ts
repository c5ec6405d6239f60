// User groups, their members and custom roles on /cloud (the real API's CloudService methods): CRUD through the
// product's client, compare-and-set, SCIM groups whose members belong to the identity provider, custom roles
// named by users and groups, pagination, and every body decoded strictly with its proto message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REALISM_OFF, startCloudEmulator, type CloudApi } from './cloud-helpers';
import { httpClient, API_KEY } from './helpers';
import { OpsApiClient, OpsApiError } from '../../src/ops-api';

let api: CloudApi;
afterEach(async () => {
  expect(api.problems).toEqual([]);
  await api.close();
});

const ON = { identityProviderGroups: true, customRoleInUse: true, unmodelledFields: true };
const start = (realism: Record<string, boolean> = ON) =>
  startCloudEmulator({ realism: { ...REALISM_OFF, ...realism }, asyncOperationDurationMs: 1_000 });
const settle = () => api.clock.advance(2_000);
const READ_ALL = {
  resources: { resourceType: 'namespace', allowAll: true },
  actions: ['namespace:read'],
};
const cloudGroup = (displayName: string) => ({ displayName, groupType: 'cloud' as const });

async function seedAccount() {
  await api.emu.seed({ namespaces: [{ name: 'orders', region: 'aws-us-east-1', retentionDays: 7 }] });
  return api.emu.seed({
    customRoles: [{ name: 'auditor', permissions: [READ_ALL] }],
    users: [{ email: 'ann@example.com' }, { email: 'bob@example.com' }],
    userGroups: [
      { displayName: 'okta-eng', groupType: 'scim', scimIdpId: 'okta-42', memberEmails: ['ann@example.com'] },
    ],
  });
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as OpsApiError,
  );

test('a cloud group: create, read (its type and custom roles), update with its version, delete', async () => {
  api = await start();
  const { customRoleIds } = await seedAccount();
  const client = api.client;
  const roleId = customRoleIds[0]!;
  const preserved = { access: { accountAccess: { customRoles: [roleId] } } };
  const { groupId, asyncOperationId } = await client.createUserGroup({
    spec: { ...cloudGroup('eng'), access: { accountAccess: { role: 'read' } }, preserved },
    asyncOperationId: 'g-1',
  });
  expect(asyncOperationId).toBe('g-1');
  expect((await client.getUserGroup(groupId)).state).toBe('activating');
  settle();
  const group = await client.getUserGroup(groupId);
  expect(group).toMatchObject({
    state: 'active',
    spec: { displayName: 'eng', groupType: 'cloud', preserved },
  });

  // Compare-and-set: a stale version is refused and changes nothing.
  const renamed = { ...group.spec, displayName: 'engineering' };
  const stale = await errorOf(
    client.updateUserGroup({ groupId, resourceVersion: 'stale', spec: renamed, asyncOperationId: 'g-2' }),
  );
  expect([stale?.code, stale?.field]).toEqual(['resource_version_mismatch', 'resourceVersion']);
  await client.updateUserGroup({ groupId, resourceVersion: group.resourceVersion, spec: renamed });
  settle();
  expect((await client.getUserGroup(groupId)).spec.displayName).toBe('engineering');

  // One namespace's grant, the rest of the group untouched.
  const now = await client.getUserGroup(groupId);
  await client.setUserGroupNamespaceAccess({
    groupId,
    namespace: 'orders.a1b2c',
    access: { permission: 'write' },
    resourceVersion: now.resourceVersion,
  });
  settle();
  const granted = await client.getUserGroup(groupId);
  expect(granted.spec.access).toEqual({
    accountAccess: { role: 'read' },
    namespaceAccesses: { 'orders.a1b2c': { permission: 'write' } },
  });
  expect(granted.spec.preserved).toEqual(preserved);
  const filtered = await client.listUserGroups({ namespace: 'orders.a1b2c' });
  expect(filtered.groups.map((g) => g.id)).toEqual([groupId]);
  expect((await client.listUserGroups({ displayName: 'okta-eng' })).groups[0]?.spec).toMatchObject({
    groupType: 'scim',
    scimIdpId: 'okta-42',
  });

  await client.deleteUserGroup(groupId, { resourceVersion: granted.resourceVersion });
  settle();
  expect((await errorOf(client.getUserGroup(groupId)))?.code).toBe('not_found');
});

test('bad groups are refused naming the field, and nothing is made', async () => {
  api = await start();
  await seedAccount();
  const refusals = [
    [{ displayName: '', groupType: 'cloud' }, 'spec.displayName'],
    [{ displayName: 'okta-eng', groupType: 'cloud' }, 'spec.displayName'], // taken (case-insensitively)
    [{ displayName: 'x', groupType: 'scim', scimIdpId: 'i' }, 'spec.scimGroup'],
    [{ displayName: 'x', groupType: 'google', googleGroupEmail: 'g@example.com' }, 'spec.googleGroup'],
    [
      {
        displayName: 'x',
        groupType: 'cloud',
        preserved: { access: { accountAccess: { customRoles: ['nope'] } } },
      },
      'spec.access.accountAccess.customRoles',
    ],
  ] as const;
  for (const [spec, field] of refusals) {
    const error = await errorOf(api.client.createUserGroup({ spec: spec as never }));
    expect([error?.field, error?.retryable]).toEqual([field, false]);
  }
  const untyped = await api.call('POST', '/cloud/user-groups', { spec: { displayName: 'x' } });
  expect([untyped.status, untyped.body.code, untyped.body.message]).toEqual([
    400,
    3,
    expect.stringMatching(/cloudGroup/),
  ]);
  expect((await api.client.listUserGroups()).groups).toHaveLength(1);
});

test('members: added and removed once each; a SCIM group’s members are the identity provider’s', async () => {
  api = await start();
  const { userIds, userGroupIds } = await seedAccount();
  const [ann, bob] = userIds as [string, string];
  const scim = userGroupIds[0]!;
  const { groupId } = await api.client.createUserGroup({ spec: cloudGroup('eng') });
  settle();
  await api.client.addUserGroupMember({ groupId, userId: bob, asyncOperationId: 'add-bob' });
  // The same request again (a retry) answers the same operation; another add of bob is refused.
  const again = await api.client.addUserGroupMember({ groupId, userId: bob, asyncOperationId: 'add-bob' });
  expect(again.asyncOperationId).toBe('add-bob');
  settle();
  expect((await api.client.listUserGroupMembers({ groupId: groupId })).members.map((m) => m.userId)).toEqual([
    bob,
  ]);
  const twice = await errorOf(api.client.addUserGroupMember({ groupId, userId: bob }));
  expect(twice?.code).toBe('already_exists');
  const nobody = await errorOf(api.client.addUserGroupMember({ groupId, userId: 'no-such-user' }));
  expect(nobody?.code).toBe('not_found');

  await api.client.removeUserGroupMember({ groupId, userId: bob, asyncOperationId: 'rm-bob' });
  settle();
  expect((await api.client.listUserGroupMembers({ groupId: groupId })).members).toEqual([]);
  expect((await errorOf(api.client.removeUserGroupMember({ groupId, userId: bob })))?.code).toBe('not_found');

  // SCIM: readable with its members, never changed through the API.
  expect((await api.client.listUserGroupMembers({ groupId: scim })).members.map((m) => m.userId)).toEqual([
    ann,
  ]);
  for (const change of [api.client.removeUserGroupMember, api.client.addUserGroupMember]) {
    const refused = await errorOf(
      change.call(api.client, {
        groupId: scim,
        userId: change === api.client.addUserGroupMember ? bob : ann,
      }),
    );
    expect([refused?.code, refused?.message]).toEqual([
      'failed_precondition',
      expect.stringMatching(/identity provider/),
    ]);
  }
  expect((await api.client.listUserGroupMembers({ groupId: scim })).members.map((m) => m.userId)).toEqual([
    ann,
  ]);

  // A deleted user leaves its groups.
  await api.client.deleteUser(ann);
  settle();
  expect((await api.client.listUserGroupMembers({ groupId: scim })).members).toEqual([]);
});

test('with identityProviderGroups off the emulator would let a SCIM group change (the switch is what refuses)', async () => {
  api = await start({ ...ON, identityProviderGroups: false });
  const { userIds, userGroupIds } = await seedAccount();
  await api.client.addUserGroupMember({ groupId: userGroupIds[0]!, userId: userIds[1]! });
});

test('custom roles: validated as the provider validates them, unique, in use ⇒ not deleted', async () => {
  api = await start();
  const { customRoleIds } = await seedAccount();
  const auditor = customRoleIds[0]!;
  const bad = [
    [{ name: 'r', permissions: [] }, 'spec.permissions'],
    [{ name: 'auditor', permissions: [READ_ALL] }, 'spec.name'],
    [{ name: 'r', permissions: [{ ...READ_ALL, actions: [] }] }, 'spec.permissions[0].actions'],
    [
      { name: 'r', permissions: [{ ...READ_ALL, resources: { resourceType: 'namespace' } }] },
      'spec.permissions[0].resources.allowAll',
    ],
    [
      {
        name: 'r',
        permissions: [
          { ...READ_ALL, resources: { resourceType: 'namespace', allowAll: true, resourceIds: ['a'] } },
        ],
      },
      'spec.permissions[0].resources.resourceIds',
    ],
  ] as const;
  for (const [spec, field] of bad) {
    expect((await errorOf(api.client.createCustomRole({ spec: spec as never })))?.field).toBe(field);
  }
  const { roleId } = await api.client.createCustomRole({
    spec: { name: 'deployer', description: 'ships', permissions: [READ_ALL] },
  });
  settle();
  const role = await api.client.getCustomRole(roleId);
  expect(role.spec).toEqual({ name: 'deployer', description: 'ships', permissions: [READ_ALL] });
  await api.client.updateCustomRole({
    roleId,
    resourceVersion: role.resourceVersion,
    spec: { ...role.spec, description: 'ships code' },
  });
  settle();
  expect((await api.client.getCustomRole(roleId)).spec.description).toBe('ships code');

  // A user naming the auditor role keeps it from being deleted.
  const { userId } = await api.client.createUser({
    spec: {
      email: 'cy@example.com',
      preserved: { access: { accountAccess: { customRoles: [auditor] } } },
    } as never,
  });
  settle();
  const inUse = await errorOf(api.client.deleteCustomRole(auditor));
  expect([inUse?.code, inUse?.message]).toEqual([
    'failed_precondition',
    expect.stringContaining(`user ${userId}`),
  ]);
  await api.client.deleteCustomRole(roleId);
  settle();
  expect((await api.client.listCustomRoles()).customRoles.map((r) => r.spec.name)).toEqual(['auditor']);
});

test('pagination of groups, members and custom roles; the state export and persistence include them', async () => {
  api = await start();
  const { userIds } = await seedAccount();
  for (const name of ['a', 'b', 'c']) await api.client.createUserGroup({ spec: cloudGroup(name) });
  settle();
  const first = await api.client.listUserGroups({ pageSize: 2 });
  const second = await api.client.listUserGroups({ pageSize: 2, pageToken: first.nextPageToken! });
  expect([...first.groups, ...second.groups].map((g) => g.spec.displayName)).toEqual([
    'okta-eng',
    'a',
    'b',
    'c',
  ]);
  expect(second.nextPageToken).toBeUndefined();
  const groupId = first.groups[1]!.id;
  for (const userId of userIds) await api.client.addUserGroupMember({ groupId, userId });
  settle();
  const members = await api.client.listUserGroupMembers({ groupId, pageSize: 1 });
  const rest = await api.client.listUserGroupMembers({
    groupId,
    pageSize: 1,
    pageToken: members.nextPageToken!,
  });
  expect([...members.members, ...rest.members].map((m) => m.userId)).toEqual(userIds);

  const state = (await httpClient(api.emu.url, API_KEY).get('/_emulator/state')).body;
  expect(state.userGroups.find((g: { id: string }) => g.id === groupId).members).toEqual(userIds);
  expect(state.customRoles.map((r: { spec: { name: string } }) => r.spec.name)).toEqual(['auditor']);
});

test('the openapi dialect does not offer them: supports() is false and a call fails before sending', async () => {
  api = await start();
  const openapi = new OpsApiClient({ baseUrl: api.emu.url, apiKey: API_KEY, dialect: 'openapi' });
  for (const op of ['listUserGroups', 'removeUserGroupMember', 'createCustomRole'] as const) {
    expect([openapi.supports(op), api.client.supports(op)]).toEqual([false, true]);
  }
  const error = await errorOf(openapi.listUserGroups());
  expect([error?.kind, error?.message]).toEqual([
    'invalid_request',
    expect.stringMatching(/listUserGroups.*openapi/),
  ]);
});

test('a namespace-scoped service account: one namespace, read back on get and list, never account-wide', async () => {
  api = await start();
  const { customRoleIds } = await seedAccount();
  await api.emu.seed({ namespaces: [{ name: 'billing', region: 'aws-us-east-1', retentionDays: 7 }] });
  const scoped = { namespace: 'orders.a1b2c', access: { permission: 'write' as const } };
  const { serviceAccountId } = await api.client.createServiceAccount({
    spec: { name: 'orders-ci', namespaceScopedAccess: scoped },
  });
  api.clock.advance(2_000);
  const sa = await api.client.getServiceAccount(serviceAccountId);
  expect(sa.spec).toEqual({ name: 'orders-ci', namespaceScopedAccess: scoped });
  expect((await api.client.listServiceAccounts()).serviceAccounts.map((s) => s.spec)).toEqual([sa.spec]);

  // Another namespace, account access, or a custom role (account-wide too) are all refused, naming the field.
  const other = await errorOf(
    api.client.setServiceAccountNamespaceAccess({
      serviceAccountId,
      namespace: 'billing.a1b2c',
      access: { permission: 'read' },
      resourceVersion: sa.resourceVersion,
    }),
  );
  expect(other?.field).toBe('namespace');
  const update = (spec: object) =>
    errorOf(
      api.client.updateServiceAccount({
        serviceAccountId,
        resourceVersion: sa.resourceVersion,
        spec: spec as never,
      }),
    );
  expect((await update({ ...sa.spec, access: { accountAccess: { role: 'read' } } }))?.field).toMatch(
    /^spec\./,
  );
  const withRole = { ...sa.spec, preserved: { access: { accountAccess: { customRoles: customRoleIds } } } };
  const eitherField = /^spec\.(access|namespaceScopedAccess)$/;
  expect((await update(withRole))?.field).toMatch(eitherField);
  const created = await errorOf(
    api.client.createServiceAccount({ spec: { ...withRole, name: 'x' } as never }),
  );
  expect(created?.field).toMatch(eitherField);
  expect((await api.client.getServiceAccount(serviceAccountId)).resourceVersion).toBe(sa.resourceVersion);
});

test('groups, members and custom roles survive a restart (persisted state)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'groups-state-'));
  const statePath = path.join(dir, 'state.json');
  try {
    api = await startCloudEmulator({ realism: { ...REALISM_OFF, ...ON }, statePath });
    const { userGroupIds, customRoleIds } = await seedAccount();
    await api.close();
    api = await startCloudEmulator({ realism: { ...REALISM_OFF, ...ON }, statePath });
    const group = await api.client.getUserGroup(userGroupIds[0]!);
    expect(group.spec).toEqual({ displayName: 'okta-eng', groupType: 'scim', scimIdpId: 'okta-42' });
    expect((await api.client.listUserGroupMembers({ groupId: group.id })).members).toHaveLength(1);
    expect((await api.client.getCustomRole(customRoleIds[0]!)).spec.name).toBe('auditor');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
