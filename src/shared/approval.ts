// What a run is told at start about who may decide on it: filled in by the front door (portal, signed events) and
// the starters from the approval policy (src/policy/), never by the request itself. Workflow-safe: the workflows
// validate it with their input and enforce it in src/workflows/approvals.ts.
import { z } from 'zod';

/** Everyone signed in may decide (but never the requester). */
export const ANY_APPROVER = '*';

const who = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(254, { error: 'must be at most 254 characters' });

export const approvalRequirement = z.strictObject({
  /** Who asked: never decides on this run. */
  requestedBy: who,
  /** Who may decide (lower-cased), or '*' for anyone named but the requester; [] means nobody. */
  approvers: z.union([z.literal(ANY_APPROVER), z.array(who).max(500)]),
  /** Whether the run waits for an approval before its destructive step. */
  required: z.boolean(),
  /** Why, in the policy's words (shown in the run's status and the portal). */
  reasons: z.array(z.string().max(300)).max(20).default([]),
  /**
   * Whom the request benefits besides its requester (the person an access request is for): like the requester,
   * they never approve it, and may call it off.
   */
  beneficiaries: z.array(who).max(20).optional(),
});
export type ApprovalRequirement = z.input<typeof approvalRequirement>;
export type Approval = z.output<typeof approvalRequirement>;

/**
 * Why `by` may not decide on a run with this requirement, or undefined when they may. A `withdrawal` (reject, abort:
 * nothing is changed, or a change is undone) may also come from the requester, who may call off their own request;
 * going ahead never may.
 */
export function deciderRefusal(
  approval: Approval,
  by: string | undefined,
  withdrawal = false,
): string | undefined {
  const who = by?.trim().toLowerCase();
  if (!who) return 'a decision must name who decides';
  const requester = who === approval.requestedBy.trim().toLowerCase();
  const beneficiary = approval.beneficiaries?.some((b) => b.trim().toLowerCase() === who) === true;
  if ((requester || beneficiary) && withdrawal) return undefined;
  if (requester) {
    return `${who} requested this and cannot decide on it: another approver has to`;
  }
  if (beneficiary) return `${who} is who this request is for and cannot approve it: another approver has to`;
  if (approval.approvers !== ANY_APPROVER && !approval.approvers.some((a) => a.toLowerCase() === who)) {
    return approval.approvers.length
      ? `${who} is not among the approvers the policy allows for this request`
      : 'the policy allows no approver for this request';
  }
  return undefined;
}
