// Temporary access (grantTemporaryAccess): whom and where a request names, and one namespace grant changed by
// compare-and-set — only while it is still what the run last saw, so a run never changes a grant someone else has
// changed since, and undoes only its own change. An offboarding finds the leaver's runs here.
import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { asyncOperationIdFor, paginate, type OpsApiClient, type OpsApiError } from '../ops-api';
import type { ServiceAccount, User } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import { isLive } from '../shared/resources';
import type { AccessPermission } from '../shared/temporary-access';
import { grantTemporaryAccessWorkflowId } from '../shared/workflow-ids';
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

/** How an offboarding found the namespaces whose temporary-access run of the leaver it signals. */
export interface AccessRunsLookup {
  /**
   * `visibility`: the leaver's running runs, as Temporal lists them, and the namespaces they hold access to now;
   * `every-namespace`: every namespace of the account (one signal each), because `why`.
   */
  by: 'visibility' | 'every-namespace';
  why?: string;
}

export interface LeaverAccessRuns {
  /** Namespace names, sorted: the run of each is `grant-temporary-access/<namespace>/<email>`. */
  namespaces: string[];
  lookup: AccessRunsLookup;
}

export function createTemporaryAccessActivities({ client, temporal }: ActivityDeps) {
  return {
    /** The names of the account's namespaces (runs started before the lookup below existed signal them all). */
    listNamespaceNames: () => liveNamespaceNames(client),

    /**
     * The namespaces where `email` may have a temporary-access run: the running ones Temporal's visibility lists,
     * with every namespace the user holds access to now (visibility lags: a run granted a moment ago may not be
     * listed yet, and its grant is there). Without a Temporal client, or where it cannot list, every namespace.
     */
    async findTemporaryAccessNamespaces(input: { email: string; userId: string }): Promise<LeaverAccessRuns> {
      const listed = temporal
        ? await runningAccessNamespaces(temporal, input.email)
        : { cannotList: 'this worker has no Temporal client' };
      if ('cannotList' in listed) {
        return {
          namespaces: (await liveNamespaceNames(client)).sort(),
          lookup: { by: 'every-namespace', why: listed.cannotList },
        };
      }
      const held = await heldNamespaceNames(client, input.userId);
      return {
        namespaces: [...new Set([...listed.namespaces, ...held])].sort(),
        lookup: { by: 'visibility' },
      };
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
        // Deleted since it was read (an offboarding deletes the user meanwhile): its grants went with it.
        if (await goneSince(err, read, client)) return { outcome: 'principal-gone' };
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

/** The change was refused as not found, and the principal is gone indeed (not found, or being deleted). */
async function goneSince(
  err: unknown,
  read: () => Promise<Principal>,
  client: OpsApiClient,
): Promise<boolean> {
  if (!(await isConfirmedNotFound(err, client))) return false;
  try {
    return !isLive(await read());
  } catch (readErr) {
    if (await isConfirmedNotFound(readErr, client)) return true;
    throw readErr;
  }
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

/** The names of the account's live namespaces, those of `only` (namespace ids) when given. */
async function liveNamespaceNames(client: OpsApiClient, only?: ReadonlySet<string>): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginate(client, 'listNamespaces')) {
    heartbeat();
    const wanted = page.filter((ns) => isLive(ns) && (!only || only.has(ns.namespace)));
    names.push(...wanted.map((ns) => ns.spec.name));
  }
  return names;
}

/** The names of the namespaces the user has access to now (none once the user is gone). */
async function heldNamespaceNames(client: OpsApiClient, userId: string): Promise<string[]> {
  let user: User;
  try {
    user = await client.getUser(userId);
  } catch (err) {
    if (await isConfirmedNotFound(err, client)) return [];
    throw err;
  }
  const held = new Set(isLive(user) ? Object.keys(user.spec.access?.namespaceAccesses ?? {}) : []);
  return held.size === 0 ? [] : liveNamespaceNames(client, held);
}

/** The workflow type of temporary access (src/catalog/grant-temporary-access.ts names it the same). */
const RUNNING_ACCESS_RUNS = "WorkflowType = 'grantTemporaryAccess' AND ExecutionStatus = 'Running'";

/**
 * The namespaces of the running temporary-access runs of `email`, as visibility lists them: a run is the user's
 * when its id is exactly the one their request in that namespace gets. `cannotList` when this server cannot list.
 */
async function runningAccessNamespaces(
  temporal: Client,
  email: string,
): Promise<{ namespaces: string[] } | { cannotList: string }> {
  const namespaces: string[] = [];
  try {
    for await (const run of temporal.workflow.list({ query: RUNNING_ACCESS_RUNS })) {
      heartbeat();
      // `grant-temporary-access/<namespace>/<principal>`: a namespace name has no '/'.
      const namespace = run.workflowId.split('/')[1] ?? '';
      if (run.workflowId === grantTemporaryAccessWorkflowId(namespace, email)) namespaces.push(namespace);
    }
  } catch (err) {
    const cannotList = listingRefused(err);
    if (cannotList) return { cannotList };
    throw err; // unavailable, deadline exceeded, throttled: the activity's retries try again
  }
  return { namespaces };
}

/**
 * gRPC codes by which a server says it will not answer this listing whenever asked: no visibility API (the
 * time-skipping test server), a visibility store that cannot run the query, an identity that may not list.
 */
const REFUSALS: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  7: 'PERMISSION_DENIED',
  12: 'UNIMPLEMENTED',
};

/** Why the server will never list these runs, or undefined when its error may pass. */
function listingRefused(err: unknown): string | undefined {
  const grpc = err instanceof ServiceError ? err.cause : err;
  if (!isGrpcServiceError(grpc) || !REFUSALS[grpc.code]) return undefined;
  return `Temporal cannot list workflows here (${REFUSALS[grpc.code]}: ${grpc.details || grpc.message})`;
}
