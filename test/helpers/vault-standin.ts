// A local HashiCorp Vault for tests: the KV version 2 engine's HTTP API at /v1/<mount>/data|metadata/<path> (reads,
// check-and-set writes answered 400 on a mismatch, soft-deleted versions read as 404 with their metadata, metadata
// deletes), X-Vault-Token checked on every request, AppRole logins with leases, X-Vault-Namespace, and Vault's
// answers ({"errors": [...]}, 404 {"errors": []} for nothing there, "no handler for route" for no such mount).
// A test can drop the answer after the change is made, as a lost response.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, readBody } from './local-server';

export const VAULT_ROOT_TOKEN = 'hvs.standin-root-token-do-not-leak';
export const VAULT_ROLE_ID = 'standin-role-id-0001';
export const VAULT_SECRET_ID = 'standin-secret-id-do-not-leak-0001';

export interface VaultStandInOptions {
  /** KV v2 mount; default `secret`. */
  mount?: string;
  /** Requests must name this namespace (X-Vault-Namespace). */
  namespace?: string;
  /** Lease of an AppRole login's token, in seconds; 0: no expiry. */
  approleLeaseSeconds?: number;
}

interface KvVersion {
  data: Record<string, unknown>;
  created: string;
  deletionTime: string;
  destroyed: boolean;
}

interface KvSecret {
  currentVersion: number;
  oldestVersion: number;
  versions: Map<number, KvVersion>;
  customMetadata: Record<string, string> | null;
  created: string;
  updated: string;
}

export interface VaultRequest {
  method: string;
  path: string;
  token: string | undefined;
  body: string;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
  }
}

const MAX_VERSIONS = 10;
const CAS_MISMATCH = 'check-and-set parameter did not match the current version';

export class VaultStandIn extends LocalServer {
  readonly mount: string;
  readonly requests: VaultRequest[] = [];
  /** `METHOD kind` (e.g. `POST data`, `POST metadata`) whose next answer is lost after the change is made. */
  readonly dropAfterCommit: string[] = [];
  /** Answers a request instead of the stand-in when it returns true (a proxy's page, a sealed node, ...). */
  override?: (req: IncomingMessage, res: ServerResponse) => boolean;
  logins = 0;
  private readonly options: VaultStandInOptions;
  private readonly kv = new Map<string, KvSecret>();
  /** Tokens AppRole logins gave, with when they expire (ms; Infinity: never). */
  private readonly leases = new Map<string, number>();

  constructor(options: VaultStandInOptions = {}) {
    super();
    this.options = options;
    this.mount = options.mount ?? 'secret';
  }

  /** Every version kept at `path`, oldest first, and the secret's custom metadata. */
  secret(path: string) {
    const secret = this.kv.get(path);
    if (!secret) return undefined;
    return {
      currentVersion: secret.currentVersion,
      customMetadata: secret.customMetadata,
      versions: [...secret.versions].map(([version, v]) => ({
        version,
        data: v.data,
        deleted: v.deletionTime !== '',
        destroyed: v.destroyed,
      })),
    };
  }

  /** A version written by someone else (no cas), as another client would. */
  writeAsAnotherClient(path: string, data: Record<string, unknown>): void {
    this.writeData(path, { data });
  }

  /** Soft-deletes the current version, as `vault kv delete` (DELETE /data) does. */
  softDelete(path: string): void {
    const secret = this.kv.get(path);
    const current = secret?.versions.get(secret.currentVersion);
    if (current) current.deletionTime = new Date().toISOString();
  }

  /** Every token AppRole logins gave stops working, as when their leases end. */
  expireLogins(): void {
    for (const token of this.leases.keys()) this.leases.set(token, 0);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://vault');
    const path = url.pathname.replace(/^\/v1\//, '');
    const token = header(req, 'x-vault-token');
    this.requests.push({ method: req.method ?? '', path, token, body: raw });
    if (this.override?.(req, res)) return;
    try {
      if (!url.pathname.startsWith('/v1/')) throw new VaultError(404, []);
      const body = raw ? parseJson(raw) : {};
      const answer = this.route(req, path, url, body, token);
      if (this.dropped(req.method ?? '', path)) {
        res.socket?.destroy();
        return;
      }
      if (answer === undefined) res.writeHead(204).end();
      else send(res, answer.status ?? 200, answer.body);
    } catch (error) {
      if (error instanceof VaultError) send(res, error.status, { errors: error.errors });
      else send(res, 500, { errors: [String(error)] });
    }
  }

  private route(
    req: IncomingMessage,
    path: string,
    url: URL,
    body: Record<string, unknown>,
    token: string | undefined,
  ): { status?: number; body: Record<string, unknown> } | undefined {
    const method = req.method ?? 'GET';
    const approle = /^auth\/([^/]+)\/login$/.exec(path);
    if (approle && method === 'POST' && approle[1] === 'approle') return this.login(body);
    this.authorize(req, token);
    const match = new RegExp(`^${this.mount}/(data|metadata)/(.+)$`).exec(path);
    if (!match) throw new VaultError(404, [`no handler for route "${path}". route entry not found.`]);
    const [, kind, key] = match as unknown as [string, 'data' | 'metadata', string];
    const route = `${method} ${kind}`;
    switch (route) {
      case 'GET data':
        return this.readData(key, Number(url.searchParams.get('version') ?? 0));
      case 'POST data':
      case 'PUT data':
        return { body: envelope(this.writeData(key, body)) };
      case 'DELETE data':
        this.softDelete(key);
        return undefined;
      case 'GET metadata':
        return this.readMetadata(key);
      case 'POST metadata':
      case 'PUT metadata':
        this.writeMetadata(key, body);
        return undefined;
      case 'DELETE metadata':
        this.kv.delete(key);
        return undefined;
      default:
        throw new VaultError(405, ['unsupported operation']);
    }
  }

  private authorize(req: IncomingMessage, token: string | undefined): void {
    const lease = token === undefined ? undefined : this.leases.get(token);
    const valid = token === VAULT_ROOT_TOKEN || (lease !== undefined && Date.now() < lease);
    const namespaceOk = (header(req, 'x-vault-namespace') ?? '') === (this.options.namespace ?? '');
    if (!valid || !namespaceOk) throw new VaultError(403, ['permission denied']);
  }

  private login(body: Record<string, unknown>) {
    if (body.role_id !== VAULT_ROLE_ID || body.secret_id !== VAULT_SECRET_ID) {
      throw new VaultError(400, ['invalid role or secret ID']);
    }
    this.logins++;
    const lease = this.options.approleLeaseSeconds ?? 1200;
    const token = `hvs.${randomBytes(12).toString('hex')}`;
    this.leases.set(token, lease > 0 ? Date.now() + lease * 1000 : Number.POSITIVE_INFINITY);
    return {
      body: {
        ...envelope(null),
        auth: {
          client_token: token,
          accessor: randomUUID(),
          policies: ['default', 'temporal-cloud-ops'],
          lease_duration: lease,
          renewable: true,
        },
      },
    };
  }

  private readData(key: string, wanted: number) {
    const secret = this.kv.get(key);
    const number = wanted > 0 ? wanted : (secret?.currentVersion ?? 0);
    const version = secret?.versions.get(number);
    if (!secret || !version) throw new VaultError(404, []);
    const metadata = {
      created_time: version.created,
      custom_metadata: secret.customMetadata,
      deletion_time: version.deletionTime,
      destroyed: version.destroyed,
      version: number,
    };
    // A deleted or destroyed version: its metadata with a 404.
    if (version.deletionTime !== '' || version.destroyed) {
      return { status: 404, body: envelope({ data: null, metadata }) };
    }
    return { body: envelope({ data: version.data, metadata }) };
  }

  private writeData(key: string, body: Record<string, unknown>) {
    const data = body.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new VaultError(400, ['no data provided']);
    const secret = this.kv.get(key) ?? newSecret();
    const cas = (body.options as { cas?: unknown } | undefined)?.cas;
    if (cas !== undefined && Number(cas) !== secret.currentVersion) throw new VaultError(400, [CAS_MISMATCH]);
    const created = new Date().toISOString();
    secret.currentVersion++;
    secret.versions.set(secret.currentVersion, {
      data: data as Record<string, unknown>,
      created,
      deletionTime: '',
      destroyed: false,
    });
    secret.updated = created;
    // Only the newest max_versions are kept (KV v2's AddVersion).
    if (secret.currentVersion - secret.oldestVersion >= MAX_VERSIONS) {
      const last = secret.currentVersion - MAX_VERSIONS;
      for (let n = secret.oldestVersion; n <= last; n++) secret.versions.delete(n);
      secret.oldestVersion = last + 1;
    }
    this.kv.set(key, secret);
    return {
      created_time: created,
      custom_metadata: secret.customMetadata,
      deletion_time: '',
      destroyed: false,
      version: secret.currentVersion,
    };
  }

  private readMetadata(key: string) {
    const secret = this.kv.get(key);
    if (!secret) throw new VaultError(404, []);
    const versions = Object.fromEntries(
      [...secret.versions].map(([n, v]) => [
        String(n),
        { created_time: v.created, deletion_time: v.deletionTime, destroyed: v.destroyed },
      ]),
    );
    return {
      body: envelope({
        cas_required: false,
        created_time: secret.created,
        current_version: secret.currentVersion,
        custom_metadata: secret.customMetadata,
        delete_version_after: '0s',
        max_versions: 0,
        oldest_version: secret.oldestVersion,
        updated_time: secret.updated,
        versions,
      }),
    };
  }

  private writeMetadata(key: string, body: Record<string, unknown>): void {
    const custom = body.custom_metadata;
    if (custom !== undefined) {
      const entries = Object.entries((custom ?? {}) as Record<string, unknown>);
      const problems = [
        ...(entries.length > 64 ? [`payload must contain at most 64 keys, provided: ${entries.length}`] : []),
        ...entries.flatMap(([k, v]) => [
          ...(k.length === 0 || Buffer.byteLength(k) > 128 ? [`length of key "${k}" is out of range`] : []),
          ...(typeof v !== 'string' || Buffer.byteLength(v) > 512 ? [`value of key "${k}" is invalid`] : []),
        ]),
      ];
      if (problems.length > 0)
        throw new VaultError(400, [`custom_metadata validation failed: ${problems.join(', ')}`]);
    }
    const secret = this.kv.get(key) ?? newSecret();
    if (custom !== undefined) secret.customMetadata = (custom as Record<string, string> | null) ?? null;
    this.kv.set(key, secret);
  }

  private dropped(method: string, path: string): boolean {
    const kind = path.startsWith(`${this.mount}/data/`)
      ? 'data'
      : path.startsWith(`${this.mount}/metadata/`)
        ? 'metadata'
        : path;
    const index = this.dropAfterCommit.indexOf(`${method} ${kind}`);
    if (index < 0) return false;
    this.dropAfterCommit.splice(index, 1);
    return true;
  }
}

function newSecret(): KvSecret {
  const now = new Date().toISOString();
  return {
    currentVersion: 0,
    oldestVersion: 0,
    versions: new Map(),
    customMetadata: null,
    created: now,
    updated: now,
  };
}

/** Vault's response envelope around `data`. */
function envelope(data: unknown): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'kv',
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(raw: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new VaultError(400, ['failed to parse JSON input']);
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
