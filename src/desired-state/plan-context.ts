// What every part of a plan shares: the file, the live account, the options, and the plan as it grows.
import { isLive } from '../shared/resources';
import type { AccountSnapshot, Change, FieldChange, Plan, PlanOptions, ResourceKind } from './plan-types';
import { expandAccess, idlePatterns, matchesAny, type ExpandedGrant } from './access-patterns';
import type { DesiredState, Permission } from './schema';

export interface PlanContext {
  desired: DesiredState;
  options: PlanOptions;
  prune: NonNullable<DesiredState['prune']>;
  /** Region ids the account may use. */
  regions: string[];
  /** The account's live resources (not deleted, not being deleted). */
  live: Pick<AccountSnapshot, 'namespaces' | 'serviceAccounts' | 'users' | 'apiKeys'> &
    Required<Pick<AccountSnapshot, 'userGroups' | 'customRoles'>>;
  nsNameById: Map<string, string>;
  /** Custom role names by id, and users' emails by id (as the account has them). */
  roleNameById: Map<string, string>;
  emailById: Map<string, string>;
  changes: Change[];
  unchanged: Plan['unchanged'];
  unmanaged: Plan['unmanaged'];
  problems: string[];
  notes: string[];
}

export type PrincipalKind = 'serviceAccount' | 'user' | 'userGroup';
const LABEL: Record<PrincipalKind, string> = {
  serviceAccount: 'service account',
  user: 'user',
  userGroup: 'user group',
};

const ACCESS_BLOCKED =
  'the given Ops API has no operation to change an existing principal’s access or role; use the real API (OPS_API_DIALECT=cloud) or change it by hand';

export function newPlanContext(
  desired: DesiredState,
  account: AccountSnapshot,
  options: PlanOptions,
): PlanContext {
  const live = <T extends { state: string }>(items: T[]) => items.filter(isLive);
  const namespaces = live(account.namespaces);
  const customRoles = live(account.customRoles ?? []);
  const users = live(account.users);
  return {
    desired,
    options,
    prune: desired.prune ?? {},
    regions: account.regions,
    live: {
      namespaces,
      serviceAccounts: live(account.serviceAccounts),
      users,
      apiKeys: live(account.apiKeys),
      userGroups: live(account.userGroups ?? []),
      customRoles,
    },
    nsNameById: new Map(namespaces.map((n) => [n.id, n.name])),
    roleNameById: new Map(customRoles.map((r) => [r.id, r.name])),
    emailById: new Map(users.map((u) => [u.id, u.email])),
    changes: [],
    unchanged: [],
    unmanaged: [],
    problems: [],
    notes: [],
  };
}

export const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function creation(kind: ResourceKind, name: string, fields: FieldChange[]): Change {
  return { kind, name, action: 'create', destructive: false, fields };
}

export function deletion(kind: ResourceKind, name: string, targetId: string, reason: string): Change {
  return { kind, name, action: 'delete', targetId, destructive: true, reason, fields: [] };
}

/**
 * What the account has and the file does not (`wanted` holds what the file names, as `match`): deleted when the
 * file's prune owns it (its name matches one of `owners`, or `owners` is true), else left alone as unmanaged.
 */
export function pruneOrLeave(
  ctx: PlanContext,
  kind: ResourceKind,
  have: Array<{ id: string; name: string; match: string }>,
  wanted: Set<string>,
  owners: string[] | boolean | undefined,
  reason: string,
): void {
  for (const { id, name, match } of have) {
    if (wanted.has(match)) continue;
    const owned = typeof owners === 'boolean' ? owners : matchesAny(name, owners);
    if (owned) ctx.changes.push(deletion(kind, name, id, reason));
    else ctx.unmanaged.push({ kind, name });
  }
}

/**
 * An existing principal against the file: its grants (by namespace name, patterns expanded) after the `other`
 * changes (role, custom roles, members), as one update — or unchanged.
 */
export function planPrincipal(
  ctx: PlanContext,
  kind: PrincipalKind,
  name: string,
  have: { id: string; access: Record<string, Permission> },
  access: Record<string, Permission>,
  other: Array<FieldChange | undefined> = [],
): void {
  const grants = accessChanges(
    ctx,
    name,
    accessByName(ctx, have.access),
    wantedAccess(ctx, kind, name, access),
  );
  const fields = [...other.filter((f): f is FieldChange => f !== undefined), ...grants];
  if (fields.length === 0) ctx.unchanged.push({ kind, name });
  else ctx.changes.push(principalUpdate(kind, name, have.id, fields, ctx.options));
}

/** Custom roles as the file names them: sorted, so the order they are written in is no change. */
const roleSet = (names: string[]) => [...new Set(names)].sort();

/** The change of a principal's custom roles (ids as held, names as wanted), when the file names them and they differ. */
export function customRolesChange(
  ctx: PlanContext,
  have: string[] | undefined,
  want: string[] | undefined,
): FieldChange | undefined {
  if (want === undefined || !ctx.options.accessModel) return undefined;
  const from = roleSet((have ?? []).map((id) => ctx.roleNameById.get(id) ?? id));
  const to = roleSet(want);
  return same(from, to) ? undefined : { field: 'customRoles', from, to };
}

/** A new principal's custom roles, when it has any. */
export function customRolesField(ctx: PlanContext, want: string[] | undefined): FieldChange[] {
  return ctx.options.accessModel && want?.length
    ? [{ field: 'customRoles', from: null, to: roleSet(want) }]
    : [];
}

/** Access is written by namespace name in the file and by namespace id in the account. */
function accessByName(ctx: PlanContext, access: Record<string, Permission>): Record<string, Permission> {
  return Object.fromEntries(
    Object.entries(access).map(([id, p]) => [ctx.nsNameById.get(id) ?? id, p]),
  ) as Record<string, Permission>;
}

/** A new principal's grants (patterns expanded), field by field. */
export function grantsOf(
  ctx: PlanContext,
  kind: PrincipalKind,
  name: string,
  access: Record<string, Permission>,
): FieldChange[] {
  return [...wantedAccess(ctx, kind, name, access)].map(([ns, g]) => grantField(ns, null, g));
}

const grantField = (ns: string, from: Permission | null, g: ExpandedGrant): FieldChange => ({
  field: `access.${ns}`,
  from,
  to: g.permission,
  ...(g.pattern ? { pattern: g.pattern } : {}),
});

/**
 * The namespaces a principal's access may reach: the file's and the account's (today's; a pattern reaches those
 * made later when a later plan sees them), but for those this plan deletes. Namespaces are planned first.
 */
function accessTargets(ctx: PlanContext): string[] {
  const leaving = new Set(
    ctx.changes.filter((c) => c.kind === 'namespace' && c.action === 'delete').map((c) => c.name),
  );
  const names = [...ctx.desired.namespaces, ...ctx.live.namespaces].map((n) => n.name);
  return [...new Set(names)].filter((n) => !leaving.has(n));
}

/** The file's grants of one principal over those namespaces; a pattern that matches none of them is noted. */
function wantedAccess(
  ctx: PlanContext,
  kind: PrincipalKind,
  name: string,
  access: Record<string, Permission>,
): Map<string, ExpandedGrant> {
  const targets = accessTargets(ctx);
  for (const pattern of idlePatterns(access, targets)) {
    ctx.notes.push(
      `${LABEL[kind]} ${name}: access ${pattern} matches no namespace now; it will grant ${access[pattern]} on those that match when they exist`,
    );
  }
  return expandAccess(access, targets);
}

/** Grants the file adds or changes, and (when prune.access owns the principal) grants it removes. */
function accessChanges(
  ctx: PlanContext,
  principal: string,
  have: Record<string, Permission>,
  want: Map<string, ExpandedGrant>,
): FieldChange[] {
  const fields: FieldChange[] = [];
  for (const [ns, g] of want) {
    if (have[ns] !== g.permission) fields.push(grantField(ns, have[ns] ?? null, g));
  }
  // What it owns is the expansion: a grant no name or pattern of the file gives is removed.
  if (matchesAny(principal, ctx.prune.access)) {
    for (const [ns, p] of Object.entries(have)) {
      if (!want.has(ns)) fields.push({ field: `access.${ns}`, from: p, to: null });
    }
  }
  return fields;
}

/**
 * An update of an existing principal: destructive when it removes access, a member or a custom role, or changes
 * the account role.
 */
function principalUpdate(
  kind: PrincipalKind,
  name: string,
  targetId: string,
  fields: FieldChange[],
  options: PlanOptions,
): Change {
  const removedRole = (f: FieldChange) =>
    f.field === 'customRoles' &&
    ((f.from as string[] | null) ?? []).some((r) => !(f.to as string[]).includes(r));
  const reasons = [
    fields.some((f) => f.field.startsWith('access.') && f.to === null) ? 'removes namespace access' : '',
    fields.some((f) => f.field.startsWith('members.') && f.to === null) ? 'removes members' : '',
    fields.some(removedRole) ? 'removes a custom role' : '',
    fields.some((f) => f.field === 'role' || f.field === 'accountRole') ? 'changes the account role' : '',
  ].filter(Boolean);
  return {
    kind,
    name,
    action: 'update',
    targetId,
    destructive: reasons.length > 0,
    fields,
    ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    ...(options.canChangeAccess ? {} : { blocked: ACCESS_BLOCKED }),
  };
}
