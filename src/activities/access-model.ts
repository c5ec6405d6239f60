// Desired state's user groups and custom roles (the real API only): made or adopted by name, a role's permissions
// updated, a group's members added or removed one at a time, each under the step's own operation id.
import { isDeepStrictEqual } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { asyncOperationIdFor, listAll } from '../ops-api';
import type { CustomRole, CustomRoleSpec, OpsApiClient, UserGroupSpec } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import { isLive } from '../shared/resources';
import { changeOnce, type ChangeResult } from './change-once';
import type { ActivityDeps } from './deps';
import { deleteKind } from './resource-kinds';
import { createOrAdopt, findOwnOperation, isClientError, isConfirmedNotFound } from './util';
import type { DeleteInput, DeleteResult } from './util';

export interface EnsuredAccessResource {
  id: string;
  asyncOperationId?: string;
  outcome: 'created' | 'adopted';
}

export interface GroupMemberInput {
  groupId: string;
  userId: string;
  /** Join (true) or leave (false). */
  member: boolean;
  operationKey: string;
}

export function createAccessModelActivities({ client }: ActivityDeps) {
  /** Create-or-adopt: made by this step's own operation, or another one of the name, adopted as it is. */
  const ensureByName = (
    operationKey: string,
    create: (asyncOperationId: string) => Promise<{ id: string; asyncOperationId: string }>,
    find: () => Promise<{ id: string } | undefined>,
  ) =>
    createOrAdopt<{ id: string }, EnsuredAccessResource>(client, operationKey, {
      create: async (asyncOperationId) => ({ ...(await create(asyncOperationId)), outcome: 'created' }),
      find,
      ours: (existing, asyncOperationId) => ({ id: existing.id, asyncOperationId, outcome: 'created' }),
      adopt: (existing) => ({ id: existing.id, outcome: 'adopted' }),
    });
  return {
    /**
     * Create-or-adopt a custom role by name (names are unique, 409 already_exists): one made by this step's own
     * operation is its own; another one of that name is adopted as it is (the next plan shows what differs).
     */
    async ensureCustomRole(input: {
      spec: CustomRoleSpec;
      operationKey: string;
    }): Promise<EnsuredAccessResource> {
      return ensureByName(
        input.operationKey,
        async (asyncOperationId) => {
          const made = await client.createCustomRole({ spec: input.spec, asyncOperationId });
          return { id: made.roleId, asyncOperationId: made.asyncOperationId };
        },
        async () =>
          (await listAll(client, 'listCustomRoles')).find(
            (r) => r.spec.name === input.spec.name && isLive(r),
          ),
      );
    },

    /** A custom role's description and permissions, the rest of its spec as read. */
    async updateCustomRoleSpec(input: {
      roleId: string;
      description?: string;
      permissions: CustomRoleSpec['permissions'];
      operationKey: string;
    }): Promise<ChangeResult> {
      const next = (spec: CustomRoleSpec): CustomRoleSpec => {
        const { description: _old, ...rest } = spec;
        return {
          ...rest,
          ...(input.description ? { description: input.description } : {}),
          permissions: input.permissions,
        };
      };
      return changeOnce<CustomRole>(
        client,
        input.operationKey,
        `custom role ${input.roleId}`,
        () => client.getCustomRole(input.roleId),
        (current, asyncOperationId) =>
          client.updateCustomRole({
            roleId: input.roleId,
            resourceVersion: current.resourceVersion,
            spec: next(current.spec),
            asyncOperationId,
          }),
        (now) => sameRoleSpec(next(now.spec), now.spec),
      );
    },

    /** Create-or-adopt a cloud group by display name (unique, case-insensitively), as for custom roles. */
    async ensureUserGroup(input: {
      spec: UserGroupSpec;
      operationKey: string;
    }): Promise<EnsuredAccessResource> {
      const wanted = input.spec.displayName.toLowerCase();
      return ensureByName(
        input.operationKey,
        async (asyncOperationId) => {
          const made = await client.createUserGroup({ spec: input.spec, asyncOperationId });
          return { id: made.groupId, asyncOperationId: made.asyncOperationId };
        },
        async () => {
          const found = (await listAll(client, 'listUserGroups')).find(
            (g) => g.spec.displayName.toLowerCase() === wanted && isLive(g),
          );
          // An identity provider's group of that name (a sync made it meanwhile) is never adopted: its members are
          // not ours to change.
          if (found && found.spec.groupType !== 'cloud')
            throw ApplicationFailure.create({
              type: FailureType.AlreadyExists,
              message: `user group "${input.spec.displayName}" exists as a ${found.spec.groupType} group (${found.id}): its identity provider owns it`,
              nonRetryable: true,
            });
          return found;
        },
      );
    },

    /**
     * One member joins or leaves a group under this step's own operation id (Add/RemoveUserGroupMember). A retry
     * after the change committed (its answer lost) finds its own operation; a member already in (or already gone)
     * is nothing to change.
     */
    async setUserGroupMember(input: GroupMemberInput): Promise<ChangeResult> {
      const asyncOperationId = asyncOperationIdFor(input.operationKey);
      if (await findOwnOperation(client, asyncOperationId)) return { changed: true, asyncOperationId };
      const request = { groupId: input.groupId, userId: input.userId, asyncOperationId };
      try {
        const started = input.member
          ? await client.addUserGroupMember(request)
          : await client.removeUserGroupMember(request);
        return { changed: true, ...started };
      } catch (err) {
        if (isClientError(err) && (await findOwnOperation(client, asyncOperationId)))
          return { changed: true, asyncOperationId };
        if (await alreadySo(client, err, input)) return { changed: false };
        throw err;
      }
    },

    async deleteUserGroupIfExists(input: { groupId: string } & DeleteInput): Promise<DeleteResult> {
      return deleteKind(client, 'userGroup', input.groupId, input);
    },
    async deleteCustomRoleIfExists(input: { roleId: string } & DeleteInput): Promise<DeleteResult> {
      return deleteKind(client, 'customRole', input.roleId, input);
    },
  };
}

/**
 * A refusal (whatever its code: see isClientError) of a join by a member already in, or of a leave by one already
 * gone: the members as they are now decide.
 */
async function alreadySo(client: OpsApiClient, err: unknown, input: GroupMemberInput): Promise<boolean> {
  if (!isClientError(err) && !(await isConfirmedNotFound(err, client))) return false;
  const members = await listAll(client, 'listUserGroupMembers', { groupId: input.groupId });
  return members.some((m) => m.userId === input.userId) === input.member;
}

/** Two role specs alike whatever the order of their keys (the API's answer and ours build them differently). */
const sameRoleSpec = (a: CustomRoleSpec, b: CustomRoleSpec): boolean =>
  isDeepStrictEqual({ ...a, description: a.description ?? '' }, { ...b, description: b.description ?? '' });
