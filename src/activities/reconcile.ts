// Activities of desired state as code: the plan (or an export) of the account as read, and the changes a plan
// needs that the other activities do not already make, each under the step's operation id (see change-once.ts).
import { caBundleFingerprints } from '../certificates';
import { exportDesiredState } from '../desired-state/export';
import { computePlan, type Plan } from '../desired-state/plan';
import type { DesiredState, DesiredStateInput } from '../desired-state/schema';
import { sameSpec, withNamespaceChanges, type NamespaceChanges } from '../ops-api/resources';
import { isLive } from '../shared/resources';
import { readAccount } from './account';
import { changeOnce, type ChangeResult } from './change-once';
import type { ActivityDeps } from './deps';
import { createDriftActivities } from './drift';
import { createPrincipalActivities } from './principal-access';

/** Ids of what exists, by the names a desired-state file uses. */
export interface AccountIds {
  namespaces: Record<string, string>;
  serviceAccounts: Record<string, string>;
  /** By lowercased email. */
  users: Record<string, string>;
  /** By lowercased display name. */
  userGroups: Record<string, string>;
  customRoles: Record<string, string>;
}

export interface PlannedReconcile {
  plan: Plan;
  ids: AccountIds;
}

export function createReconcileActivities(deps: ActivityDeps) {
  const { client } = deps;
  return {
    /** Reads the account and plans the file against it: only the plan (and ids) enter the history. */
    async planReconcile(input: { desired: DesiredState; now: number }): Promise<PlannedReconcile> {
      const account = await readAccount(client);
      const plan = computePlan(input.desired, account, {
        now: input.now,
        canChangeAccess: client.supports('setServiceAccountNamespaceAccess'),
        namespaceScopedAccounts: client.supports('namespaceScopedServiceAccounts'),
        accessModel: client.supports('listUserGroups'),
        // Accepted CAs compare as certificates, whatever their text or order.
        caFingerprints: caBundleFingerprints,
      });
      const live = <T extends { state: string }>(items: T[]) => items.filter(isLive);
      return {
        plan,
        ids: {
          namespaces: Object.fromEntries(live(account.namespaces).map((n) => [n.name, n.id])),
          serviceAccounts: Object.fromEntries(live(account.serviceAccounts).map((s) => [s.name, s.id])),
          users: Object.fromEntries(live(account.users).map((u) => [u.email.toLowerCase(), u.id])),
          userGroups: Object.fromEntries(
            live(account.userGroups ?? []).map((g) => [g.name.toLowerCase(), g.id]),
          ),
          customRoles: Object.fromEntries(live(account.customRoles ?? []).map((r) => [r.name, r.id])),
        },
      };
    },

    /** The account in the file format, tokens never included (the API does not return them). */
    async exportAccount(input: { name?: string }): Promise<DesiredStateInput> {
      return exportDesiredState(await readAccount(client), input.name);
    },

    /** Sets a namespace's managed settings, keeping every other field of its spec. */
    async updateNamespaceSpec(input: {
      namespaceId: string;
      changes: NamespaceChanges;
      operationKey: string;
    }): Promise<ChangeResult> {
      return changeOnce(
        client,
        input.operationKey,
        `namespace ${input.namespaceId}`,
        () => client.getNamespace(input.namespaceId),
        (current, asyncOperationId) =>
          client.updateNamespace(input.namespaceId, {
            resourceVersion: current.resourceVersion,
            spec: withNamespaceChanges(current.spec, input.changes),
            asyncOperationId,
          }),
        (now) => sameSpec(withNamespaceChanges(now.spec, input.changes), now.spec),
      );
    },
    ...createPrincipalActivities(deps),
    ...createDriftActivities(deps),
  };
}
