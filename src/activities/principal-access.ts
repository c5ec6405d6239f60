// Desired state's changes to users, service accounts and user groups: one namespace's access, the account role, or
// the custom roles held.
import { ApplicationFailure } from '@temporalio/common';
import type {
  Access,
  AccountRole,
  AsyncOperationResponse,
  OpsApiClient,
  ServiceAccount,
  User,
  UserGroup,
} from '../ops-api';
import { customRolesOf } from '../ops-api/resources';
import type { Permission } from '../desired-state/schema';
import { FailureType } from '../shared/failure-types';
import { changeOnce, type ChangeResult } from './change-once';
import type { ActivityDeps } from './deps';

export type PrincipalKind = 'user' | 'serviceAccount' | 'userGroup';
export type Principal = User | ServiceAccount | UserGroup;

export interface SetNamespaceAccessInput {
  kind: PrincipalKind;
  principalId: string;
  namespaceId: string;
  permission: Permission | null;
  operationKey: string;
}

export function createPrincipalActivities({ client }: ActivityDeps) {
  const read = (kind: PrincipalKind, id: string) => (): Promise<Principal> =>
    kind === 'user'
      ? client.getUser(id)
      : kind === 'userGroup'
        ? client.getUserGroup(id)
        : client.getServiceAccount(id);
  /** The principal's whole spec as read, changed by `next`, sent back under the step's own operation id. */
  const changeSpec = (
    input: { kind: PrincipalKind; principalId: string; operationKey: string },
    next: (spec: Principal['spec']) => Principal['spec'],
    asWanted: (now: Principal) => boolean,
  ) => {
    const { kind, principalId } = input;
    return changeOnce<Principal>(
      client,
      input.operationKey,
      `${kind} ${principalId}`,
      read(kind, principalId),
      (current, asyncOperationId) =>
        updatePrincipal(client, kind, principalId, current, next(current.spec), asyncOperationId),
      asWanted,
    );
  };
  return {
    /**
     * One namespace's access of a user or service account: granted or changed without touching the
     * others (set*NamespaceAccess); removed by sending the whole spec without it (update*).
     */
    async setNamespaceAccess(input: SetNamespaceAccessInput): Promise<ChangeResult> {
      const { kind, principalId } = input;
      return changeOnce<Principal>(
        client,
        input.operationKey,
        `${kind} ${principalId}`,
        read(kind, principalId),
        (current, id) => sendAccess(client, input, current, id),
        (now) => permissionOn(now, input.namespaceId) === input.permission,
      );
    },

    /** A user's or account-wide service account's account role, the rest of its spec kept. */
    async setAccountRole(input: {
      kind: PrincipalKind;
      principalId: string;
      role: AccountRole;
      operationKey: string;
    }): Promise<ChangeResult> {
      return changeSpec(
        input,
        (spec) => {
          const { accountAccess: _old, ...rest } = spec.access ?? {};
          const access = {
            ...rest,
            ...(input.role === 'none' ? {} : { accountAccess: { role: input.role } }),
          };
          return { ...spec, access };
        },
        (now) => (now.spec.access?.accountAccess?.role ?? 'none') === input.role,
      );
    },

    /**
     * The custom roles (ids) a principal holds, as a whole: the API keeps them in its account access
     * (`accountAccess.customRoles`) and has no operation for one role, so the spec as read goes back with them
     * (everything else kept, as for the role).
     */
    async setCustomRoles(input: {
      kind: PrincipalKind;
      principalId: string;
      roleIds: string[];
      operationKey: string;
    }): Promise<ChangeResult> {
      const wanted = [...input.roleIds].sort();
      return changeSpec(
        input,
        (spec) => withCustomRoles(spec, wanted),
        (now) => JSON.stringify([...customRolesOf(now.spec)].sort()) === JSON.stringify(wanted),
      );
    },
  };
}

/** The spec with these custom roles in its (unmodelled) account access, the rest of it as read. */
function withCustomRoles<S extends Principal['spec']>(spec: S, roleIds: string[]): S {
  const preserved = structuredClone(spec.preserved ?? {}) as Record<string, unknown> & {
    access?: { accountAccess?: Record<string, unknown> };
  };
  const accountAccess = { ...preserved.access?.accountAccess };
  if (roleIds.length > 0) accountAccess.customRoles = roleIds;
  else delete accountAccess.customRoles;
  preserved.access = { ...preserved.access, accountAccess };
  return { ...spec, preserved };
}

/** The principal's permission on one namespace (by id): its scope's, or its grant's; null for none. */
export function permissionOn(principal: Principal, namespaceId: string): Permission | null {
  const scoped = (principal as ServiceAccount).spec.namespaceScopedAccess;
  const permission = scoped
    ? scoped.namespace === namespaceId
      ? scoped.access?.permission
      : undefined
    : principal.spec.access?.namespaceAccesses?.[namespaceId]?.permission;
  return (permission as Permission | undefined) ?? null;
}

/** The request that sets (or removes) one namespace's access on the principal as read. */
export function sendAccess(
  client: OpsApiClient,
  input: SetNamespaceAccessInput,
  current: Principal,
  asyncOperationId: string,
): Promise<AsyncOperationResponse> {
  const { kind, principalId, namespaceId, permission } = input;
  const { resourceVersion } = current;
  const scoped = (current as ServiceAccount).spec.namespaceScopedAccess;
  if (scoped) {
    // Its one namespace's permission is part of its spec (mutable); it can reach no other namespace.
    if (scoped.namespace !== namespaceId || permission === null) {
      throw ApplicationFailure.create({
        type: FailureType.InvalidArgument,
        message: `service account ${principalId} is scoped to namespace ${scoped.namespace} alone`,
        nonRetryable: true,
      });
    }
    return client.updateServiceAccount({
      serviceAccountId: principalId,
      resourceVersion,
      asyncOperationId,
      spec: {
        ...(current as ServiceAccount).spec,
        namespaceScopedAccess: { ...scoped, access: { permission } },
      },
    });
  }
  if (permission !== null) {
    const request = { namespace: namespaceId, access: { permission }, resourceVersion, asyncOperationId };
    if (kind === 'userGroup') return client.setUserGroupNamespaceAccess({ ...request, groupId: principalId });
    return kind === 'user'
      ? client.setUserNamespaceAccess({ ...request, userId: principalId })
      : client.setServiceAccountNamespaceAccess({ ...request, serviceAccountId: principalId });
  }
  const { [namespaceId]: _removed, ...rest } = current.spec.access?.namespaceAccesses ?? {};
  const access: Access = {
    ...(current.spec.access?.accountAccess ? { accountAccess: current.spec.access.accountAccess } : {}),
    ...(Object.keys(rest).length > 0 ? { namespaceAccesses: rest } : {}),
  };
  return updatePrincipal(client, kind, principalId, current, { ...current.spec, access }, asyncOperationId);
}

/** The whole spec back, as the principal's own update. */
function updatePrincipal(
  client: OpsApiClient,
  kind: PrincipalKind,
  principalId: string,
  current: Principal,
  spec: Principal['spec'],
  asyncOperationId: string,
): Promise<AsyncOperationResponse> {
  const request = { resourceVersion: current.resourceVersion, asyncOperationId };
  if (kind === 'userGroup')
    return client.updateUserGroup({ ...request, groupId: principalId, spec: spec as UserGroup['spec'] });
  return kind === 'user'
    ? client.updateUser({ ...request, userId: principalId, spec: spec as User['spec'] })
    : client.updateServiceAccount({
        ...request,
        serviceAccountId: principalId,
        spec: spec as ServiceAccount['spec'],
      });
}
