// Reconcile's service accounts: created (or adopted) as provisioning makes them, or their role and access updated.
import type { Change } from '../../desired-state/plan';
import { serviceAccountReady } from '../resource-steps';
import { changeKey, type Applied, type ApplyContext } from './context';
import { accessByIds, setRoles, updatePrincipal } from './principals';

export async function applyServiceAccount(ctx: ApplyContext, c: Change): Promise<Applied> {
  if (c.action !== 'create') return updatePrincipal(ctx, c, 'serviceAccount', 'accountRole');
  const want = ctx.desired.serviceAccounts.find((s) => s.name === c.name)!;
  const scoped = want.namespaceScoped;
  const role = want.accountRole && want.accountRole !== 'none' ? want.accountRole : undefined;
  const made = await serviceAccountReady(
    {
      name: want.name,
      ...(scoped
        ? {
            namespaceScopedAccess: {
              namespace: ctx.nsIds[scoped]!,
              access: { permission: want.access[scoped]! },
            },
          }
        : { access: { ...(role ? { accountAccess: { role } } : {}), ...accessByIds(ctx, c) } }),
      operationKey: changeKey(c),
    },
    ctx.wait,
    { made: ({ id }) => void (ctx.saIds[c.name] = id) },
  );
  await setRoles(ctx, c, 'serviceAccount', made.serviceAccountId);
  return made.outcome === 'adopted' ? 'existed already with this access: adopted' : undefined;
}
