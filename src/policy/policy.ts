// The approval policy: which requests wait for an approver, and who may approve them, in one place. The front door
// (portal, signed events) and the starters ask it for every request and put its answer (requester, approvers,
// whether to wait, why) into the workflow's input; the run enforces that answer itself (src/workflows/approvals.ts).
// Nothing a request says can lower it. Pure code: loading from a file or the environment is ./load.ts.
import { z } from 'zod';
import { ANY_APPROVER, type Approval } from '../shared/approval';
import { parseDurationMs } from '../shared/validation';

/** The kinds of request the policy speaks about, with what each needs unless configured otherwise. */
export const POLICY_KINDS = {
  offboarding: { required: true, what: 'offboarding a user' },
  decommission: { required: true, what: 'decommissioning a namespace' },
  'key-deletion': { required: true, what: 'a rotation that deletes the old key after a short grace period' },
  'ca-removal': {
    required: true,
    what: 'an mTLS CA rotation that removes the old CA after a short grace period',
  },
  'destructive-apply': { required: true, what: 'an apply with destructive changes' },
  'codec-credentials': {
    required: true,
    what: "a new namespace whose codec server gets the user's access token or cross-origin credentials",
  },
  namespace: { required: false, what: 'a new namespace' },
  rotation: { required: false, what: "a key rotation's cut-over" },
  'temporary-access': { required: true, what: 'temporary access to a namespace' },
  'ca-rotation': { required: false, what: "an mTLS CA rotation's cut-over" },
} as const;
export type PolicyKind = keyof typeof POLICY_KINDS;
export const POLICY_KIND_NAMES = Object.keys(POLICY_KINDS) as PolicyKind[];

/** The only request sources that may be trusted to need no approval (explicitly, in `trustedSources`). */
export const TRUSTABLE_SOURCES = ['events'] as const;
export type RequestSource = 'portal' | 'events' | 'cli';

const person = z.string().trim().min(1, { error: 'must not be empty' }).max(254).toLowerCase();
const approverList = z.union([z.literal(ANY_APPROVER), z.array(person).max(500)], {
  error: 'must be "*" or a list of approvers (emails as people sign in)',
});
const approvalMode = z.enum(['required', 'none'], { error: 'must be required or none' });
const rule = z.strictObject({ approval: approvalMode.optional(), approvers: approverList.optional() });

export const policySchema = z.strictObject({
  /** Who may approve where a rule names nobody; default PORTAL_APPROVERS (or the service's default). */
  approvers: approverList.optional(),
  kinds: z.strictObject(Object.fromEntries(POLICY_KIND_NAMES.map((k) => [k, rule.optional()]))).optional(),
  /** A rotation whose grace period is shorter than this needs an approval to delete the old key (or CA). */
  minGracePeriod: z
    .string()
    .refine((d) => parseDurationMs(d) !== undefined, { error: 'must be a duration such as 24h or 7d' })
    .default('24h'),
  /** Codec servers that may get credentials without an approval: https URL prefixes. */
  codecEndpoints: z.array(z.url({ protocol: /^https$/, error: 'must be an https:// URL' })).default([]),
  /** Per namespace name pattern (`*` matches anything): who approves, and whether every request waits. */
  namespaces: z
    .array(z.strictObject({ pattern: z.string().min(1).max(100), ...rule.shape }))
    .max(100)
    .default([]),
  /**
   * Who approves temporary access to the namespaces matching a pattern (their owners), first match wins: in place
   * of `kinds.temporary-access.approvers` (or `approvers`) for those namespaces. The `namespaces` rules still apply.
   */
  accessApprovers: z
    .array(
      z.strictObject({
        pattern: z.string().min(1, { error: 'must not be empty' }).max(100),
        approvers: approverList,
      }),
    )
    .max(100)
    .default([]),
  /** Sources whose requests need no approval: only ever said explicitly. */
  trustedSources: z
    .array(z.enum(TRUSTABLE_SOURCES, { error: `must be one of ${TRUSTABLE_SOURCES.join(', ')}` }))
    .default([]),
});
export type PolicyDocument = z.input<typeof policySchema>;

export interface ApprovalPolicy {
  approvers: readonly string[] | typeof ANY_APPROVER;
  kinds: Record<PolicyKind, { required: boolean; approvers?: readonly string[] | typeof ANY_APPROVER }>;
  minGracePeriod: string;
  codecEndpoints: string[];
  namespaces: Array<{
    pattern: string;
    required?: boolean;
    approvers?: readonly string[] | typeof ANY_APPROVER;
  }>;
  accessApprovers: Array<{ pattern: string; approvers: readonly string[] | typeof ANY_APPROVER }>;
  trustedSources: string[];
}

/** The policy with every default filled in; `fallbackApprovers` when the document names none. */
export function resolvePolicy(
  doc: z.output<typeof policySchema>,
  fallbackApprovers: readonly string[] | typeof ANY_APPROVER,
): ApprovalPolicy {
  const kinds = Object.fromEntries(
    POLICY_KIND_NAMES.map((k) => {
      const r = doc.kinds?.[k];
      const required = r?.approval ? r.approval === 'required' : POLICY_KINDS[k].required;
      return [k, { required, ...(r?.approvers ? { approvers: r.approvers } : {}) }];
    }),
  ) as ApprovalPolicy['kinds'];
  return {
    approvers: doc.approvers ?? fallbackApprovers,
    kinds,
    minGracePeriod: doc.minGracePeriod,
    codecEndpoints: doc.codecEndpoints,
    namespaces: doc.namespaces.map(({ pattern, approval, approvers }) => ({
      pattern,
      ...(approval ? { required: approval === 'required' } : {}),
      ...(approvers ? { approvers } : {}),
    })),
    accessApprovers: doc.accessApprovers,
    trustedSources: doc.trustedSources,
  };
}

/** The built-in defaults, with these approvers. */
export const defaultPolicy = (approvers: readonly string[] | typeof ANY_APPROVER): ApprovalPolicy =>
  resolvePolicy(policySchema.parse({}), approvers);

/** What a request is, in the policy's terms. */
export interface RequestFacts {
  /** Every kind the request falls under (e.g. a namespace with a token-passing codec: namespace, codec-credentials). */
  kinds: PolicyKind[];
  /** The namespaces it names, for the per-pattern rules. */
  namespaces: string[];
  /** A word on what triggered a kind, for the reason (e.g. the codec endpoint). */
  detail?: Partial<Record<PolicyKind, string>>;
  /** Whom it is for besides the requester (an access request's user): they never approve it either. */
  beneficiaries?: string[];
}

/** An https endpoint under one of the allow-listed prefixes (same origin, path within). */
export function allowListed(list: readonly string[], endpoint: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  return list.some((entry) => {
    const allowed = new URL(entry);
    const base = allowed.pathname.endsWith('/') ? allowed.pathname : `${allowed.pathname}/`;
    return (
      url.origin === allowed.origin && (url.pathname === allowed.pathname || url.pathname.startsWith(base))
    );
  });
}

/** `prod-*` → matches `prod-payments`. */
export function patternMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${re}$`).test(name);
}

type Approvers = readonly string[] | typeof ANY_APPROVER;
const intersect = (a: Approvers, b: Approvers): Approvers =>
  a === ANY_APPROVER ? b : b === ANY_APPROVER ? a : a.filter((x) => b.includes(x));

/** The approvers of one kind for these namespaces: temporary access goes to the first matching access rule's. */
function kindApprovers(policy: ApprovalPolicy, kind: PolicyKind, namespaces: readonly string[]): Approvers {
  const fallback = policy.kinds[kind].approvers ?? policy.approvers;
  if (kind !== 'temporary-access' || namespaces.length === 0) return fallback;
  let approvers: Approvers = ANY_APPROVER;
  for (const name of namespaces) {
    const rule = policy.accessApprovers.find((r) => patternMatches(r.pattern, name));
    approvers = intersect(approvers, rule ? rule.approvers : fallback);
  }
  return approvers;
}

/** Why each kind waits, in words for the run's status and the portal. */
export function kindReason(policy: ApprovalPolicy, kind: PolicyKind, detail?: string): string {
  if (kind === 'key-deletion') {
    return `deleting the old key after a grace period under ${policy.minGracePeriod} needs an approval`;
  }
  if (kind === 'ca-removal') {
    return `removing the old CA after a grace period under ${policy.minGracePeriod} needs an approval`;
  }
  if (kind === 'codec-credentials') {
    return `${POLICY_KINDS[kind].what}${detail ? ` (${detail})` : ''} needs an approval unless its endpoint is allow-listed`;
  }
  return `${POLICY_KINDS[kind].what} needs an approval`;
}

/**
 * The policy's answer for one request: whether it waits for an approval, why, and who may give it (intersection of
 * every rule that applies, so each rule's approvers agree). The requester is recorded and never decides.
 */
export function requiredApproval(
  policy: ApprovalPolicy,
  facts: RequestFacts,
  requester: { requestedBy: string; source: RequestSource },
): Approval {
  const reasons: string[] = [];
  const requiredKinds = facts.kinds.filter((k) => policy.kinds[k].required);
  for (const k of requiredKinds) reasons.push(kindReason(policy, k, facts.detail?.[k]));
  // The rules of the kinds that make it wait decide who approves (a kind's own list replaces the default one);
  // without any, those of every kind it falls under.
  const deciding = requiredKinds.length ? requiredKinds : facts.kinds;
  let approvers: Approvers = deciding.length ? ANY_APPROVER : policy.approvers;
  for (const k of deciding) approvers = intersect(approvers, kindApprovers(policy, k, facts.namespaces));
  for (const name of facts.namespaces) {
    const rule = policy.namespaces.find((r) => patternMatches(r.pattern, name));
    if (!rule) continue;
    if (rule.required && facts.kinds.length)
      reasons.push(`namespaces matching ${rule.pattern} need an approval`);
    if (rule.approvers) approvers = intersect(approvers, rule.approvers);
  }
  const trusted = policy.trustedSources.includes(requester.source);
  return {
    requestedBy: requester.requestedBy,
    approvers: approvers === ANY_APPROVER ? ANY_APPROVER : [...approvers],
    required: reasons.length > 0 && !trusted,
    reasons: trusted && reasons.length ? [`${requester.source} is a trusted source: no approval`] : reasons,
    ...(facts.beneficiaries?.length ? { beneficiaries: facts.beneficiaries } : {}),
  };
}

/** Who may decide, in words for the forms. */
const whoOf = (approvers: Approvers) =>
  approvers === ANY_APPROVER
    ? 'anyone signed in but you'
    : approvers.length
      ? `one of ${approvers.join(', ')} (not you)`
      : 'nobody yet (no approver is configured)';

/** What the policy asks of a kind of request, in a sentence for the forms (before anything is submitted). */
export function describeKinds(policy: ApprovalPolicy, kinds: PolicyKind[]): string[] {
  return kinds.map((k) => {
    let who = whoOf(policy.kinds[k].approvers ?? policy.approvers);
    if (k === 'temporary-access' && policy.accessApprovers.length) {
      const rules = policy.accessApprovers.map((r) => `for ${r.pattern}, ${whoOf(r.approvers)}`);
      who = [...rules, `otherwise ${who}`].join('; ');
    }
    return policy.kinds[k].required
      ? `${kindReason(policy, k)}: ${who} must approve it.`
      : `${POLICY_KINDS[k].what[0]!.toUpperCase()}${POLICY_KINDS[k].what.slice(1)} needs no approval; decisions on it are for ${who}.`;
  });
}
