// Desired state's changes to users and service accounts: one namespace's access, or the account role.
import { ApplicationFailure } from '@temporalio/common';
import type {
  Access,
  AccountRole,
  AsyncOperationResponse,
  OpsApiClient,
  ServiceAccount,
  User,
} from '../ops-api';
import type { Permission } from '../desired-state/schema';
import { FailureType } from '../shared/failure-types';
import { changeOnce, type ChangeResult } from './change-once';
import type { ActivityDeps } from './deps';

export type PrincipalKind = 'user' | 'serviceAccount';
export type Principal = User | ServiceAccount;

export interface SetNamespaceAccessInput {
  kind: PrincipalKind;
  principalId: string;
  namespaceId: string;
  permission: Permission | null;
  operationKey: string;
}

export function createPrincipalActivities({ client }: ActivityDeps) {
  const read = (kind: PrincipalKind, id: string) => () =>
    kind === 'user' ? client.getUser(id) : client.getServiceAccount(id);
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
      const { kind, principalId } = input;
      const send = (current: Principal, asyncOperationId: string) => {
        const { accountAccess: _old, ...rest } = current.spec.access ?? {};
        const access = { ...rest, ...(input.role === 'none' ? {} : { accountAccess: { role: input.role } }) };
        return updatePrincipal(
          client,
          kind,
          principalId,
          current,
          { ...current.spec, access },
          asyncOperationId,
        );
      };
      return changeOnce<Principal>(
        client,
        input.operationKey,
        `${kind} ${principalId}`,
        read(kind, principalId),
        send,
        (now) => (now.spec.access?.accountAccess?.role ?? 'none') === input.role,
      );
    },
  };
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
  return kind === 'user'
    ? client.updateUser({ ...request, userId: principalId, spec: spec as User['spec'] })
    : client.updateServiceAccount({
        ...request,
        serviceAccountId: principalId,
        spec: spec as ServiceAccount['spec'],
      });
}
