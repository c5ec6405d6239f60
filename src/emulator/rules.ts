// Business rules the real service enforces beyond the schema. Each throws a 400 naming the field.
import type { Access, CodecServer, MtlsAuth, NamespaceScopedAccess, OwnerType } from '../ops-api/types';
import { invalid } from './errors';
import { findRegion } from './regions';

// The limits below are also written in openapi/spec-silences.yml (whose schemas the emulator validates
// requests against before these rules run); test/emulator/contract.test.ts keeps the two equal.
export const NAMESPACE_NAME = /^[a-z][a-z0-9-]{0,37}[a-z0-9]$/;
// Deliberately loose, like most services: something@something.tld, no whitespace.
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const EMAIL_MAX_LENGTH = 254;
// Base64 with whitespace (PEM line breaks) allowed, and at least one base64 character.
export const BASE64 = /^\s*[A-Za-z0-9+/][A-Za-z0-9+/\s]*={0,2}\s*$/;
export const RETENTION_DAYS = { min: 1, max: 90 } as const;
export const EXPIRY_MAX_YEARS = 2;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(field, 'is required');
  return value;
}

export function checkNamespaceName(name: string, field = 'spec.name'): void {
  if (!NAMESPACE_NAME.test(name)) {
    throw invalid(
      field,
      'must be 2-39 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen',
    );
  }
}

export function checkRegion(region: string, field = 'spec.region'): void {
  if (!findRegion(region)) throw invalid(field, `unknown region '${region}' (see listRegions)`);
}

export function checkRetentionDays(days: number, field = 'spec.retentionDays'): void {
  const { min, max } = RETENTION_DAYS;
  if (!Number.isInteger(days) || days < min || days > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`);
  }
}

export function checkCodecServer(codec: CodecServer, field = 'spec.codecServer'): void {
  let url: URL | undefined;
  try {
    url = new URL(codec.endpoint);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:') throw invalid(`${field}.endpoint`, 'must be an https URL');
}

export function checkMtlsAuth(mtls: MtlsAuth, field = 'spec.mtlsAuth'): void {
  if (!BASE64.test(mtls.acceptedClientCa)) {
    throw invalid(`${field}.acceptedClientCa`, 'must be a base64-encoded PEM bundle');
  }
}

export function checkEmail(email: string, field = 'spec.email'): void {
  // Counted in code points, as JSON Schema's maxLength counts.
  if ([...email].length > EMAIL_MAX_LENGTH || !EMAIL.test(email)) {
    throw invalid(field, 'must be an email address');
  }
}

export function checkAccess(
  access: Access | undefined,
  namespaceExists: (id: string) => boolean,
  field = 'spec.access',
): void {
  for (const id of Object.keys(access?.namespaceAccesses ?? {})) {
    if (!namespaceExists(id)) throw invalid(`${field}.namespaceAccesses`, `namespace '${id}' does not exist`);
  }
}

const PERMISSIONS: readonly string[] = ['admin', 'write', 'read'];

/**
 * A namespace-scoped service account's access: an existing namespace and a permission. cloud-api's
 * ServiceAccountSpec: "one of `Access` or `NamespaceScopedAccess` must be provided, but not both".
 */
export function checkNamespaceScopedAccess(
  spec: { access?: Access; namespaceScopedAccess?: NamespaceScopedAccess },
  namespaceExists: (id: string) => boolean,
  field = 'spec.namespaceScopedAccess',
): void {
  const scoped = spec.namespaceScopedAccess;
  if (!scoped) return;
  if (spec.access) throw invalid(field, 'cannot be given together with spec.access: one or the other');
  const namespace = requireString(scoped.namespace, `${field}.namespace`);
  if (!namespaceExists(namespace))
    throw invalid(`${field}.namespace`, `namespace '${namespace}' does not exist`);
  if (!PERMISSIONS.includes(scoped.access?.permission as string)) {
    throw invalid(`${field}.access.permission`, 'is required: admin, write or read');
  }
}

type ScopedSpec = { access?: Access; namespaceScopedAccess?: NamespaceScopedAccess };

/** A namespace-scoped account stays scoped to its namespace, and an account-wide one stays account-wide. */
export function checkScopeKept(was: ScopedSpec, next: ScopedSpec): void {
  const before = was.namespaceScopedAccess?.namespace;
  const after = next.namespaceScopedAccess?.namespace;
  if (before !== after) {
    throw invalid(
      'spec.namespaceScopedAccess.namespace',
      before ? `is immutable (it is '${before}')` : 'cannot be added to an account-wide service account',
    );
  }
  if (before && next.access)
    throw invalid('spec.access', 'a namespace-scoped service account has no account-wide access');
}

export function checkLength(value: string, min: number, max: number, field: string): void {
  const length = [...value].length;
  if (length < min || length > max) throw invalid(field, `must be ${min}-${max} characters`);
}

export function checkOwnerType(value: string, field = 'spec.ownerType'): asserts value is OwnerType {
  if (value !== 'user' && value !== 'service-account') {
    throw invalid(field, "must be one of 'user', 'service-account'");
  }
}

/** The expiry must be in the future and at most EXPIRY_MAX_YEARS (calendar) years ahead of now. */
export function checkExpiry(expiryTime: string, now: number, field = 'spec.expiryTime'): number {
  const at = RFC3339.test(expiryTime) ? Date.parse(expiryTime) : NaN;
  if (Number.isNaN(at)) throw invalid(field, 'must be an RFC 3339 date-time');
  if (at <= now) throw invalid(field, 'must be in the future');
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + EXPIRY_MAX_YEARS);
  if (at > limit.getTime()) throw invalid(field, `must be at most ${EXPIRY_MAX_YEARS} years in the future`);
  return at;
}
