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
  live: Pick<AccountSnapshot, 'namespaces' | 'serviceAccounts' | 'users' | 'apiKeys'>;
  nsNameById: Map<string, string>;
  changes: Change[];
  unchanged: Plan['unchanged'];
  unmanaged: Plan['unmanaged'];
  problems: string[];
  notes: string[];
}

type PrincipalKind = 'serviceAccount' | 'user';

const ACCESS_BLOCKED =
  'the given Ops API has no operation to change an existing principal’s access or role; use the real API (OPS_API_DIALECT=cloud) or change it by hand';

export function newPlanContext(
  desired: DesiredState,
  account: AccountSnapshot,
  options: PlanOptions,
): PlanContext {
  const live = <T extends { state: string }>(items: T[]) => items.filter(isLive);
  const namespaces = live(account.namespaces);
  return {
    desired,
    options,
    prune: desired.prune ?? {},
    regions: account.regions,
    live: {
      namespaces,
      serviceAccounts: live(account.serviceAccounts),
      users: live(account.users),
      apiKeys: live(account.apiKeys),
    },
    nsNameById: new Map(namespaces.map((n) => [n.id, n.name])),
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
 * An existing user or service account against the file: its grants (by namespace name, patterns expanded) and, when
 * `role` differs, its role, as one update — or unchanged.
 */
export function planPrincipal(
  ctx: PlanContext,
  kind: PrincipalKind,
  name: string,
  have: { id: string; access: Record<string, Permission> },
  access: Record<string, Permission>,
  role?: FieldChange,
): void {
  const fields = accessChanges(
    ctx,
    name,
    accessByName(ctx, have.access),
    wantedAccess(ctx, kind, name, access),
  );
  if (role) fields.unshift(role);
  if (fields.length === 0) ctx.unchanged.push({ kind, name });
  else ctx.changes.push(principalUpdate(kind, name, have.id, fields, ctx.options));
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
      `${kind === 'user' ? 'user' : 'service account'} ${name}: access ${pattern} matches no namespace now; it will grant ${access[pattern]} on those that match when they exist`,
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

/** An update of an existing user or service account: destructive when it removes access or changes a role. */
function principalUpdate(
  kind: PrincipalKind,
  name: string,
  targetId: string,
  fields: FieldChange[],
  options: PlanOptions,
): Change {
  const removes = fields.some((f) => f.field.startsWith('access.') && f.to === null);
  const downgrade = fields.some((f) => f.field === 'role' || f.field === 'accountRole');
  return {
    kind,
    name,
    action: 'update',
    targetId,
    destructive: removes || downgrade,
    fields,
    ...(removes
      ? { reason: 'removes namespace access' }
      : downgrade
        ? { reason: 'changes the account role' }
        : {}),
    ...(options.canChangeAccess ? {} : { blocked: ACCESS_BLOCKED }),
  };
}
