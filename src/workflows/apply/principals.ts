// What users, service accounts and user groups share on reconcile: namespace access by name, and updates of role,
// custom roles and access.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Change } from '../../desired-state/plan';
import type { Permission } from '../../desired-state/schema';
import type { AccountRole } from '../../ops-api/types';
import { opsApiCall } from '../../shared/activity-options';
import { FailureType } from '../../shared/failure-types';
import { waitForOperation } from '../common';
import { changeKey, type Applied, type ApplyContext } from './context';

const { setNamespaceAccess, setAccountRole, setCustomRoles } = proxyActivities<Activities>(opsApiCall);

export type PrincipalKind = 'user' | 'serviceAccount' | 'userGroup';

/** The grants a change gives (its `access.<namespace>` fields, patterns already expanded by the plan). */
export function grantsOf(c: Change): Record<string, Permission> {
  return Object.fromEntries(
    c.fields
      .filter((f) => f.field.startsWith('access.') && f.to !== null)
      .map((f) => [f.field.slice('access.'.length), f.to as Permission]),
  );
}

/** A new principal's grants (by namespace name, as planned) as the API's namespace accesses (by namespace id). */
export function accessByIds(ctx: ApplyContext, c: Change) {
  return {
    namespaceAccesses: Object.fromEntries(
      Object.entries(grantsOf(c)).map(([ns, permission]) => [
        ctx.nsIds[ns]!,
        { permission: permission as 'read' },
      ]),
    ),
  };
}

/**
 * An existing principal's role (field `roleField`, when the change has it), its custom roles (when the change has
 * them), then its grants one by one.
 */
export async function updatePrincipal(
  ctx: ApplyContext,
  c: Change,
  kind: PrincipalKind,
  roleField: 'role' | 'accountRole',
): Promise<Applied> {
  await setRole(ctx, c, kind, roleField);
  await setRoles(ctx, c, kind, c.targetId!);
  return setAccess(ctx, c, kind, c.targetId!);
}

/** The custom roles a change names (field `customRoles`, by name), as they apply to the principal. */
export function customRolesOf(c: Change): string[] | undefined {
  const f = c.fields.find((x) => x.field === 'customRoles');
  return f ? ((f.to as string[] | null) ?? []) : undefined;
}

/** The principal's custom roles as the change has them, as a whole (the API keeps them in its account access). */
export async function setRoles(ctx: ApplyContext, c: Change, kind: PrincipalKind, principalId: string) {
  const names = customRolesOf(c);
  if (names === undefined) return;
  const roleIds = names.map((name) => {
    const id = ctx.roleIds[name];
    if (!id)
      throw ApplicationFailure.create({
        type: FailureType.NotFound,
        message: `custom role ${name} does not exist`,
        nonRetryable: true,
      });
    return id;
  });
  const res = await setCustomRoles({ kind, principalId, roleIds, operationKey: changeKey(c, 'customRoles') });
  if (res.changed)
    await waitForOperation(res.asyncOperationId, { kind, id: principalId, until: 'ready' }, ctx.wait);
}

async function setRole(ctx: ApplyContext, c: Change, kind: PrincipalKind, field: 'role' | 'accountRole') {
  const role = c.fields.find((f) => f.field === field);
  if (!role) return;
  const res = await setAccountRole({
    kind,
    principalId: c.targetId!,
    role: role.to as AccountRole,
    operationKey: changeKey(c, 'role'),
  });
  if (res.changed)
    await waitForOperation(res.asyncOperationId, { kind, id: c.targetId!, until: 'ready' }, ctx.wait);
}

/** One namespace at a time: a grant never rewrites the principal's other grants. */
export async function setAccess(ctx: ApplyContext, c: Change, kind: PrincipalKind, principalId: string) {
  for (const f of c.fields.filter((x) => x.field.startsWith('access.'))) {
    const ns = f.field.slice('access.'.length);
    const namespaceId = ctx.nsIds[ns];
    if (!namespaceId)
      throw ApplicationFailure.create({
        type: FailureType.NotFound,
        message: `namespace ${ns} does not exist`,
        nonRetryable: true,
      });
    const res = await setNamespaceAccess({
      kind,
      principalId,
      namespaceId,
      permission: (f.to as 'read' | null) ?? null,
      operationKey: changeKey(c, f.field),
    });
    if (res.changed)
      await waitForOperation(res.asyncOperationId, { kind, id: principalId, until: 'ready' }, ctx.wait);
  }
  return undefined;
}
