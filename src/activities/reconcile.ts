// Activities of desired state as code: reading the account into a plan (or an export), and the changes a
// plan needs that the other activities do not already make. Every change carries the step's operation
// id, and each first asks whether that operation already committed (a lost answer, a killed worker).
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { exportDesiredState } from '../desired-state/export';
import { computePlan, planSummary, type AccountSnapshot, type Plan } from '../desired-state/plan';
import type { DesiredState, DesiredStateInput, Permission } from '../desired-state/schema';
import { asyncOperationIdFor, listAll, OpsApiError } from '../ops-api';
import type {
  Access,
  AccountRole,
  AsyncOperationResponse,
  NamespaceSpec,
  ServiceAccount,
  User,
} from '../ops-api';
import { postSigned, SignedPostError } from '../secrets/signed-post';
import { FailureType } from '../shared/failure-types';
import type { ActivityDeps } from './deps';
import { changedSince, findOwnOperation, heartbeat, isOwnRepeat } from './util';
import { withNamespaceChanges, type NamespaceChanges } from '../ops-api/resources';
import { isLive, normalizeCa } from '../shared/resources';

/** Ids of what exists, by the names a desired-state file uses. */
export interface AccountIds {
  namespaces: Record<string, string>;
  serviceAccounts: Record<string, string>;
  /** By lowercased email. */
  users: Record<string, string>;
}

export interface PlannedReconcile {
  plan: Plan;
  ids: AccountIds;
}

const normalCa = (spec: NamespaceSpec) =>
  spec.mtlsAuth
    ? { ...spec.mtlsAuth, acceptedClientCa: normalizeCa(spec.mtlsAuth.acceptedClientCa) }
    : undefined;

/** A change raced with another one (a stale version): read again on the next attempt. */
const raced = (what: string, err: OpsApiError) =>
  ApplicationFailure.create({
    type: FailureType.ResourceNotReady,
    message: `${what} changed while this change was being made (${err.message}); reading it again`,
    nextRetryDelay: 1_000,
    category: ApplicationFailureCategory.BENIGN,
  });

export function createReconcileActivities({ client, driftWebhook }: ActivityDeps) {
  async function readAccount(): Promise<AccountSnapshot> {
    const [regions, namespaces, serviceAccounts, users, apiKeys] = await Promise.all([
      client.listRegions(),
      listAll(client, 'listNamespaces'),
      listAll(client, 'listServiceAccounts'),
      listAll(client, 'listUsers'),
      listAll(client, 'listApiKeys', { ownerType: 'service-account' }),
    ]);
    heartbeat();
    const access = (a: Access | undefined) =>
      Object.fromEntries(
        Object.entries(a?.namespaceAccesses ?? {}).map(([id, grant]) => [id, grant.permission as Permission]),
      );
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
          access: scoped ? { [scoped.namespace]: scoped.access.permission } : access(sa.spec.access),
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
        access: access(u.spec.access),
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

  /**
   * One update under this step's own operation id, as read-merge-send: the whole spec as read goes back
   * with the change. A refusal (any client error) is followed by a read: this step's own operation means
   * done; a resource that moved on since the read means a race (read again, retry); otherwise it stands.
   */
  async function changeOnce<R extends { resourceVersion: string; state: string }>(
    operationKey: string,
    what: string,
    read: () => Promise<R>,
    send: (current: R, asyncOperationId: string) => Promise<AsyncOperationResponse>,
  ): Promise<AsyncOperationResponse> {
    const asyncOperationId = asyncOperationIdFor(operationKey);
    // An earlier attempt committed (its answer lost): re-reading now would send a different request.
    if (await findOwnOperation(client, asyncOperationId)) return { asyncOperationId };
    const current = await read();
    try {
      return await send(current, asyncOperationId);
    } catch (err) {
      if (await isOwnRepeat(err, client, asyncOperationId)) return { asyncOperationId };
      if (await changedSince(err, current, read)) throw raced(what, err as OpsApiError);
      throw err;
    }
  }

  async function principal(kind: 'user' | 'serviceAccount', id: string): Promise<User | ServiceAccount> {
    return kind === 'user' ? client.getUser(id) : client.getServiceAccount(id);
  }

  return {
    /** Reads the account and plans the file against it: only the plan (and ids) enter the history. */
    async planReconcile(input: { desired: DesiredState; now: number }): Promise<PlannedReconcile> {
      const account = await readAccount();
      const plan = computePlan(input.desired, account, {
        now: input.now,
        canChangeAccess: client.supports('setServiceAccountNamespaceAccess'),
        namespaceScopedAccounts: client.supports('namespaceScopedServiceAccounts'),
      });
      const live = <T extends { state: string }>(items: T[]) => items.filter(isLive);
      return {
        plan,
        ids: {
          namespaces: Object.fromEntries(live(account.namespaces).map((n) => [n.name, n.id])),
          serviceAccounts: Object.fromEntries(live(account.serviceAccounts).map((s) => [s.name, s.id])),
          users: Object.fromEntries(live(account.users).map((u) => [u.email.toLowerCase(), u.id])),
        },
      };
    },

    /**
     * Posts what differs from the file (kinds, names, actions and which fields — never values) to the
     * drift webhook, signed like the events endpoint's requests. Nothing to do without one.
     */
    async notifyDrift(input: { name: string; plan: Plan }): Promise<{ outcome: 'sent' | 'not-configured' }> {
      if (!driftWebhook) return { outcome: 'not-configured' };
      const body = JSON.stringify({
        type: 'desired-state.drift',
        name: input.name,
        fingerprint: input.plan.fingerprint,
        summary: planSummary(input.plan),
        changes: input.plan.changes.map((c) => ({
          kind: c.kind,
          name: c.name,
          action: c.action,
          destructive: c.destructive,
          fields: c.fields.map((f) => f.field),
        })),
        problems: input.plan.problems,
        at: new Date().toISOString(),
      });
      const url = new URL(driftWebhook.url);
      try {
        await postSigned({
          url,
          rawBody: body,
          secret: driftWebhook.secret,
          timeoutMs: 10_000,
          okStatuses: [200, 201, 202, 204],
        });
      } catch (error) {
        if (!(error instanceof SignedPostError)) throw error;
        // Only the host is named: a webhook URL's path is often its secret.
        throw ApplicationFailure.create({
          type: 'DriftWebhookFailed',
          message: `drift webhook at ${url.origin} ${error.message}`,
          nonRetryable: !error.retryable,
        });
      }
      return { outcome: 'sent' };
    },

    /** The account in the file format, tokens never included (the API does not return them). */
    async exportAccount(input: { name?: string }): Promise<DesiredStateInput> {
      return exportDesiredState(await readAccount(), input.name);
    },

    /** Sets a namespace's managed settings, keeping every other field of its spec. */
    async updateNamespaceSpec(input: {
      namespaceId: string;
      changes: NamespaceChanges;
      operationKey: string;
    }): Promise<AsyncOperationResponse> {
      return changeOnce(
        input.operationKey,
        `namespace ${input.namespaceId}`,
        () => client.getNamespace(input.namespaceId),
        (current, asyncOperationId) =>
          client.updateNamespace(input.namespaceId, {
            resourceVersion: current.resourceVersion,
            spec: withNamespaceChanges(current.spec, input.changes),
            asyncOperationId,
          }),
      );
    },

    /**
     * One namespace's access of a user or service account: granted or changed without touching the
     * others (set*NamespaceAccess); removed by sending the whole spec without it (update*).
     */
    async setNamespaceAccess(input: {
      kind: 'user' | 'serviceAccount';
      principalId: string;
      namespaceId: string;
      permission: Permission | null;
      operationKey: string;
    }): Promise<AsyncOperationResponse> {
      const { kind, principalId, namespaceId, permission } = input;
      const read = () => principal(kind, principalId);
      const send = async (current: User | ServiceAccount, asyncOperationId: string) => {
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
          const request = {
            namespace: namespaceId,
            access: { permission },
            resourceVersion,
            asyncOperationId,
          };
          return kind === 'user'
            ? client.setUserNamespaceAccess({ ...request, userId: principalId })
            : client.setServiceAccountNamespaceAccess({ ...request, serviceAccountId: principalId });
        }
        const { [namespaceId]: _removed, ...rest } = current.spec.access?.namespaceAccesses ?? {};
        const access: Access = {
          ...(current.spec.access?.accountAccess ? { accountAccess: current.spec.access.accountAccess } : {}),
          ...(Object.keys(rest).length > 0 ? { namespaceAccesses: rest } : {}),
        };
        return kind === 'user'
          ? client.updateUser({
              userId: principalId,
              resourceVersion,
              asyncOperationId,
              spec: { ...(current as User).spec, access },
            })
          : client.updateServiceAccount({
              serviceAccountId: principalId,
              resourceVersion,
              asyncOperationId,
              spec: { ...(current as ServiceAccount).spec, access },
            });
      };
      return changeOnce(input.operationKey, `${kind} ${principalId}`, read, send);
    },

    /** A user's or account-wide service account's account role, the rest of its spec kept. */
    async setAccountRole(input: {
      kind: 'user' | 'serviceAccount';
      principalId: string;
      role: AccountRole;
      operationKey: string;
    }): Promise<AsyncOperationResponse> {
      const { kind, principalId } = input;
      const read = () => principal(kind, principalId);
      const send = async (current: User | ServiceAccount, asyncOperationId: string) => {
        const { accountAccess: _old, ...rest } = current.spec.access ?? {};
        const spec = {
          ...current.spec,
          access: { ...rest, ...(input.role === 'none' ? {} : { accountAccess: { role: input.role } }) },
        };
        const request = { resourceVersion: current.resourceVersion, asyncOperationId };
        return kind === 'user'
          ? client.updateUser({ ...request, userId: principalId, spec: spec as User['spec'] })
          : client.updateServiceAccount({
              ...request,
              serviceAccountId: principalId,
              spec: spec as ServiceAccount['spec'],
            });
      };
      return changeOnce(input.operationKey, `${kind} ${principalId}`, read, send);
    },
  };
}
