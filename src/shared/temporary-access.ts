// Input of grantTemporaryAccess: whom, where, what and for how long. Pure code: safe inside the workflow sandbox.
import { z } from 'zod';
import { approvalRequirement } from './approval';
import { duration, namespaceName, parseDurationMs } from './validation';

export const ACCESS_PERMISSIONS = ['read', 'write', 'admin'] as const;
export type AccessPermission = (typeof ACCESS_PERMISSIONS)[number];
export const MIN_ACCESS_DURATION = '15m';
export const MAX_ACCESS_DURATION = '30d';

/** How long temporary access (or an extension of it) lasts: 15m to 30d. */
export const accessDuration = duration(30 * 86_400_000, MAX_ACCESS_DURATION).refine(
  (s) => (parseDurationMs(s) ?? Infinity) >= 15 * 60_000,
  { error: `must be at least ${MIN_ACCESS_DURATION}` },
);

/** A service account by its name (unique in the account), as it also appears in the workflow id. */
const SERVICE_ACCOUNT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/** Whom access is for: a user by email, or a service account by name. */
export const accessPrincipal = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(254, { error: 'must be at most 254 characters' })
  .refine((p) => (p.includes('@') ? z.email().safeParse(p).success : SERVICE_ACCOUNT_NAME.test(p)), {
    error:
      "must be a user's email address, or a service account's name (letters, digits, and - _ . between them, " +
      'at most 64 characters)',
  });

export const grantTemporaryAccessInput = z.strictObject({
  principal: accessPrincipal,
  namespace: namespaceName,
  permission: z.enum(ACCESS_PERMISSIONS, { error: `must be one of ${ACCESS_PERMISSIONS.join(', ')}` }),
  duration: accessDuration,
  reason: z
    .string()
    .trim()
    .min(1, { error: 'must say why the access is needed' })
    .max(500, { error: 'must be at most 500 characters' }),
  /** Give up (changing nothing) when nobody decides within this long; an extension waits at most until the end. */
  approvalTimeout: duration(7 * 86_400_000, '7d').default('24h'),
  /** Set by the front door or starter from the approval policy; the request never sets it. */
  approval: approvalRequirement.optional(),
});
export type GrantTemporaryAccessInput = z.input<typeof grantTemporaryAccessInput>;
export type GrantTemporaryAccessRequest = z.output<typeof grantTemporaryAccessInput>;
