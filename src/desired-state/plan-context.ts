// What every part of a plan shares: the file, the live account, the options, and the plan as it grows.
import { isLive } from '../shared/resources';
import type { AccountSnapshot, Change, FieldChange, Plan, PlanOptions, ResourceKind } from './plan-types';
import { matchesAny, type DesiredState, type Permission } from './schema';

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
}

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
 * An existing user or service account against the file: its grants (by namespace name) and, when `role` differs,
 * its role, as one update — or unchanged.
 */
export function planPrincipal(
  ctx: PlanContext,
  kind: 'serviceAccount' | 'user',
  name: string,
  have: { id: string; access: Record<string, Permission> },
  want: Record<string, Permission>,
  role?: FieldChange,
): void {
  const fields = accessChanges(ctx, name, accessByName(ctx, have.access), want);
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

/** A new principal's grants, field by field. */
export function grantsOf(access: Record<string, Permission>): FieldChange[] {
  return Object.entries(access).map(([ns, p]) => ({ field: `access.${ns}`, from: null, to: p }));
}

/** Grants the file adds or changes, and (when prune.access owns the principal) grants it removes. */
function accessChanges(
  ctx: PlanContext,
  principal: string,
  have: Record<string, Permission>,
  want: Record<string, Permission>,
): FieldChange[] {
  const fields: FieldChange[] = [];
  for (const [ns, p] of Object.entries(want)) {
    if (have[ns] !== p) fields.push({ field: `access.${ns}`, from: have[ns] ?? null, to: p });
  }
  if (matchesAny(principal, ctx.prune.access)) {
    for (const [ns, p] of Object.entries(have)) {
      if (!(ns in want)) fields.push({ field: `access.${ns}`, from: p, to: null });
    }
  }
  return fields;
}

/** An update of an existing user or service account: destructive when it removes access or changes a role. */
function principalUpdate(
  kind: 'serviceAccount' | 'user',
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
