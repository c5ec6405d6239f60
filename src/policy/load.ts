// Reading the approval policy: a YAML or JSON file (APPROVAL_POLICY_FILE) or the same inline (APPROVAL_POLICY);
// neither given means the built-in defaults. Every problem is reported with its field, as a configuration error.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config';
import { ANY_APPROVER } from '../shared/approval';
import { validate, formatProblems } from '../shared/validation';
import { policySchema, resolvePolicy, type ApprovalPolicy } from './policy';

export * from './policy';

type Env = Record<string, string | undefined>;

/**
 * The policy from `env`, with `fallbackApprovers` (PORTAL_APPROVERS, or the service's default) wherever the policy
 * names no approvers. Throws ConfigError naming the variable and the field.
 */
export function loadApprovalPolicy(
  env: Env,
  fallbackApprovers: readonly string[] | typeof ANY_APPROVER,
): ApprovalPolicy {
  const file = env.APPROVAL_POLICY_FILE;
  const inline = env.APPROVAL_POLICY;
  if (file && inline) {
    throw new ConfigError('give APPROVAL_POLICY_FILE or APPROVAL_POLICY, not both');
  }
  const source = file ? 'APPROVAL_POLICY_FILE' : 'APPROVAL_POLICY';
  let text: string | undefined = inline;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `APPROVAL_POLICY_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  let doc: unknown = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      doc = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`${source}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const checked = validate(policySchema, doc);
  if (!checked.ok) throw new ConfigError(`${source}: ${formatProblems(checked.problems)}`);
  return resolvePolicy(checked.value, fallbackApprovers);
}

/** PORTAL_APPROVERS as a list (or '*'); undefined when unset. */
export function approversFromEnv(env: Env): readonly string[] | typeof ANY_APPROVER | undefined {
  const list = env.PORTAL_APPROVERS?.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!list?.length) return undefined;
  return list.includes(ANY_APPROVER) ? ANY_APPROVER : list;
}

/** A stable text of the resolved policy: replicas compare it (src/service/shared-settings.ts). */
export function policyFingerprintText(policy: ApprovalPolicy): string {
  return JSON.stringify(policy);
}
