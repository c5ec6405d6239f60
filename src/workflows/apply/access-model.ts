// Reconcile's custom roles and user groups (the real API only): a role created (or adopted) or its permissions
// updated; a cloud group created (or adopted), then its custom roles and members — each member on its own, under
// its own step key — or an existing group's role, custom roles, grants and members changed one at a time.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Change } from '../../desired-state/plan';
import type { RolePermission } from '../../desired-state/schema';
import type { AccountRole } from '../../ops-api/types';
import { opsApiCall, opsApiPaging } from '../../shared/activity-options';
import { FailureType } from '../../shared/failure-types';
import { waitForOperation } from '../common';
import { changeKey, type Applied, type ApplyContext } from './context';
import { accessByIds, setRoles, updatePrincipal } from './principals';

const { ensureCustomRole, ensureUserGroup } = proxyActivities<Activities>(opsApiPaging);
const { updateCustomRoleSpec, setUserGroupMember } = proxyActivities<Activities>(opsApiCall);

export async function applyCustomRole(ctx: ApplyContext, c: Change): Promise<Applied> {
  const want = ctx.desired.customRoles.find((r) => r.name === c.name)!;
  const permissions = want.permissions as RolePermission[];
  if (c.action === 'create') {
    const spec = {
      name: want.name,
      ...(want.description ? { description: want.description } : {}),
      permissions,
    };
    const made = await ensureCustomRole({ spec, operationKey: changeKey(c) });
    ctx.roleIds[c.name] = made.id;
    if (made.asyncOperationId)
      await waitForOperation(
        made.asyncOperationId,
        { kind: 'customRole', id: made.id, until: 'ready' },
        ctx.wait,
      );
    return made.outcome === 'adopted' ? 'existed already: adopted as it is' : undefined;
  }
  const res = await updateCustomRoleSpec({
    roleId: c.targetId!,
    ...(want.description ? { description: want.description } : {}),
    permissions,
    operationKey: changeKey(c),
  });
  if (!res.changed) return 'was as wanted already';
  await waitForOperation(
    res.asyncOperationId,
    { kind: 'customRole', id: c.targetId!, until: 'ready' },
    ctx.wait,
  );
  return undefined;
}

export async function applyUserGroup(ctx: ApplyContext, c: Change): Promise<Applied> {
  if (c.action !== 'create') {
    await updatePrincipal(ctx, c, 'userGroup', 'accountRole');
    return setMembers(ctx, c, c.targetId!);
  }
  const want = ctx.desired.userGroups.find((g) => g.name.toLowerCase() === c.name.toLowerCase())!;
  const role =
    want.accountRole && want.accountRole !== 'none' ? (want.accountRole as AccountRole) : undefined;
  const made = await ensureUserGroup({
    spec: {
      displayName: want.name,
      groupType: 'cloud',
      access: { ...(role ? { accountAccess: { role } } : {}), ...accessByIds(ctx, c) },
    },
    operationKey: changeKey(c),
  });
  ctx.groupIds[c.name.toLowerCase()] = made.id;
  if (made.asyncOperationId)
    await waitForOperation(
      made.asyncOperationId,
      { kind: 'userGroup', id: made.id, until: 'ready' },
      ctx.wait,
    );
  await setRoles(ctx, c, 'userGroup', made.id);
  await setMembers(ctx, c, made.id);
  return made.outcome === 'adopted' ? 'existed already: adopted as it is' : undefined;
}

/** Each member the change adds or removes, one at a time: never the group's other members. */
async function setMembers(ctx: ApplyContext, c: Change, groupId: string): Promise<Applied> {
  for (const f of c.fields.filter((x) => x.field.startsWith('members.'))) {
    const email = f.field.slice('members.'.length);
    const userId = ctx.userIds[email.toLowerCase()];
    if (!userId)
      throw ApplicationFailure.create({
        type: FailureType.NotFound,
        message: `user ${email} does not exist`,
        nonRetryable: true,
      });
    const member = f.to !== null;
    const res = await setUserGroupMember({ groupId, userId, member, operationKey: changeKey(c, f.field) });
    if (res.changed)
      await waitForOperation(
        res.asyncOperationId,
        { kind: 'userGroup', id: groupId, until: 'ready' },
        ctx.wait,
      );
  }
  return undefined;
}
