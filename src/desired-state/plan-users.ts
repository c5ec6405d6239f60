// The plan's users: invited, their role and access updated, or pruned.
import { accessByName, accessChanges, principalUpdate, pruneOrLeave, type PlanContext } from './plan-context';
import { matchesAny } from './schema';

export function planUsers(ctx: PlanContext): void {
  const { desired } = ctx;
  const userByEmail = new Map(ctx.live.users.map((u) => [u.email.toLowerCase(), u]));
  for (const want of desired.users) {
    const have = userByEmail.get(want.email.toLowerCase());
    if (!have) {
      ctx.changes.push({
        kind: 'user',
        name: want.email,
        action: 'create',
        destructive: false,
        fields: [
          { field: 'role', from: null, to: want.role },
          ...Object.entries(want.access).map(([ns, p]) => ({ field: `access.${ns}`, from: null, to: p })),
        ],
      });
      continue;
    }
    const fields = accessChanges(ctx, want.email, accessByName(ctx, have.access), want.access);
    if (have.role !== want.role) fields.unshift({ field: 'role', from: have.role, to: want.role });
    if (fields.length === 0) ctx.unchanged.push({ kind: 'user', name: want.email });
    else ctx.changes.push(principalUpdate('user', want.email, have.id, fields, ctx.options));
  }
  const wanted = new Set(desired.users.map((u) => u.email.toLowerCase()));
  pruneOrLeave(
    ctx,
    'user',
    ctx.live.users.map((u) => ({ id: u.id, name: u.email, match: u.email.toLowerCase() })),
    (email) => wanted.has(email),
    (email) => matchesAny(email, ctx.prune.users),
    'not in the file, and prune.users owns them',
  );
}
