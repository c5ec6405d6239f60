/** Every sink kind, as `SECRET_SINK` names it. */
export const SECRET_SINK_KINDS = ['file', 'webhook', 'aws-secrets-manager', 'vault'] as const;

/** Where a secret was put; the prefix of every {@link SecretRef} a sink returns. */
export type SecretSinkKind = (typeof SECRET_SINK_KINDS)[number];

/**
 * A serializable pointer to a stored secret, e.g. `file:apikey/ns/key1`. It names the secret and never
 * contains it, so it may travel through workflow history, logs and query results.
 */
export type SecretRef = `${SecretSinkKind}:${string}`;

/**
 * Where activities hand over secret material (API key tokens) so that only a {@link SecretRef} flows on.
 * Implementations must be idempotent: activities are retried, and names are deterministic
 * (e.g. `apikey/<namespace>/<keyId>`), so putting the same name again overwrites. Versioned stores
 * (Secrets Manager, Vault KV v2) make no new version when the same value is put again.
 */
export interface SecretSink {
  readonly kind: SecretSinkKind;
  /** Stores (or overwrites) the secret under `name`. */
  put(name: string, secret: string, metadata?: Record<string, string>): Promise<SecretRef>;
  /** Removes the secret; absent names are not an error. */
  delete(name: string): Promise<void>;
  has(name: string): Promise<boolean>;
}

/** Raised by sinks. Messages name the secret and the problem, never the secret value or signing keys. */
export class SecretSinkError extends Error {
  override readonly name = 'SecretSinkError';
  constructor(
    message: string,
    /** False when retrying the same call cannot help (bad name, rejected signature, ...). */
    readonly retryable: boolean,
    /** HTTP status of the store's response, when there was one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export const MAX_SECRET_NAME_LENGTH = 200;
const SAFE_NAME = /^[A-Za-z0-9._/-]+$/;

/**
 * Throws a {@link SecretSinkError} naming the first problem with `name`. Names become file paths and
 * receiver keys, so anything that could escape a folder or alias another name is refused.
 */
export function validateSecretName(name: unknown): asserts name is string {
  const fail = (problem: string): never => {
    throw new SecretSinkError(`Invalid secret name ${JSON.stringify(name)}: ${problem}`, false);
  };
  if (typeof name !== 'string') return fail('must be a string');
  if (name.length === 0) return fail('must not be empty');
  if (name.length > MAX_SECRET_NAME_LENGTH) {
    return fail(`is ${name.length} characters long; the limit is ${MAX_SECRET_NAME_LENGTH}`);
  }
  if (!SAFE_NAME.test(name)) return fail('may only contain letters, digits, ".", "_", "-" and "/"');
  if (name.includes('..')) return fail('must not contain ".."');
  if (name.startsWith('/')) return fail('must not start with "/"');
  if (name.endsWith('/')) return fail('must not end with "/"');
  if (name.includes('//')) return fail('must not contain empty path segments ("//")');
  // `a/./b` would alias `a/b` on disk.
  if (name.split('/').includes('.')) return fail('must not contain "." path segments');
}

export function secretRef(kind: SecretSinkKind, name: string): SecretRef {
  return `${kind}:${name}`;
}

const REF = new RegExp(`^(${SECRET_SINK_KINDS.join('|')}):(.+)$`);

/** Splits a {@link SecretRef} into its sink kind and secret name; throws on anything else. */
export function parseSecretRef(ref: string): { kind: SecretSinkKind; name: string } {
  const match = REF.exec(ref);
  if (!match) throw new SecretSinkError(`Invalid secret reference ${JSON.stringify(ref)}`, false);
  const name = match[2] as string;
  validateSecretName(name);
  return { kind: match[1] as SecretSinkKind, name };
}
