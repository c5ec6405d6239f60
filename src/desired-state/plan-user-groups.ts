// The plan's user groups: created (cloud groups), their account role, custom roles, namespace access and members
// updated, or pruned. A SCIM or Google group comes from its identity provider: this file manages its access, never
// its members (a difference is noted), never creates nor deletes it.
import {
  creation,
  customRolesChange,
  customRolesField,
  grantsOf,
  planPrincipal,
  pruneOrLeave,
  type PlanContext,
} from './plan-context';
import type { AccountSnapshot, FieldChange } from './plan-types';
import type { UserGroupEntry } from './schema';

type Group = NonNullable<AccountSnapshot['userGroups']>[number];

const TYPE_BLOCKED =
  'a group’s type (cloud, scim or google) cannot change: a scim or google group comes from its identity provider';

export function planUserGroups(ctx: PlanContext): void {
  const byName = new Map(ctx.live.userGroups.map((g) => [g.name.toLowerCase(), g]));
  for (const want of ctx.desired.userGroups) {
    const have = byName.get(want.name.toLowerCase());
    if (want.type === 'cloud') unknownMembers(ctx, want);
    if (!have) {
      if (want.type !== 'cloud') {
        ctx.problems.push(
          `user group ${want.name}: a ${want.type} group comes from its identity provider; this file cannot create one (provision it there, or make it type: cloud)`,
        );
      } else ctx.changes.push(creation('userGroup', want.name, createFields(ctx, want)));
      continue;
    }
    if (have.type !== want.type) {
      ctx.changes.push({
        kind: 'userGroup',
        name: want.name,
        action: 'update',
        targetId: have.id,
        destructive: false,
        fields: [{ field: 'type', from: have.type, to: want.type }],
        blocked: TYPE_BLOCKED,
      });
      continue;
    }
    const role =
      want.accountRole !== undefined && have.role !== want.accountRole
        ? { field: 'accountRole', from: have.role, to: want.accountRole }
        : undefined;
    const roles = customRolesChange(ctx, have.customRoles, want.customRoles);
    planPrincipal(ctx, 'userGroup', want.name, have, want.access, [
      role,
      roles,
      ...memberChanges(ctx, want, have),
    ]);
  }
  pruneOrLeave(
    ctx,
    'userGroup',
    // The identity provider's groups are its own: never pruned from here.
    ctx.live.userGroups
      .filter((g) => g.type === 'cloud')
      .map((g) => ({ id: g.id, name: g.name, match: g.name.toLowerCase() })),
    new Set(ctx.desired.userGroups.map((g) => g.name.toLowerCase())),
    ctx.prune.userGroups,
    'not in the file, and prune.userGroups owns it',
  );
  for (const g of ctx.live.userGroups) {
    const listed = ctx.desired.userGroups.some((w) => w.name.toLowerCase() === g.name.toLowerCase());
    if (g.type !== 'cloud' && !listed) ctx.unmanaged.push({ kind: 'userGroup', name: g.name });
  }
}

function createFields(ctx: PlanContext, want: UserGroupEntry): FieldChange[] {
  return [
    ...(want.accountRole ? [{ field: 'accountRole', from: null, to: want.accountRole }] : []),
    ...customRolesField(ctx, want.customRoles),
    ...grantsOf(ctx, 'userGroup', want.name, want.access),
    ...(want.members ?? []).map((email) => ({ field: `members.${email}`, from: null, to: 'member' })),
  ];
}

/**
 * A cloud group's members as the file lists them: each one added or removed on its own. An identity provider's
 * group: a difference is noted, never changed. Unlisted (`members` absent): left as they are.
 */
function memberChanges(ctx: PlanContext, want: UserGroupEntry, have: Group): FieldChange[] {
  if (want.members === undefined) return [];
  const current = new Map(
    have.members.map((id) => {
      const email = ctx.emailById.get(id) ?? id;
      return [email.toLowerCase(), email];
    }),
  );
  const wanted = new Map(want.members.map((e) => [e.toLowerCase(), e]));
  const added = [...wanted].filter(([k]) => !current.has(k)).map(([, e]) => e);
  const removed = [...current].filter(([k]) => !wanted.has(k)).map(([, e]) => e);
  if (want.type !== 'cloud') {
    if (added.length + removed.length > 0) {
      const words = [
        added.length ? `lists ${added.join(', ')}, not in the group` : '',
        removed.length ? `does not list ${removed.join(', ')}, in the group` : '',
      ].filter(Boolean);
      ctx.notes.push(
        `user group ${want.name}: its members are the identity provider’s (${want.type}); the file ${words.join(' and ')} — change them there, this file never does`,
      );
    }
    return [];
  }
  return [
    ...added.map((email) => ({ field: `members.${email}`, from: null, to: 'member' })),
    ...removed.map((email) => ({ field: `members.${email}`, from: 'member', to: null })),
  ];
}

/** A member must be a user: of the account, or one this file invites. */
function unknownMembers(ctx: PlanContext, want: UserGroupEntry): void {
  const known = new Set([
    ...ctx.live.users.map((u) => u.email.toLowerCase()),
    ...ctx.desired.users.map((u) => u.email.toLowerCase()),
  ]);
  for (const email of want.members ?? []) {
    if (!known.has(email.toLowerCase()))
      ctx.problems.push(
        `user group ${want.name}: member ${email} is not a user of the account nor of this file (add it under users)`,
      );
  }
}
