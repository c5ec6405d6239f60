// Input schemas shared by workflows (which validate before touching the Ops API), starters and the
// events endpoint. Pure code: safe inside the workflow sandbox.
import { z } from 'zod';
import { approvalRequirement } from './approval';

// One wording for type errors everywhere: "is required" or "must be a <type>".
z.config({
  customError: (issue) => {
    if (issue.code !== 'invalid_type') return undefined;
    return issue.input === undefined ? 'is required' : `must be a ${issue.expected}`;
  },
});

export interface InputProblem {
  /** Dot path of the offending field, e.g. `apiKey.expiryDays`; empty for the whole input. */
  field: string;
  message: string;
}

export const NAMESPACE_NAME_RULE =
  '2–39 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen';
export const namespaceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,37}[a-z0-9]$/, { error: `must be ${NAMESPACE_NAME_RULE}` });

export const MAX_API_KEY_EXPIRY_DAYS = 730;

export const codecServer = z.strictObject({
  endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
  passAccessToken: z.boolean().optional(),
  includeCrossOriginCredentials: z.boolean().optional(),
});

/** A CA bundle as the API carries it: base64 of the PEM text. */
const base64Pem = z
  .string()
  .min(1, { error: 'must not be empty' })
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, { error: 'must be base64-encoded PEM' });

export const mtlsAuth = z.strictObject({
  acceptedClientCa: base64Pem,
  certificateFilters: z
    .array(
      z.strictObject({
        commonName: z.string().optional(),
        organization: z.string().optional(),
        organizationalUnit: z.string().optional(),
        subjectAlternativeName: z.string().optional(),
      }),
    )
    .optional(),
});

export const retentionDays = z
  .number()
  .int({ error: 'must be a whole number of days' })
  .min(1, { error: 'must be at least 1' })
  .max(90, { error: 'must be at most 90' });

export const expiryDays = z
  .number()
  .int({ error: 'must be a whole number of days' })
  .min(1, { error: 'must be at least 1' })
  .max(MAX_API_KEY_EXPIRY_DAYS, { error: `must be at most ${MAX_API_KEY_EXPIRY_DAYS}` });

export const displayName = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(128, { error: 'must be at most 128 characters' });

/** The account roles a service account may be given (the Terraform provider's: admin, developer, read). */
export const SERVICE_ACCOUNT_ROLES = ['admin', 'developer', 'read'] as const;
export const serviceAccountRole = z.enum(SERVICE_ACCOUNT_ROLES, {
  error: `must be one of ${SERVICE_ACCOUNT_ROLES.join(', ')}`,
});

export const provisionNamespaceInput = z
  .strictObject({
    name: namespaceName,
    region: z.string().min(1, { error: 'must not be empty' }),
    retentionDays,
    codecServer: codecServer.optional(),
    mtlsAuth: mtlsAuth.optional(),
    serviceAccount: z
      .strictObject({
        name: z
          .string()
          .min(1, { error: 'must not be empty' })
          .max(64, { error: 'must be at most 64 characters' })
          .optional(),
        permission: z
          .enum(['admin', 'write', 'read'], { error: 'must be one of admin, write, read' })
          .default('write'),
        /**
         * `namespace`: an account scoped to this namespace alone (the default where the API has them);
         * `account`: an account-wide one, with `accountRole`. Giving `accountRole` alone means `account`.
         */
        scope: z.enum(['namespace', 'account'], { error: 'must be namespace or account' }).optional(),
        /** The account-wide account's role (default read where the API requires one). */
        accountRole: serviceAccountRole.optional(),
      })
      .refine((sa) => sa.scope !== 'namespace' || sa.accountRole === undefined, {
        error: 'a namespace-scoped service account has no account role: leave it out, or give scope account',
        path: ['accountRole'],
      })
      .optional(),
    apiKey: z
      .strictObject({
        displayName: displayName.optional(),
        expiryDays: expiryDays.default(90),
      })
      .optional(),
    keepOnFailure: z.boolean().default(false),
    /** Set by the front door or starter from the approval policy; the request never sets it. */
    approval: approvalRequirement.optional(),
    wait: z
      .strictObject({
        timeoutMinutes: z
          .number()
          .positive()
          .max(7 * 24 * 60)
          .optional(),
        minPollSeconds: z.number().positive().max(3600).optional(),
        maxPollSeconds: z.number().positive().max(3600).optional(),
        /** How long the new namespace may read NOT_FOUND / PERMISSION_DENIED once created (default 2). */
        readAfterCreateMinutes: z.number().positive().max(60).optional(),
      })
      .optional(),
  })
  .refine((v) => v.apiKey === undefined || v.serviceAccount !== undefined, {
    error: 'an API key needs a service account to own it: give serviceAccount too',
    path: ['apiKey'],
  });
export type ProvisionNamespaceInput = z.input<typeof provisionNamespaceInput>;
export type ProvisionNamespaceRequest = z.output<typeof provisionNamespaceInput>;

export const updateNamespaceInput = z
  .strictObject({
    name: namespaceName,
    retentionDays: retentionDays.optional(),
    codecServer: codecServer.nullable().optional(),
    mtlsAuth: mtlsAuth.nullable().optional(),
    /** Switch connecting with API keys on or off. */
    apiKeyAuth: z.boolean().optional(),
    maxConflictRetries: z.number().int().min(0).max(20).default(5),
  })
  .refine(
    (v) =>
      v.retentionDays !== undefined ||
      v.codecServer !== undefined ||
      v.mtlsAuth !== undefined ||
      v.apiKeyAuth !== undefined,
    { error: 'nothing to update: give retentionDays, codecServer, mtlsAuth or apiKeyAuth' },
  );
export type UpdateNamespaceInput = z.input<typeof updateNamespaceInput>;
export type UpdateNamespaceRequest = z.output<typeof updateNamespaceInput>;

export const decommissionNamespaceInput = z.strictObject({
  name: namespaceName,
  /**
   * Delete the API keys of the account-wide service accounts that have access to this namespace first (those of
   * namespace-scoped accounts go with their namespace in any case).
   */
  deleteServiceAccountKeys: z.boolean().default(false),
  /** Also delete those service accounts when this namespace is the only one they can reach. */
  deleteServiceAccounts: z.boolean().default(false),
  /** Set by the front door or starter from the approval policy; the request never sets it. */
  approval: approvalRequirement.optional(),
});
export type DecommissionNamespaceInput = z.input<typeof decommissionNamespaceInput>;
export type DecommissionNamespaceRequest = z.output<typeof decommissionNamespaceInput>;

/** Whether a namespace is there now (asked before a finished provisioning is reported again). */
export const namespaceExistsInput = z.strictObject({ name: namespaceName });
export type NamespaceExistsInput = z.input<typeof namespaceExistsInput>;

/** Every problem of an input, each naming its field; never stops at the first. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.output<S> } | { ok: false; problems: InputProblem[] } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      field: issue.path.map(String).join('.'),
      message: describeIssue(issue),
    })),
  };
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  // A record's key: what is wrong with it, not zod's "Invalid key in record".
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

export function formatProblems(problems: InputProblem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
}

// ---------------------------------------------------------------- API key rotation and offboarding

const DURATION_UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `7d`, `36h`, `1d12h`, `90s`, `0` → milliseconds; undefined for anything else. Workflow-safe. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(t)) return undefined;
  let total = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(n) * DURATION_UNIT_MS[unit!]!;
  return total;
}

export const duration = (maxMs: number, maxLabel: string) =>
  z
    .string()
    .refine((s) => parseDurationMs(s) !== undefined, {
      error: 'must be a duration such as 7d, 12h, 30m, 1d12h or 0',
    })
    .refine((s) => (parseDurationMs(s) ?? 0) <= maxMs, { error: `must be at most ${maxLabel}` });

/**
 * An Ops API id (user, service account, API key): letters and digits, with `-`, `_` or `.` inside. Anything else
 * (a dot segment, `/`, control or bidirectional-override characters) would change the API path it is put in or
 * hide in a workflow id.
 */
export const RESOURCE_ID_RULE = 'letters, digits, and - _ . between them (at most 200 characters)';
export const resourceId = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' })
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/, { error: `must be ${RESOURCE_ID_RULE}` });
const ownerType = z.enum(['user', 'service-account'], { error: 'must be one of user, service-account' });
export const concurrency = (fallback: number) =>
  z
    .number()
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(50, { error: 'must be at most 50' })
    .default(fallback);

export const MAX_GRACE_PERIOD = '30d';

export const rotateApiKeyInput = z
  .strictObject({
    /** The key to rotate. */
    keyId: resourceId.optional(),
    /** Or an owner: its newest active key is rotated (an owner without one is refused). */
    ownerId: resourceId.optional(),
    ownerType: ownerType.optional(),
    /** Lifetime of the replacement key. */
    expiryDays: expiryDays.default(90),
    /** How long both keys stay valid so consumers can switch; `confirmCutover` ends it early. */
    gracePeriod: duration(30 * 86_400_000, MAX_GRACE_PERIOD).default('7d'),
    deleteOldKey: z.boolean().default(true),
    /** Set by the front door or starter from the approval policy; the request never sets it. */
    approval: approvalRequirement.optional(),
  })
  .refine((v) => v.keyId !== undefined || v.ownerId !== undefined, {
    error: 'give keyId, or ownerId with ownerType',
  })
  .refine((v) => (v.ownerId === undefined) === (v.ownerType === undefined), {
    error: 'ownerId and ownerType go together',
    path: ['ownerType'],
  });
export type RotateApiKeyInput = z.input<typeof rotateApiKeyInput>;
export type RotateApiKeyRequest = z.output<typeof rotateApiKeyInput>;

export const rotateExpiringKeysInput = z
  .strictObject({
    /** Rotate keys that expire within this many days (already expired ones included). */
    leadDays: z
      .number()
      .int({ error: 'must be a whole number of days' })
      .min(0, { error: 'must be at least 0' })
      .max(365, { error: 'must be at most 365' })
      .default(14),
    /** Also rotate keys created more than this many days ago. */
    maxAgeDays: z
      .number()
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be at least 1' })
      .max(3650, { error: 'must be at most 3650' })
      .optional(),
    /** Only keys of this owner type. */
    ownerType: ownerType.optional(),
    /** Only keys of these service accounts (by name); the expiry watch's `rotateServiceAccounts`. */
    serviceAccounts: z
      .array(z.string().min(1, { error: 'must not be empty' }))
      .max(1000)
      .optional(),
    /** Lifetime of each replacement key. */
    expiryDays: expiryDays.default(90),
    /** Grace period of each rotation; sweeps default to none (consumers read the new token from the sink). */
    gracePeriod: duration(30 * 86_400_000, MAX_GRACE_PERIOD).default('0'),
    /** Rotations running at once. */
    concurrency: concurrency(5),
    /** Select only, rotate nothing. */
    dryRun: z.boolean().default(false),
    /** Ops API page size of the key listing. */
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** Candidates selected per batch (one activity call); batches are rotated one after another. */
    batchSize: z.number().int().min(1).max(1000).default(50),
    /** Batches per workflow run before continuing as new, which keeps each run's history bounded. */
    batchesPerRun: z.number().int().min(1).max(100).default(10),
    /** Per-key detail kept in the result for rotated and for failed keys (counts are always complete). */
    maxDetails: z.number().int().min(0).max(1000).default(100),
  })
  .refine((v) => v.expiryDays > v.leadDays, {
    error: 'must be greater than leadDays, or every replacement key would itself be due',
    path: ['expiryDays'],
  })
  .refine((v) => !v.serviceAccounts || v.ownerType !== 'user', {
    error: 'names service accounts: it cannot go with ownerType user',
    path: ['serviceAccounts'],
  });
export type RotateExpiringKeysInput = z.input<typeof rotateExpiringKeysInput>;
export type RotateExpiringKeysRequest = z.output<typeof rotateExpiringKeysInput>;

export const offboardUserInput = z
  .strictObject({
    email: z.email({ error: 'must be an email address' }).optional(),
    userId: resourceId.optional(),
    /** Return the plan and change nothing. */
    dryRun: z.boolean().default(false),
    /**
     * Wait for an `approve` signal (or `reject`) before changing anything, even where the policy would not ask for
     * one. It can only add a wait: whether the policy demands one is in `approval`.
     */
    requireApproval: z.boolean().default(false),
    approvalTimeout: duration(30 * 86_400_000, '30d').default('24h'),
    /** False: revoke the user's API keys and keep the user. */
    deleteUser: z.boolean().default(true),
    /** Key deletions running at once. */
    concurrency: concurrency(10),
    /** Set by the front door or starter from the approval policy; the request never sets it. */
    approval: approvalRequirement.optional(),
  })
  .refine((v) => (v.email === undefined) !== (v.userId === undefined), {
    error: 'give exactly one of email or userId',
  });
export type OffboardUserInput = z.input<typeof offboardUserInput>;
export type OffboardUserRequest = z.output<typeof offboardUserInput>;

// ---------------------------------------------------------------- mTLS CA rotation

/** A certificate's SHA-256 fingerprint: 32 bytes in hex, with or without colons, any case. */
const FINGERPRINT = /^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/;
/** The fingerprint as `openssl x509 -fingerprint -sha256` (and node:crypto) prints it: AB:CD:…, upper case. */
export const normalFingerprint = (fp: string): string =>
  fp
    .replace(/:/g, '')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');

export const rotateNamespaceCaInput = z.strictObject({
  namespace: namespaceName,
  /** The new CA certificate(s): base64 of their PEM, as the API carries a bundle (at most 32 KB of PEM). */
  newCa: base64Pem.max(44_000, { error: 'must be at most 32 KB of PEM' }),
  /** How long old and new CAs are both accepted so clients can move; `confirmCutover` ends it early. */
  gracePeriod: duration(30 * 86_400_000, MAX_GRACE_PERIOD).default('7d'),
  /** The CAs removed at the cut-over, by SHA-256 fingerprint; default every CA the bundle had at the start. */
  replace: z
    .array(z.string().regex(FINGERPRINT, { error: 'must be a SHA-256 fingerprint (64 hex digits)' }))
    .min(1, { error: 'must name at least one CA, or be left out' })
    .max(16, { error: 'must name at most 16 CAs' })
    .transform((fps) => [...new Set(fps.map(normalFingerprint))])
    .optional(),
  /** Set by the front door or starter from the approval policy; the request never sets it. */
  approval: approvalRequirement.optional(),
});
export type RotateNamespaceCaInput = z.input<typeof rotateNamespaceCaInput>;
export type RotateNamespaceCaRequest = z.output<typeof rotateNamespaceCaInput>;
