// Reconcile's users: invited (or adopted), or their role and access updated.
import type { Change } from '../../desired-state/plan';
import { userReady } from '../resource-steps';
import { changeKey, type Applied, type ApplyContext } from './context';
import { accessByIds, setRoles, updatePrincipal } from './principals';

export async function applyUser(ctx: ApplyContext, c: Change): Promise<Applied> {
  if (c.action !== 'create') return updatePrincipal(ctx, c, 'user', 'role');
  const want = ctx.desired.users.find((u) => u.email.toLowerCase() === c.name.toLowerCase())!;
  const made = await userReady(
    {
      email: want.email,
      access: {
        ...(want.role !== 'none' ? { accountAccess: { role: want.role } } : {}),
        ...accessByIds(ctx, c),
      },
      operationKey: changeKey(c),
    },
    ctx.wait,
    { made: ({ id }) => void (ctx.userIds[want.email.toLowerCase()] = id) },
  );
  // Custom roles live in the account access the API keeps whole: set after the invitation, as one change.
  await setRoles(ctx, c, 'user', made.userId);
  return made.outcome === 'adopted' ? 'existed already: adopted' : undefined;
}
