// The account scenario's sizes and phases: what the flags set (bench/cli.ts) and the scenario runs
// (bench/account.ts). No imports, so the flags never depend on the scenario's code.

export interface AccountSizes {
  namespaces: number;
  users: number;
  serviceAccounts: number;
  /** Every API key: the offboarded users' (OFFBOARD_KEYS each), the rest the service accounts'. */
  keys: number;
  /** Service-account keys that expire within the sweep's lead time. */
  due: number;
  /** Users offboarded at once (the first `offboard` users). */
  offboard: number;
}

export type AccountPhase = 'export' | 'plan' | 'apply' | 'sweep' | 'offboard';
export const ACCOUNT_PHASES: readonly AccountPhase[] = ['export', 'plan', 'apply', 'sweep', 'offboard'];

/** Keys each offboarded user owns (their own, deleted with them). */
export const OFFBOARD_KEYS = 2;

export function serviceAccountKeys(sizes: AccountSizes): number {
  return Math.max(0, sizes.keys - sizes.offboard * OFFBOARD_KEYS);
}

/** Checks the sizes fit together (a clear message, before anything starts). */
export function accountSizeProblems(sizes: AccountSizes): string[] {
  const problems: string[] = [];
  if (sizes.offboard > sizes.users)
    problems.push(`--offboard (${sizes.offboard}) exceeds --users (${sizes.users})`);
  if (sizes.due > serviceAccountKeys(sizes))
    problems.push(`--due (${sizes.due}) exceeds the service accounts' keys (${serviceAccountKeys(sizes)})`);
  if (sizes.serviceAccounts < 1 && serviceAccountKeys(sizes) > 0)
    problems.push('--service-accounts must be at least 1 when there are service-account keys');
  return problems;
}
