// Temporary access (grantTemporaryAccess): whom and where a request names, and one namespace grant changed by
// compare-and-set — only while it is still what the run last saw, so a run never changes a grant someone else has
// changed since, and undoes only its own change.
import { ApplicationFailure } from '@temporalio/common';
import { asyncOperationIdFor, paginate, type OpsApiClient, type OpsApiError } from '../ops-api';
import type { ServiceAccount, User } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import { isLive } from '../shared/resources';
import type { AccessPermission } from '../shared/temporary-access';
import { raced } from './change-once';
import type { ActivityDeps } from './deps';
import { findNamespaceByName } from './namespaces';
import { permissionOn, sendAccess, type Principal, type PrincipalKind } from './principal-access';
import { findServiceAccountByName } from './service-accounts';
import { findOwnOperation, heartbeat, isConfirmedNotFound, isOwnRepeat, judgeRefusal } from './util';

/** The principal and namespace of a request, by the API's ids, and the access it has there now. */
export interface AccessTarget {
  kind: PrincipalKind;
  principalId: string;
  /** The user's email or the service account's name, as the account has it. */
  principalName: string;
  namespaceId: string;
  /** Its permission on the namespace now (null: none). */
  current: AccessPermission | null;
}

export interface AccessChangeInput {
  kind: PrincipalKind;
  principalId: string;
  namespaceId: string;
  /** The permission the grant must still have for the change to be made (null: none). */
  from: AccessPermission | null;
  /** What it becomes (null: the grant is removed). */
  to: AccessPermission | null;
  /** This step's operation key: a retry after the server committed finds its own operation. */
  operationKey: string;
}

export type AccessChangeResult =
  /** Sent under this step's operation id (now or by an earlier attempt): wait for it. */
  | { outcome: 'changed'; asyncOperationId: string }
  /** Already `to`: nothing to change. */
  | { outcome: 'as-wanted' }
  /** Neither `from` nor `to`: someone else changed it; nothing was sent. */
  | { outcome: 'differs'; current: AccessPermission | null }
  /** The user or service account no longer exists (offboarded, deleted). */
  | { outcome: 'principal-gone' };

/** What granting and taking back one namespace's access takes, for each kind of principal. */
const CHANGES = {
  user: ['setUserNamespaceAccess', 'updateUser'],
  serviceAccount: ['setServiceAccountNamespaceAccess', 'updateServiceAccount'],
} as const;

const refuse = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

export function createTemporaryAccessActivities({ client }: ActivityDeps) {
  return {
    /** The names of the account's namespaces (an offboarding ends a user's temporary access to any of them). */
    async listNamespaceNames(): Promise<string[]> {
      const names: string[] = [];
      for await (const page of paginate(client, 'listNamespaces')) {
        heartbeat();
        names.push(...page.filter(isLive).map((ns) => ns.spec.name));
      }
      return names;
    },

    /** The request's namespace and principal (a user by email, or a service account by name), by id. */
    async resolveAccessTarget(input: { principal: string; namespace: string }): Promise<AccessTarget> {
      const kind: PrincipalKind = input.principal.includes('@') ? 'user' : 'serviceAccount';
      if (!CHANGES[kind].every((op) => client.supports(op))) {
        throw refuse(
          FailureType.NotSupported,
          `the Ops API behind this worker has no operation to change an existing ${kind === 'user' ? "user's" : "service account's"} ` +
            'namespace access (the given document has none); temporary access needs the real API (OPS_API_DIALECT=cloud)',
        );
      }
      const ns = await findNamespaceByName(client, input.namespace);
      if (!ns || !isLive(ns)) throw refuse(FailureType.NotFound, `no namespace named ${input.namespace}`);
      const principal = input.principal.includes('@')
        ? await userByEmail(client, input.principal)
        : await serviceAccountNamed(client, input.principal, ns.namespace);
      return {
        kind: principal.kind,
        principalId: principal.record.id,
        principalName: principal.name,
        namespaceId: ns.namespace,
        current: permissionOn(principal.record, ns.namespace) as AccessPermission | null,
      };
    },

    /**
     * One namespace's permission of a principal, from `from` to `to`, only while it is `from`. The step's own
     * operation, found first, means done (a retry after the server committed sends nothing twice).
     */
    async changeNamespaceAccess(input: AccessChangeInput): Promise<AccessChangeResult> {
      const asyncOperationId = asyncOperationIdFor(input.operationKey);
      if (await findOwnOperation(client, asyncOperationId)) return { outcome: 'changed', asyncOperationId };
      const read = (): Promise<Principal> =>
        input.kind === 'user'
          ? client.getUser(input.principalId)
          : client.getServiceAccount(input.principalId);
      let current: Principal;
      try {
        current = await read();
      } catch (err) {
        if (await isConfirmedNotFound(err, client)) return { outcome: 'principal-gone' };
        throw err;
      }
      if (!isLive(current)) return { outcome: 'principal-gone' };
      const now = permissionOn(current, input.namespaceId) as AccessPermission | null;
      if (now === input.to) return { outcome: 'as-wanted' };
      if (now !== input.from) return { outcome: 'differs', current: now };
      const { kind, principalId, namespaceId, operationKey, to: permission } = input;
      const request = { kind, principalId, namespaceId, operationKey, permission };
      try {
        return { outcome: 'changed', ...(await sendAccess(client, request, current, asyncOperationId)) };
      } catch (err) {
        if (await isOwnRepeat(err, client, asyncOperationId)) return { outcome: 'changed', asyncOperationId };
        const verdict = await judgeRefusal(
          err,
          current,
          read,
          (p) => permissionOn(p, input.namespaceId) === input.to,
        );
        if (verdict === 'as-wanted') return { outcome: 'as-wanted' };
        // Read again on the next attempt, and compare again.
        if (verdict === 'moved') throw raced(`${kind} ${principalId}`, err as OpsApiError);
        throw err;
      }
    },
  };
}

async function userByEmail(client: OpsApiClient, email: string) {
  const wanted = email.trim().toLowerCase();
  const found: User[] = [];
  for await (const page of paginate(client, 'listUsers')) {
    heartbeat();
    found.push(...page.filter((u) => u.spec?.email?.toLowerCase() === wanted && isLive(u)));
  }
  if (found.length === 0) throw refuse(FailureType.NotFound, `no user with email ${email}`);
  if (found.length > 1) {
    throw refuse('AmbiguousUser', `${found.length} users have the email ${email}: ask an administrator`);
  }
  return { kind: 'user' as const, record: found[0]!, name: found[0]!.spec.email };
}

async function serviceAccountNamed(client: OpsApiClient, name: string, namespaceId: string) {
  const sa: ServiceAccount | undefined = await findServiceAccountByName(client, name);
  if (!sa) throw refuse(FailureType.NotFound, `no service account named ${name}`);
  const scoped = sa.spec.namespaceScopedAccess?.namespace;
  if (scoped && scoped !== namespaceId) {
    throw refuse(
      FailureType.InvalidArgument,
      `service account ${name} is scoped to namespace ${scoped} alone: it cannot be given access to another`,
    );
  }
  return { kind: 'serviceAccount' as const, record: sa, name: sa.spec.name };
}
