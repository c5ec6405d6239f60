// The plan: what to change so the account matches the desired state. Pure: the account as read (an
// AccountSnapshot) and the file in, the changes out — no state file, the live account is the state.
import type { DesiredState } from './schema';
import type { AccountSnapshot, Plan, PlanOptions } from './plan-types';
import { newPlanContext } from './plan-context';
import { planNamespaces } from './plan-namespaces';
import { planServiceAccounts } from './plan-service-accounts';
import { planUsers } from './plan-users';
import { accessModelProblems, blockHeldRoleDeletions, planCustomRoles } from './plan-custom-roles';
import { planUserGroups } from './plan-user-groups';
import { fingerprintOf } from './plan-summary';

export { hasChanges, planSummary } from './plan-summary';
export type {
  AccountSnapshot,
  Action,
  Change,
  FieldChange,
  Plan,
  PlanOptions,
  ResourceKind,
} from './plan-types';

/**
 * The changes that make the account match the file: namespaces, custom roles, then service accounts (each followed
 * by its keys), users and user groups; within each, the file's order, then what the file's prune owns.
 */
export function computePlan(desired: DesiredState, account: AccountSnapshot, options: PlanOptions): Plan {
  const ctx = newPlanContext(desired, account, options);
  accessModelProblems(ctx);
  planNamespaces(ctx);
  // Where the API has neither, the problem above says so once: there is nothing of them to plan.
  if (options.accessModel) planCustomRoles(ctx);
  planServiceAccounts(ctx);
  planUsers(ctx);
  if (options.accessModel) {
    planUserGroups(ctx);
    blockHeldRoleDeletions(ctx);
  }
  const { changes, unchanged, unmanaged, problems, notes } = ctx;
  return { changes, unchanged, unmanaged, problems, notes, fingerprint: fingerprintOf(changes, problems) };
}
