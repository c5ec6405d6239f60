// Input schemas shared by workflows (which validate before touching the Ops API), starters and the
// events endpoint. Pure code: safe inside the workflow sandbox.
import { z } from 'zod';

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
const namespaceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,37}[a-z0-9]$/, { error: `must be ${NAMESPACE_NAME_RULE}` });

export const MAX_API_KEY_EXPIRY_DAYS = 730;

const codecServer = z.strictObject({
  endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
  passAccessToken: z.boolean().optional(),
  includeCrossOriginCredentials: z.boolean().optional(),
});

const mtlsAuth = z.strictObject({
  acceptedClientCa: z
    .string()
    .min(1, { error: 'must not be empty' })
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, { error: 'must be base64-encoded PEM' }),
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

const retentionDays = z
  .number()
  .int({ error: 'must be a whole number of days' })
  .min(1, { error: 'must be at least 1' })
  .max(90, { error: 'must be at most 90' });

const expiryDays = z
  .number()
  .int({ error: 'must be a whole number of days' })
  .min(1, { error: 'must be at least 1' })
  .max(MAX_API_KEY_EXPIRY_DAYS, { error: `must be at most ${MAX_API_KEY_EXPIRY_DAYS}` });

const displayName = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(128, { error: 'must be at most 128 characters' });

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
      })
      .optional(),
    apiKey: z
      .strictObject({
        displayName: displayName.optional(),
        expiryDays: expiryDays.default(90),
      })
      .optional(),
    keepOnFailure: z.boolean().default(false),
    wait: z
      .strictObject({
        timeoutMinutes: z
          .number()
          .positive()
          .max(7 * 24 * 60)
          .optional(),
        minPollSeconds: z.number().positive().max(3600).optional(),
        maxPollSeconds: z.number().positive().max(3600).optional(),
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
    maxConflictRetries: z.number().int().min(0).max(20).default(5),
  })
  .refine((v) => v.retentionDays !== undefined || v.codecServer !== undefined || v.mtlsAuth !== undefined, {
    error: 'nothing to update: give retentionDays, codecServer or mtlsAuth',
  });
export type UpdateNamespaceInput = z.input<typeof updateNamespaceInput>;
export type UpdateNamespaceRequest = z.output<typeof updateNamespaceInput>;

export const decommissionNamespaceInput = z.strictObject({
  name: namespaceName,
  /** Delete the API keys of service accounts that have access to this namespace first. */
  deleteServiceAccountKeys: z.boolean().default(false),
  /** Also delete those service accounts when this namespace is the only one they can reach. */
  deleteServiceAccounts: z.boolean().default(false),
});
export type DecommissionNamespaceInput = z.input<typeof decommissionNamespaceInput>;
export type DecommissionNamespaceRequest = z.output<typeof decommissionNamespaceInput>;

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

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  return issue.message;
}

export function formatProblems(problems: InputProblem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
}
