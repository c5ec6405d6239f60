// Reconcile's apply: one dispatcher over the per-resource appliers, in dependency order, each phase bounded.
import { isCancellation, patched } from '@temporalio/workflow';
import type { Change, Plan } from '../../desired-state/plan';
import type { DesiredState } from '../../desired-state/schema';
import { forEachLimited } from '../../shared/concurrency';
import { describeError } from '../common';
import { applyCustomRole, applyUserGroup } from './access-model';
import { applyApiKey } from './api-keys';
import { removeTarget, Skipped, splitKeyName, type Applier, type ApplyContext } from './context';
import { applyNamespace } from './namespaces';
import { customRolesOf, grantsOf } from './principals';
import { applyServiceAccount } from './service-accounts';
import { applyUser } from './users';

export type { ApplyContext } from './context';

export interface AppliedChange {
  kind: Change['kind'];
  name: string;
  action: Change['action'];
  outcome: 'done' | 'skipped' | 'failed';
  detail?: string;
}

const APPLIERS: Record<Change['kind'], Applier> = {
  namespace: applyNamespace,
  serviceAccount: applyServiceAccount,
  user: applyUser,
  apiKey: applyApiKey,
  customRole: applyCustomRole,
  userGroup: applyUserGroup,
};
/**
 * Phases: custom roles beside namespaces, before the principals that name them; groups after the users they take in.
 * Deletes run them backwards: principals let a role go (an update, or their delete) before the role is deleted.
 */
const KIND_ORDER: Record<Change['kind'], number> = {
  namespace: 0,
  customRole: 0,
  serviceAccount: 1,
  user: 1,
  userGroup: 2,
  apiKey: 2,
};

/**
 * Every change of the plan, in dependency order — creates and updates: namespaces and custom roles, then accounts
 * and users, then groups and keys; deletes: the reverse — each phase with bounded concurrency. Outcomes go to `applied` as they land; a change
 * whose dependency failed is skipped.
 */
export async function applyPlan(
  plan: Plan,
  ctx: ApplyContext,
  concurrency: number,
  applied: AppliedChange[],
): Promise<AppliedChange[]> {
  const failedNames = new Set<string>();
  const record = (c: Change, outcome: AppliedChange['outcome'], detail?: string): void => {
    applied.push({ kind: c.kind, name: c.name, action: c.action, outcome, ...(detail ? { detail } : {}) });
  };
  const run = async (change: Change) => {
    if (change.blocked) return record(change, 'skipped', change.blocked);
    // Runs from before groups and patterns keep their dependencies as the file named them (replay must not differ).
    const needs = patched('apply-dependencies-as-planned')
      ? dependencies(change)
      : fileDependencies(change, ctx.desired);
    const dependsOn = needs.find((d) => failedNames.has(d));
    if (dependsOn) return record(change, 'skipped', `depends on ${dependsOn}, which failed`);
    try {
      const detail =
        change.action === 'delete'
          ? await removeTarget(ctx, change)
          : await APPLIERS[change.kind](ctx, change);
      if (detail instanceof Skipped) record(change, 'skipped', detail.reason);
      else record(change, 'done', detail);
    } catch (err) {
      // Cancelling the apply stops it: it is not a failure of this change.
      if (isCancellation(err)) throw err;
      failedNames.add(`${change.kind}:${change.name}`);
      record(change, 'failed', describeError(err));
    }
  };

  const forward = plan.changes.filter((c) => c.action !== 'delete');
  const deletes = plan.changes.filter((c) => c.action === 'delete');
  for (const phase of [0, 1, 2]) {
    await forEachLimited(
      forward.filter((c) => KIND_ORDER[c.kind] === phase),
      concurrency,
      run,
    );
  }
  for (const phase of [2, 1, 0]) {
    await forEachLimited(
      deletes.filter((c) => KIND_ORDER[c.kind] === phase),
      concurrency,
      run,
    );
  }
  return applied;
}

/** Dependencies as runs before `apply-dependencies-as-planned` computed them: the file's own access keys. */
function fileDependencies(c: Change, desired: DesiredState): string[] {
  if (c.kind !== 'serviceAccount' && c.kind !== 'user') return dependencies(c);
  if (c.action === 'delete') return [];
  const grants =
    c.kind === 'serviceAccount'
      ? desired.serviceAccounts.find((s) => s.name === c.name)?.access
      : desired.users.find((u) => u.email.toLowerCase() === c.name.toLowerCase())?.access;
  return Object.keys(grants ?? {}).map((ns) => `namespace:${ns}`);
}

/** What must have succeeded before this change can be made. */
function dependencies(c: Change): string[] {
  if (c.action === 'delete') return [];
  if (c.kind === 'apiKey') return [`serviceAccount:${splitKeyName(c.name)[0]}`];
  if (c.kind === 'serviceAccount' || c.kind === 'user' || c.kind === 'userGroup')
    return [
      // The namespaces it is granted, as planned (a pattern's too), and the custom roles it is given.
      ...Object.keys(grantsOf(c)).map((ns) => `namespace:${ns}`),
      ...(customRolesOf(c) ?? []).map((role) => `customRole:${role}`),
      // The users a group takes in.
      ...c.fields
        .filter((f) => f.field.startsWith('members.') && f.to !== null)
        .map((f) => `user:${f.field.slice('members.'.length)}`),
    ];
  return [];
}
