// HashiCorp Vault's KV version 2 engine as a secret sink: one secret per name (below a path prefix), the value
// in the version's data as `secret`, the metadata as the secret's custom_metadata. Writes are check-and-set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkServiceUrl } from './service-url';
import { SecretSinkError, secretRef, validateSecretName, type SecretRef, type SecretSink } from './types';
import { VaultClient, type VaultAnswer, type VaultAuth } from './vault-client';

export interface VaultSecretSinkOptions {
  /** Vault's address, e.g. `https://vault.example.com:8200`: https, or http to a loopback host. */
  address: string;
  auth: VaultAuth;
  /** Path of the KV v2 engine; default `secret`. */
  mount?: string;
  /** Put before every name, e.g. `temporal-cloud`: the Vault policy grants this path only. */
  pathPrefix?: string;
  /** Vault Enterprise / HCP Vault namespace. */
  namespace?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Allow plain http to a non-loopback host (a private network). Off by default: requests carry secrets. */
  allowInsecureHttp?: boolean;
}

/** The key of the version's data that holds the secret. */
export const VAULT_SECRET_FIELD = 'secret';
export const DEFAULT_VAULT_MOUNT = 'secret';
export const DEFAULT_VAULT_TIMEOUT_MS = 10_000;
const VAULT_PATH_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
// How many writers may get in between this one's read and write before it gives up (the activity retries).
const MAX_CAS_ATTEMPTS = 3;
// KV v2's limits on custom_metadata.
const MAX_METADATA_KEYS = 64;
const MAX_METADATA_KEY_BYTES = 128;
const MAX_METADATA_VALUE_BYTES = 512;

/** The current version as a read shows it: its number (0: none yet), its secret unless deleted, its metadata. */
interface Current {
  version: number;
  secret: string | undefined;
  customMetadata: Record<string, string> | undefined;
}

/**
 * Puts each secret at `<mount>/data/<pathPrefix>/<name>`. A put reads the current version first: the same value
 * there (a retry whose first attempt committed) writes nothing; otherwise it writes with `cas` set to the version
 * it read, so two writers cannot both make "the next" version, and reads again when Vault refuses.
 */
export class VaultSecretSink implements SecretSink {
  readonly kind = 'vault' as const;
  readonly mount: string;
  readonly pathPrefix: string;
  private readonly client: VaultClient;

  constructor(options: VaultSecretSinkOptions) {
    const fail = (problem: string): never => {
      throw new SecretSinkError(`VaultSecretSink ${problem}`, false);
    };
    const url = checkServiceUrl('VaultSecretSink address', options.address, options.allowInsecureHttp);
    const mount = options.mount ?? DEFAULT_VAULT_MOUNT;
    if (!isVaultPath(mount)) fail(`mount ${JSON.stringify(mount)} is not a path of Vault`);
    const pathPrefix = options.pathPrefix ?? '';
    if (pathPrefix && !isVaultPath(pathPrefix)) {
      fail(`pathPrefix ${JSON.stringify(pathPrefix)} is not a path of Vault`);
    }
    const { auth } = options;
    if (auth.method === 'token' ? !auth.token : !auth.roleId || !auth.secretId) {
      fail(auth.method === 'token' ? 'needs a token' : 'needs an AppRole role id and secret id');
    }
    this.mount = mount;
    this.pathPrefix = pathPrefix;
    this.client = new VaultClient({
      address: `${url.origin}${url.pathname}`,
      auth,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      timeoutMs: options.timeoutMs ?? DEFAULT_VAULT_TIMEOUT_MS,
    });
  }

  /** The secret's path below the mount. */
  pathFor(name: string): string {
    validateSecretName(name);
    return this.pathPrefix ? `${this.pathPrefix}/${name}` : name;
  }

  async put(name: string, secret: string, metadata: Record<string, string> = {}): Promise<SecretRef> {
    const path = this.pathFor(name);
    if (typeof secret !== 'string') throw new SecretSinkError(`Secret for ${name} must be a string`, false);
    const customMetadata = toCustomMetadata(metadata);
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.read(path, secret);
      if (current.secret === undefined || !sameSecret(current.secret, secret)) {
        try {
          await this.write(path, secret, current.version);
        } catch (error) {
          // A refused check-and-set: another writer made a version since the read (read again), or, the
          // version unmoved, the write itself was refused.
          if (!(error instanceof SecretSinkError && error.status === 400)) throw error;
          if ((await this.read(path, secret)).version === current.version) throw error;
          continue;
        }
      }
      if (!sameMap(current.customMetadata, customMetadata)) await this.writeMetadata(path, customMetadata);
      return secretRef(this.kind, name);
    }
    throw new SecretSinkError(
      `Vault put ${this.mount}/data/${path}: another writer changed it before each of ${MAX_CAS_ATTEMPTS} writes`,
      true,
    );
  }

  async delete(name: string): Promise<void> {
    const path = this.pathFor(name);
    // Every version and the metadata, for good; Vault answers 204 whether or not there was anything.
    await this.client.request(
      `delete ${this.mount}/metadata/${path}`,
      'DELETE',
      `${this.mount}/metadata/${path}`,
      {
        expected: [204],
      },
    );
  }

  async has(name: string): Promise<boolean> {
    const path = this.pathFor(name);
    const what = `read ${this.mount}/metadata/${path}`;
    const answer = await this.client.request(what, 'GET', `${this.mount}/metadata/${path}`, {
      expected: [200, 404],
    });
    if (answer.status === 404) return this.notFound(what, answer, false);
    const data = record(answer.body?.data);
    const version = record(record(data?.versions)?.[String(data?.current_version)]);
    return version !== undefined && version.destroyed !== true && !deletedBy(version.deletion_time);
  }

  private async read(path: string, secret: string): Promise<Current> {
    const what = `read ${this.mount}/data/${path}`;
    const answer = await this.client.request(what, 'GET', `${this.mount}/data/${path}`, {
      expected: [200, 404],
      secret,
    });
    const data = record(answer.body?.data);
    const metadata = record(data?.metadata);
    const version = typeof metadata?.version === 'number' ? metadata.version : undefined;
    // A 404 with the version's metadata: the current version is deleted or destroyed (the next is version + 1).
    if (answer.status === 404 && version === undefined) return this.notFound(what, answer, absent());
    const value = record(data?.data)?.[VAULT_SECRET_FIELD];
    return {
      version: version ?? 0,
      secret: answer.status === 200 && typeof value === 'string' ? value : undefined,
      customMetadata: stringMap(metadata?.custom_metadata),
    };
  }

  private async write(path: string, secret: string, cas: number): Promise<void> {
    await this.client.request(`write ${this.mount}/data/${path}`, 'POST', `${this.mount}/data/${path}`, {
      body: { options: { cas }, data: { [VAULT_SECRET_FIELD]: secret } },
      expected: [200, 204],
      secret,
    });
  }

  private async writeMetadata(path: string, customMetadata: Record<string, string>): Promise<void> {
    const where = `${this.mount}/metadata/${path}`;
    await this.client.request(`write ${where}`, 'POST', where, {
      body: { custom_metadata: customMetadata },
      expected: [200, 204],
    });
  }

  /**
   * `result` for Vault's own "nothing here" (a 404 with an empty `errors`); any other 404 (no such mount: "no
   * handler for route") is a configuration error, never "absent".
   */
  private notFound<T>(what: string, answer: VaultAnswer, result: T): T {
    const errors = answer.body?.errors;
    if (Array.isArray(errors) && errors.length === 0) return result;
    throw this.client.failure(what, answer);
  }
}

/** Mounts and prefixes: `/`-separated segments of letters, digits, `.`, `_` and `-`, none of them all dots. */
export function isVaultPath(path: string): boolean {
  return VAULT_PATH_PATTERN.test(path) && !path.split('/').some((segment) => /^\.+$/.test(segment));
}

const absent = (): Current => ({ version: 0, secret: undefined, customMetadata: undefined });

// In constant time: how long a comparison takes must not tell how much of a secret matched.
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return Object.keys(a ?? {}).length === keys.length && keys.every((key) => a?.[key] === b[key]);
}

/** KV v2 sets a `deletion_time` in the future when versions expire (`delete_version_after`). */
function deletedBy(deletionTime: unknown): boolean {
  if (typeof deletionTime !== 'string' || deletionTime === '') return false;
  const at = Date.parse(deletionTime);
  return Number.isNaN(at) || at <= Date.now();
}

function toCustomMetadata(metadata: Record<string, string>): Record<string, string> {
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_KEYS) {
    throw new SecretSinkError(
      `Vault takes at most ${MAX_METADATA_KEYS} metadata keys; got ${entries.length}`,
      false,
    );
  }
  return Object.fromEntries(
    entries.map(([key, value]) => {
      if (key === '' || Buffer.byteLength(key) > MAX_METADATA_KEY_BYTES) {
        throw new SecretSinkError(
          `Metadata key ${JSON.stringify(key)} is not a valid Vault metadata key`,
          false,
        );
      }
      return [key, truncateBytes(String(value), MAX_METADATA_VALUE_BYTES)];
    }),
  );
}

function truncateBytes(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value) <= maxBytes) return value;
  // No more characters than bytes fit; then drop characters until the bytes do.
  let result = value.slice(0, maxBytes);
  while (Buffer.byteLength(result) > maxBytes) result = result.slice(0, -1);
  return result;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  const map = record(value);
  if (!map) return undefined;
  return Object.fromEntries(
    Object.entries(map).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
