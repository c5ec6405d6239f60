// An offboarded user leaves every group they are in, one RemoveUserGroupMember each under this run's own
// operation id (a retry after a lost answer changes nothing twice; a member already gone is done). SCIM and
// Google groups are the identity provider's: reported, never changed. The given document has no groups: the
// report says so.
import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GroupMembership, NamedRole } from '../activities/user-groups';
import { DEFAULT_ASYNC_WAIT, opsApiCall, opsApiPaging } from '../shared/activity-options';
import { describeError, operationKey, waitForOperation } from './common';

const { userAccessModel } = proxyActivities<Activities>(opsApiPaging);
const { leaveUserGroup } = proxyActivities<Activities>(opsApiCall);

export const IDENTITY_PROVIDER_NOTE = 'membership owned by the identity provider: remove them there';
export const GROUPS_NOT_OFFERED =
  'user groups and custom roles are not offered by this API (the given document has none): none were looked at';

/** The groups and custom roles an offboarding found the user with. */
export interface GroupsPlan {
  offered: boolean;
  groups: GroupMembership[];
  customRoles: NamedRole[];
}

/** What became of one membership. */
export interface GroupOutcome {
  groupId: string;
  displayName: string;
  outcome: 'removed' | 'already-gone' | 'identity-provider' | 'failed';
  note?: string;
}

/** The report's section: every group and custom role the user had, and what this run did with each group. */
export interface GroupsReport {
  offered: boolean;
  note?: string;
  groups: Array<GroupMembership & Partial<Pick<GroupOutcome, 'outcome' | 'note'>>>;
  customRoles: NamedRole[];
}

export async function planGroups(userId: string): Promise<GroupsPlan> {
  const model = await userAccessModel({ userId });
  return { offered: model.supported, groups: model.groups, customRoles: model.customRoles };
}

/**
 * Every cloud group left (waiting for each operation); the identity provider's groups reported. A group that cannot
 * be left is recorded as failed and the others are still tried: what was done is never lost with one failure.
 */
export async function leaveGroups(plan: GroupsPlan, userId: string): Promise<GroupOutcome[]> {
  const outcomes: GroupOutcome[] = [];
  for (const group of plan.groups) {
    const { id: groupId, displayName } = group;
    if (group.groupType !== 'cloud') {
      outcomes.push({ groupId, displayName, outcome: 'identity-provider', note: IDENTITY_PROVIDER_NOTE });
      continue;
    }
    try {
      const left = await leaveUserGroup({
        groupId,
        userId,
        operationKey: operationKey(`leave-group/${groupId}`),
      });
      if (left.asyncOperationId) await waitForOperation(left.asyncOperationId, undefined, DEFAULT_ASYNC_WAIT);
      outcomes.push({ groupId, displayName, outcome: left.outcome });
    } catch (err) {
      if (isCancellation(err)) throw err;
      outcomes.push({ groupId, displayName, outcome: 'failed', note: describeError(err) });
    }
  }
  return outcomes;
}

export function groupsReport(plan: GroupsPlan | undefined, outcomes: GroupOutcome[]): GroupsReport {
  if (!plan?.offered) return { offered: false, note: GROUPS_NOT_OFFERED, groups: [], customRoles: [] };
  return {
    offered: true,
    groups: plan.groups.map((g) => {
      const done = outcomes.find((o) => o.groupId === g.id);
      return done ? { ...g, outcome: done.outcome, ...(done.note ? { note: done.note } : {}) } : g;
    }),
    customRoles: plan.customRoles,
  };
}
