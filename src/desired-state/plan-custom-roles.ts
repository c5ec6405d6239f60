// The plan's custom roles: created, their description and permissions updated, or pruned. Roles come before the
// principals that name them (apply creates them first and deletes them last).
import { creation, pruneOrLeave, same, type PlanContext } from './plan-context';
import type { FieldChange } from './plan-types';
import type { DesiredState, RolePermission } from './schema';

export const ACCESS_MODEL_MISSING =
  'needs an Ops API with user groups and custom roles (the real API: OPS_API_DIALECT=cloud)';

/** Where the API has no groups nor custom roles, a file that uses them says so plainly, naming what it uses. */
export function accessModelProblems(ctx: PlanContext): void {
  if (ctx.options.accessModel) return;
  const { desired } = ctx;
  const naming = (items: Array<{ customRoles?: string[] | undefined }>) =>
    items.some((p) => p.customRoles !== undefined);
  const used = [
    desired.userGroups.length > 0 ? 'userGroups' : '',
    desired.customRoles.length > 0 ? 'customRoles' : '',
    naming(desired.users) ? 'users[].customRoles' : '',
    naming(desired.serviceAccounts) ? 'serviceAccounts[].customRoles' : '',
  ].filter(Boolean);
  if (used.length > 0) ctx.problems.push(`${used.join(', ')}: ${ACCESS_MODEL_MISSING}`);
}

export function planCustomRoles(ctx: PlanContext): void {
  const byName = new Map(ctx.live.customRoles.map((r) => [r.name, r]));
  for (const want of ctx.desired.customRoles) {
    const have = byName.get(want.name);
    const permissions = normalPermissions(want.permissions);
    if (!have) {
      const description = want.description
        ? [{ field: 'description', from: null, to: want.description }]
        : [];
      ctx.changes.push(
        creation('customRole', want.name, [
          ...description,
          { field: 'permissions', from: null, to: permissions },
        ]),
      );
      continue;
    }
    const fields: FieldChange[] = [];
    if ((have.description ?? '') !== (want.description ?? ''))
      fields.push({ field: 'description', from: have.description || null, to: want.description || null });
    const had = normalPermissions(have.permissions);
    if (!same(had, permissions)) fields.push({ field: 'permissions', from: had, to: permissions });
    if (fields.length === 0) {
      ctx.unchanged.push({ kind: 'customRole', name: want.name });
      continue;
    }
    // Whoever holds the role loses what leaves it.
    const narrows = had.some((p) => !permissions.some((q) => same(p, q)));
    ctx.changes.push({
      kind: 'customRole',
      name: want.name,
      action: 'update',
      targetId: have.id,
      destructive: narrows,
      fields,
      ...(narrows ? { reason: 'takes permissions away from whoever holds it' } : {}),
    });
  }
  pruneOrLeave(
    ctx,
    'customRole',
    ctx.live.customRoles.map((r) => ({ id: r.id, name: r.name, match: r.name })),
    new Set(ctx.desired.customRoles.map((r) => r.name)),
    ctx.prune.customRoles,
    'not in the file, and prune.customRoles owns it (deleted after the principals that hold it let it go)',
  );
}

/**
 * A role to delete that a principal keeps after this plan (one the file does not manage, or leaves holding it) would
 * be refused by the API: the delete is blocked, naming the holders. Run once every principal is planned.
 */
export function blockHeldRoleDeletions(ctx: PlanContext): void {
  for (const change of ctx.changes) {
    if (change.kind !== 'customRole' || change.action !== 'delete') continue;
    const holders = keptHolders(ctx, change.targetId!, change.name);
    if (holders.length > 0)
      change.blocked = `still held by ${holders.join(', ')}, which this plan leaves holding it; take it from them first`;
  }
}

function keptHolders(ctx: PlanContext, roleId: string, roleName: string): string[] {
  const { desired, live } = ctx;
  const wantsIt = (wanted: { customRoles?: string[] | undefined } | undefined) =>
    wanted === undefined || wanted.customRoles === undefined || wanted.customRoles.includes(roleName);
  const pruned = (kind: string, name: string) =>
    ctx.changes.some((c) => c.kind === kind && c.action === 'delete' && c.name === name);
  const holders: string[] = [];
  type Wanted = { customRoles?: string[] | undefined } | undefined;
  const check = (kind: string, name: string, held: string[] | undefined, wanted: Wanted) => {
    if ((held ?? []).includes(roleId) && !pruned(kind, name) && wantsIt(wanted))
      holders.push(`${kind} ${name}`);
  };
  for (const u of live.users)
    check(
      'user',
      u.email,
      u.customRoles,
      desired.users.find((w) => w.email.toLowerCase() === u.email.toLowerCase()),
    );
  for (const sa of live.serviceAccounts)
    check(
      'serviceAccount',
      sa.name,
      sa.customRoles,
      desired.serviceAccounts.find((w) => w.name === sa.name),
    );
  for (const g of live.userGroups)
    check(
      'userGroup',
      g.name,
      g.customRoles,
      desired.userGroups.find((w) => w.name.toLowerCase() === g.name.toLowerCase()),
    );
  return holders;
}

/** Permissions compare as a set, each with its ids and actions as sets. */
export function normalPermissions(
  permissions: DesiredState['customRoles'][number]['permissions'],
): RolePermission[] {
  return permissions
    .map((p) => ({
      resources: {
        resourceType: p.resources.resourceType,
        ...(p.resources.resourceIds?.length ? { resourceIds: [...p.resources.resourceIds].sort() } : {}),
        ...(p.resources.allowAll ? { allowAll: true } : {}),
      },
      actions: [...p.actions].sort(),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
