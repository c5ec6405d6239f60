// The plan's users: invited, their role and access updated, or pruned.
import {
  creation,
  customRolesChange,
  customRolesField,
  grantsOf,
  planPrincipal,
  pruneOrLeave,
  type PlanContext,
} from './plan-context';

export function planUsers(ctx: PlanContext): void {
  const { desired } = ctx;
  const userByEmail = new Map(ctx.live.users.map((u) => [u.email.toLowerCase(), u]));
  for (const want of desired.users) {
    const have = userByEmail.get(want.email.toLowerCase());
    if (!have) {
      const role = { field: 'role', from: null, to: want.role };
      ctx.changes.push(
        creation('user', want.email, [
          role,
          ...customRolesField(ctx, want.customRoles),
          ...grantsOf(ctx, 'user', want.email, want.access),
        ]),
      );
      continue;
    }
    const role = have.role !== want.role ? { field: 'role', from: have.role, to: want.role } : undefined;
    const roles = customRolesChange(ctx, have.customRoles, want.customRoles);
    planPrincipal(ctx, 'user', want.email, have, want.access, [role, roles]);
  }
  const wanted = new Set(desired.users.map((u) => u.email.toLowerCase()));
  pruneOrLeave(
    ctx,
    'user',
    ctx.live.users.map((u) => ({ id: u.id, name: u.email, match: u.email.toLowerCase() })),
    wanted,
    ctx.prune.users,
    'not in the file, and prune.users owns them (their keys go with them)',
  );
}
