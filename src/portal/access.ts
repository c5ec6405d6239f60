// Who may see a run in the portal: the rule of `/requests/<id>` (docs/portal.md#who-sees-what).
import { ANY_APPROVER, type Approval } from '../shared/approval';
import type { DeciderRules } from './decisions';

/** What a run says about who asked and who decides. */
export interface RunParties {
  /** The memo's requester (portal and events runs; starters that tag their runs). */
  requestedBy?: string;
  /** The approval requirement the run recorded in its input; absent when it records none. */
  approval?: Approval;
  /** The record could not be read (Temporal did not answer in time): only the memo's requester sees the run. */
  approvalUnread?: boolean;
}

const same = (a: string | undefined, b: string) => a !== undefined && a.trim().toLowerCase() === b;

export function mayView(rules: DeciderRules, user: string, run: RunParties): boolean {
  const who = user.trim().toLowerCase();
  if (same(run.requestedBy, who) || same(run.approval?.requestedBy, who)) return true;
  // Whom it is for (an access request's principal) sees it as its requester does.
  if (run.approval?.beneficiaries?.some((b) => same(b, who))) return true;
  if (run.approvalUnread) return false;
  return listed(run.approval ? run.approval.approvers : rules.approvers, who);
}

const listed = (approvers: DeciderRules['approvers'], who: string) =>
  approvers === ANY_APPROVER || approvers.some((a) => same(a, who));

/** One of PORTAL_APPROVERS: sees what concerns the whole account (every expiring key and certificate). */
export const isApprover = (rules: DeciderRules, user: string): boolean =>
  listed(rules.approvers, user.trim().toLowerCase());
