// The plan's service accounts and their keys: created, access and role updated (a scope change is blocked), keys
// created or rotated when due, and what the file's prune owns deleted.
import { baseDisplayName } from '../shared/api-key-names';
import { newestFirst } from '../shared/resources';
import {
  creation,
  customRolesChange,
  customRolesField,
  grantsOf,
  planPrincipal,
  pruneOrLeave,
  type PlanContext,
} from './plan-context';
import type { AccountSnapshot, Change } from './plan-types';
import type { DesiredState } from './schema';

type WantedAccount = DesiredState['serviceAccounts'][number];
type Account = AccountSnapshot['serviceAccounts'][number];

const DAY_MS = 86_400_000;
const SCOPE_BLOCKED =
  'a service account’s scope (namespace-scoped or account-wide, and which namespace) cannot change; delete it and create it again, or give the new one another name';

export function planServiceAccounts(ctx: PlanContext): void {
  const { desired } = ctx;
  const saByName = new Map(ctx.live.serviceAccounts.map((s) => [s.name, s]));
  for (const want of desired.serviceAccounts) {
    const have = saByName.get(want.name);
    if (want.namespaceScoped !== undefined && !ctx.options.namespaceScopedAccounts) {
      ctx.problems.push(
        `service account ${want.name}: namespaceScoped needs an Ops API with namespace-scoped service accounts (the real API: OPS_API_DIALECT=cloud)`,
      );
    }
    if (!have) {
      ctx.changes.push(
        creation('serviceAccount', want.name, [
          ...(want.namespaceScoped
            ? [{ field: 'namespaceScoped', from: null, to: want.namespaceScoped }]
            : []),
          ...(want.accountRole ? [{ field: 'accountRole', from: null, to: want.accountRole }] : []),
          ...customRolesField(ctx, want.customRoles),
          ...grantsOf(ctx, 'serviceAccount', want.name, want.access),
        ]),
      );
    } else planUpdate(ctx, want, have);
    planKeys(ctx, want, have);
  }
  const wanted = new Set(desired.serviceAccounts.map((s) => s.name));
  pruneOrLeave(
    ctx,
    'serviceAccount',
    ctx.live.serviceAccounts.map((s) => ({ id: s.id, name: s.name, match: s.name })),
    wanted,
    ctx.prune.serviceAccounts,
    'not in the file, and prune.serviceAccounts owns it (its keys go with it)',
  );
}

/** What changes on an existing service account: nothing, its access and role, or a scope it cannot change. */
function planUpdate(ctx: PlanContext, want: WantedAccount, have: Account): void {
  const scope = have.namespaceScoped
    ? (ctx.nsNameById.get(have.namespaceScoped) ?? have.namespaceScoped)
    : undefined;
  if (scope !== want.namespaceScoped) {
    const fields = [{ field: 'namespaceScoped', from: scope ?? null, to: want.namespaceScoped ?? null }];
    ctx.changes.push({
      kind: 'serviceAccount',
      name: want.name,
      action: 'update',
      targetId: have.id,
      destructive: true,
      fields,
      blocked: SCOPE_BLOCKED,
    });
    return;
  }
  const role = have.role ?? 'none';
  const roleChange =
    want.accountRole !== undefined && role !== want.accountRole
      ? { field: 'accountRole', from: role, to: want.accountRole }
      : undefined;
  const roles = customRolesChange(ctx, have.customRoles, want.customRoles);
  planPrincipal(ctx, 'serviceAccount', want.name, have, want.access, [roleChange, roles]);
}

/** The account's keys: each of the file's created when missing or rotated when due; the others pruned or left. */
function planKeys(ctx: PlanContext, want: WantedAccount, have: Account | undefined): void {
  const owned = have ? ctx.live.apiKeys.filter((k) => k.ownerId === have.id) : [];
  for (const key of want.apiKeys) {
    const name = `${want.name}/${key.displayName}`;
    // During a rotation's grace period old and new key share the name: the newest is the key.
    const current = owned
      .filter((k) => baseDisplayName(k.displayName) === key.displayName)
      .sort(newestFirst)[0];
    if (!current) {
      ctx.changes.push(creation('apiKey', name, [{ field: 'expiryDays', from: null, to: key.expiryDays }]));
      continue;
    }
    const rotation = rotationDue(ctx, key, current);
    if (!rotation) ctx.unchanged.push({ kind: 'apiKey', name });
    else ctx.changes.push({ kind: 'apiKey', name, ...rotation });
  }
  if (!have) return;
  const listed = new Set(want.apiKeys.map((k) => k.displayName));
  pruneOrLeave(
    ctx,
    'apiKey',
    owned.map((k) => ({
      id: k.id,
      name: `${want.name}/${k.displayName}`,
      match: baseDisplayName(k.displayName),
    })),
    listed,
    ctx.prune.apiKeys === true,
    'not in the file, and prune.apiKeys is on',
  );
}

/** The rotate change of a key that is due (expired, or expiring within rotateBeforeDays), else undefined. */
function rotationDue(
  ctx: PlanContext,
  key: WantedAccount['apiKeys'][number],
  current: AccountSnapshot['apiKeys'][number],
): Omit<Change, 'kind' | 'name'> | undefined {
  const { now } = ctx.options;
  const expiresAt = Date.parse(current.expiryTime);
  const due =
    key.rotateBeforeDays !== undefined &&
    (current.state === 'expired' || expiresAt <= now + key.rotateBeforeDays * DAY_MS);
  if (!due) return undefined;
  return {
    action: 'rotate',
    targetId: current.id,
    destructive: false,
    reason:
      expiresAt <= now || current.state === 'expired'
        ? `expired ${current.expiryTime}`
        : `expires ${current.expiryTime}, within ${key.rotateBeforeDays} days`,
    fields: [{ field: 'expiryTime', from: current.expiryTime, to: `+${key.expiryDays} days` }],
  };
}
