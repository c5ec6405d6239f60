// The starters ask the same approval policy as the front door (APPROVAL_POLICY_FILE / APPROVAL_POLICY, approvers
// defaulting to PORTAL_APPROVERS or anyone but the requester) and put its answer into the workflow's input, so a run
// started from a terminal waits for the same approvers and refuses its requester's own decision just the same.
import { requestFacts } from '../catalog';
import { approversFromEnv, loadApprovalPolicy, type ApprovalPolicy } from '../policy/load';
import { requiredApproval } from '../policy/policy';
import { ANY_APPROVER, type Approval } from '../shared/approval';

type Env = Record<string, string | undefined>;

export function starterPolicy(env: Env): ApprovalPolicy {
  return loadApprovalPolicy(env, approversFromEnv(env) ?? ANY_APPROVER);
}

/** Who a terminal's request is from: the flag, else the login name. */
export function requesterOf(given: string | undefined, env: Env): string {
  return given || env.USER || env.LOGNAME || 'cli';
}

/** The policy's answer for a workflow's input started from a terminal; undefined for workflows it does not cover. */
export function cliApproval(
  policy: ApprovalPolicy,
  workflowType: string,
  input: Record<string, unknown>,
  requestedBy: string,
): Approval | undefined {
  const facts = requestFacts(policy, workflowType, input);
  return facts && requiredApproval(policy, facts, { requestedBy, source: 'cli' });
}
