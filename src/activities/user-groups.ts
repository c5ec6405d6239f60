// A user's groups and custom roles, and leaving a group (offboarding). The real API only: where the client's API
// has no groups (the given document), the activities say so rather than fail.
import { asyncOperationIdFor, paginate } from '../ops-api';
import { customRolesOf } from '../ops-api/resources';
import type { OpsApiClient, UserGroupType } from '../ops-api';
import type { ActivityDeps } from './deps';
import { findOwnOperation, heartbeat, isClientError, isConfirmedNotFound } from './util';

export interface GroupMembership {
  id: string;
  displayName: string;
  groupType: UserGroupType;
  /** The group's custom roles (ids and names). */
  customRoles: NamedRole[];
}
export interface NamedRole {
  id: string;
  /** Absent when the role could not be read (deleted meanwhile). */
  name?: string;
}
export interface UserAccessModel {
  /** Whether the API has user groups and custom roles at all. */
  supported: boolean;
  groups: GroupMembership[];
  /** The custom roles the user holds in their own right. */
  customRoles: NamedRole[];
}

export interface LeaveGroupResult {
  /** `removed`: this step's own operation (proven by its id); `already-gone`: not a member (or no group) any more. */
  outcome: 'removed' | 'already-gone';
  asyncOperationId?: string;
}

export function createUserGroupActivities({ client }: ActivityDeps) {
  return {
    /** The groups the user is a member of (each group's members read in full) and the custom roles they hold. */
    async userAccessModel(input: { userId: string }): Promise<UserAccessModel> {
      if (!client.supports('listUserGroups')) return { supported: false, groups: [], customRoles: [] };
      const names = await roleNames(client);
      const named = (ids: string[]) =>
        ids.map((id) => ({ id, ...(names.has(id) ? { name: names.get(id) } : {}) }));
      const groups: GroupMembership[] = [];
      for await (const page of paginate(client, 'listUserGroups')) {
        for (const group of page) {
          if (!(await isMember(client, group.id, input.userId))) continue;
          const { displayName, groupType } = group.spec;
          groups.push({
            id: group.id,
            displayName,
            groupType,
            customRoles: named(customRolesOf(group.spec)),
          });
        }
      }
      const user = await client.getUser(input.userId);
      return { supported: true, groups, customRoles: named(customRolesOf(user.spec)) };
    },

    /**
     * The user leaves one group under this step's own operation id. A retry after the change committed (its
     * answer lost) finds its own operation; a member already gone, or a group gone, is done.
     */
    async leaveUserGroup(input: {
      groupId: string;
      userId: string;
      operationKey: string;
    }): Promise<LeaveGroupResult> {
      const asyncOperationId = asyncOperationIdFor(input.operationKey);
      if (await findOwnOperation(client, asyncOperationId)) return { outcome: 'removed', asyncOperationId };
      try {
        await client.removeUserGroupMember({
          groupId: input.groupId,
          userId: input.userId,
          asyncOperationId,
        });
        return { outcome: 'removed', asyncOperationId };
      } catch (err) {
        if (await isConfirmedNotFound(err, client)) return { outcome: 'already-gone' };
        // A server that refuses a repeated operation id rather than replaying it: the change is this step's.
        if (isClientError(err) && (await findOwnOperation(client, asyncOperationId))) {
          return { outcome: 'removed', asyncOperationId };
        }
        throw err;
      }
    },
  };
}

async function isMember(client: OpsApiClient, groupId: string, userId: string): Promise<boolean> {
  try {
    for await (const page of paginate(client, 'listUserGroupMembers', { groupId })) {
      heartbeat();
      if (page.some((m) => m.userId === userId)) return true;
    }
    return false;
  } catch (err) {
    // Deleted between the list and its members: not a group they are in.
    if (await isConfirmedNotFound(err, client)) return false;
    throw err;
  }
}

async function roleNames(client: OpsApiClient): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for await (const page of paginate(client, 'listCustomRoles')) {
    for (const role of page) names.set(role.id, role.spec.name);
  }
  return names;
}
