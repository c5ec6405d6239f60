// User groups: a unique display name, access like a user's, and members. Only cloud groups are made through the
// API (terraform-provider-temporalcloud's user_group_resource.go always sends CloudGroup; SCIM groups are read
// through scim_group_datasource.go): SCIM and Google groups come from the identity provider, so the emulator
// seeds them. Who may change a SCIM or Google group's members is the realism switch `identityProviderGroups`.
import type { Json } from '../../cloud-api';
import type { NamespacePermission } from '../../ops-api/types';
import { ApiError, invalid, notFound } from '../errors';
import { checkLength, requireString } from '../rules';
import { checkVersion, failedPrecondition, type ResourceType, type Store } from './core';
import { checkCustomRoles } from './custom-roles';
import { checkPrincipalAccess } from './principals';
import {
  newId,
  renderTracked,
  type MutationOptions,
  type UserGroupRecord,
  type UserGroupSpec,
} from './records';

export const USER_GROUP: ResourceType<UserGroupRecord> = {
  what: 'user group',
  creating: 'activating',
  deleteFailed: 'active',
  deleteRefused: ['activating'],
  render: (r) => renderTracked(r),
  memberChanged(record, change, at) {
    record.members = record.members.filter((m) => m.userId !== change.userId);
    if (change.add) record.members.push({ userId: change.userId, addedAt: at });
  },
};

function validateSpec(store: Store, spec: UserGroupSpec, selfId?: string): UserGroupSpec {
  const displayName = requireString(spec.displayName, 'spec.displayName');
  checkLength(displayName, 1, 128, 'spec.displayName');
  checkPrincipalAccess(store, spec.access);
  const lower = displayName.toLowerCase();
  for (const group of store.userGroups.values()) {
    if (group.id !== selfId && group.spec.displayName.toLowerCase() === lower) {
      throw new ApiError('already_exists', `user group '${displayName}' already exists`, 'spec.displayName');
    }
  }
  if (spec.groupType === 'google') requireString(spec.googleGroupEmail, 'spec.googleGroup.emailAddress');
  if (spec.groupType === 'scim') requireString(spec.scimIdpId, 'spec.scimGroup.idpId');
  return structuredClone({ ...spec, displayName });
}

export function createUserGroup(store: Store, body: { spec: UserGroupSpec }, options: MutationOptions) {
  const type = body.spec.groupType;
  if (type === 'scim' || type === 'google') {
    const field = type === 'scim' ? 'spec.scimGroup' : 'spec.googleGroup';
    throw invalid(field, 'is provisioned by the identity provider; the API creates cloud groups only');
  }
  if (type !== 'cloud') throw invalid('spec.cloudGroup', 'is required: the API creates cloud groups');
  const spec = validateSpec(store, body.spec);
  checkCustomRoles(store, options.unmodelled?.fields);
  const fields = { id: newId(), spec, members: [] };
  const { record, asyncOperationId } = store.create('userGroup', 'createUserGroup', fields, options);
  return { groupId: record.id, asyncOperationId };
}

function changeable(store: Store, id: string, resourceVersion: string): UserGroupRecord {
  const record = store.existing('userGroup', id);
  if (record.state === 'deleting') throw failedPrecondition('user group', id, record.state);
  checkVersion(record, 'user group', resourceVersion);
  return record;
}

export function updateUserGroup(
  store: Store,
  id: string,
  body: { spec: UserGroupSpec; resourceVersion: string },
  options: MutationOptions,
) {
  const record = changeable(store, id, body.resourceVersion);
  if (body.spec.groupType !== record.spec.groupType) {
    throw invalid('spec.groupType', `is immutable (the group is a ${record.spec.groupType} group)`);
  }
  const spec = validateSpec(store, body.spec, id);
  checkCustomRoles(store, options.unmodelled?.fields);
  return store.update('userGroup', 'updateUserGroup', record, spec, options);
}

/** One namespace's permission, the group's other grants untouched. */
export function setUserGroupNamespaceAccess(
  store: Store,
  id: string,
  body: { namespace: string; access: { permission: NamespacePermission }; resourceVersion: string },
  options: MutationOptions,
) {
  const record = changeable(store, id, body.resourceVersion);
  if (!store.namespaces.has(body.namespace)) throw notFound('namespace', body.namespace);
  const spec = structuredClone(record.spec);
  spec.access = {
    ...spec.access,
    namespaceAccesses: { ...spec.access?.namespaceAccesses, [body.namespace]: { ...body.access } },
  };
  return store.update('userGroup', 'setUserGroupNamespaceAccess', record, spec, options);
}

/** Add/RemoveUserGroupMember: a user that exists, joining or leaving once (the members as they are now). */
export function changeMember(
  store: Store,
  id: string,
  body: { userId: string },
  add: boolean,
  options: MutationOptions,
) {
  const record = store.existing('userGroup', id);
  if (record.state === 'deleting') throw failedPrecondition('user group', id, record.state);
  const userId = requireString(body.userId, 'memberId.userId');
  const member = record.members.some((m) => m.userId === userId);
  if (add && !store.users.has(userId)) throw notFound('user', userId);
  if (add && member) {
    throw new ApiError('already_exists', `user '${userId}' is a member of group '${id}'`, 'memberId.userId');
  }
  if (!add && !member) throw notFound('member of user group', userId);
  const operationType = add ? 'addUserGroupMember' : 'removeUserGroupMember';
  return store.amend('userGroup', operationType, record, { userId, add }, options);
}

/** A deleted user leaves every group. */
export function leaveGroups(store: Store, userId: string): void {
  for (const group of store.userGroups.values()) {
    group.members = group.members.filter((m) => m.userId !== userId);
  }
}

/** A group as the identity provider (or a test) made it: any type, its members by email. */
export function seedUserGroup(
  store: Store,
  input: UserGroupSpec & { memberEmails?: string[] },
  now: number,
  unmodelled?: Json,
): string {
  const { memberEmails = [], ...spec } = input;
  if (!['cloud', 'google', 'scim'].includes(spec.groupType)) {
    throw invalid('spec.groupType', 'is required: cloud, google or scim');
  }
  checkCustomRoles(store, unmodelled);
  const members = memberEmails.map((email, i) => {
    const user = [...store.users.values()].find((u) => u.spec.email.toLowerCase() === email.toLowerCase());
    if (!user) throw invalid(`memberEmails[${i}]`, `no user has the email '${email}'`);
    return { userId: user.id, addedAt: now };
  });
  const fields = { id: newId(), spec: validateSpec(store, spec), state: 'active' as const, members };
  return store.insert('userGroup', fields, now, unmodelled).id;
}
