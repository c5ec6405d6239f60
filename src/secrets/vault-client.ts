// Vault's HTTP API as the Vault sink speaks it: one request at a time with X-Vault-Token (a static token, or one
// an AppRole login gave, logged in again when Vault refuses it), Vault's answers told from anyone else's.
import ky from 'ky';
import { redact } from './redact';
import { describeFetchFailure } from './signed-post';
import { SecretSinkError } from './types';

export type VaultAuth =
  | { method: 'token'; token: string }
  | { method: 'approle'; roleId: string; secretId: string; /** Default `approle`. */ mount?: string };

export interface VaultClientOptions {
  /** e.g. `https://vault.example.com:8200`; requests go to `<address>/v1/...`. */
  address: string;
  auth: VaultAuth;
  /** Vault Enterprise / HCP Vault namespace (X-Vault-Namespace). */
  namespace?: string;
  timeoutMs: number;
}

/** What Vault answered: the status and, but for 204, its JSON body. */
export interface VaultAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
}

// Vault's own "try again": rate limit quota, standby or sealed node, an index a performance standby has not
// caught up with (412); and the edge's answers in front of it, whatever their body.
const RETRYABLE_STATUSES = new Set([412, 429, 472, 473, 500, 502, 503, 504]);
/** After this share of its lease an AppRole's token is replaced by a new login before the next request. */
const LEASE_MARGIN = 0.8;

/** Where the token comes from; credentials live in closures, so no log or inspect of the client shows them. */
interface Credentials {
  /** The token to send (for an AppRole: one login, shared by concurrent requests, again when its lease runs low). */
  token(): Promise<string>;
  /** Vault refused the token: whether a new login may help (an AppRole's token may have expired). */
  refused(): boolean;
  /** Every credential, to cut out of messages. */
  secrets(): string[];
}

/**
 * Sends requests to Vault. Errors name the action, the path and Vault's own explanation (with the token, the
 * AppRole's credentials and the request's secret cut out), never the request.
 */
export class VaultClient {
  readonly address: string;
  readonly namespace: string | undefined;
  private readonly timeoutMs: number;
  private readonly credentials: Credentials;

  constructor(options: VaultClientOptions) {
    this.address = options.address.replace(/\/+$/, '');
    this.namespace = options.namespace;
    this.timeoutMs = options.timeoutMs;
    const { auth } = options;
    this.credentials =
      auth.method === 'token'
        ? { token: async () => auth.token, refused: () => false, secrets: () => [auth.token] }
        : approleCredentials(auth, () => this.logIn(auth));
  }

  /**
   * One request to `/v1/<path>`. Answers other than `expected` fail (retryably when Vault says so); a 403 of an
   * AppRole token logs in again and tries once more, since the token may have expired.
   */
  async request(
    what: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { body?: unknown; expected: readonly number[]; secret?: string },
  ): Promise<VaultAnswer> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.credentials.token();
      const answer = await this.send(what, method, path, options.body, token);
      if (options.expected.includes(answer.status)) return answer;
      if (answer.status === 403 && attempt === 1 && this.credentials.refused()) continue;
      throw this.failure(what, answer, [token, options.secret]);
    }
  }

  private async send(
    what: string,
    method: string,
    path: string,
    body: unknown,
    token: string | undefined,
  ): Promise<VaultAnswer> {
    const { namespace, timeoutMs } = this;
    let response: Response;
    try {
      response = await ky(`${this.address}/v1/${path}`, {
        method,
        ...(body === undefined ? {} : { json: body }),
        headers: {
          ...(token ? { 'X-Vault-Token': token } : {}),
          ...(namespace ? { 'X-Vault-Namespace': namespace } : {}),
          // Vault's CSRF guard for its UI; harmless elsewhere.
          'X-Vault-Request': 'true',
        },
        timeout: timeoutMs,
        retry: 0,
        throwHttpErrors: false,
        // A redirect would carry the token to wherever it points.
        redirect: 'error',
      });
    } catch (error) {
      throw new SecretSinkError(`Vault ${what} ${describeFetchFailure(error, timeoutMs)}`, true);
    }
    if (response.status === 204) return { status: 204, body: undefined };
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      // Not Vault (it always answers JSON): a proxy's page or a wrong address, unless the edge says "try again".
      const status = response.status;
      throw new SecretSinkError(
        `Vault ${what} got HTTP ${status} that is not Vault's answer (check SECRET_SINK_VAULT_ADDR)`,
        RETRYABLE_STATUSES.has(status),
        status,
      );
    }
    return { status: response.status, body: parsed as Record<string, unknown> };
  }

  /** Vault's refusal as an error: the status and Vault's own `errors`, every credential and `secrets` cut out. */
  failure(what: string, answer: VaultAnswer, secrets: (string | undefined)[] = []): SecretSinkError {
    const errors = answer.body?.errors;
    const said = Array.isArray(errors) ? errors.filter((e) => typeof e === 'string').join('; ') : '';
    const explanation = redact(said.replace(/\s+/g, ' ').trim(), [...secrets, ...this.credentials.secrets()]);
    return new SecretSinkError(
      `Vault ${what} failed with HTTP ${answer.status}${explanation ? `: ${explanation}` : ''}`,
      RETRYABLE_STATUSES.has(answer.status),
      answer.status,
    );
  }

  private async logIn(auth: AppRole): Promise<Session> {
    const mount = auth.mount ?? 'approle';
    const what = `AppRole login at auth/${mount}`;
    const started = Date.now();
    const credentials = { role_id: auth.roleId, secret_id: auth.secretId };
    const answer = await this.send(what, 'POST', `auth/${mount}/login`, credentials, undefined);
    if (answer.status !== 200) throw this.failure(what, answer, []);
    const login = answer.body?.auth as { client_token?: unknown; lease_duration?: unknown } | undefined;
    if (typeof login?.client_token !== 'string' || login.client_token === '') {
      throw new SecretSinkError(`Vault ${what} answered without a client token`, false);
    }
    const lease = typeof login.lease_duration === 'number' ? login.lease_duration : 0;
    // Lease 0: the token does not expire (a refusal still logs in again).
    const renewAt = lease > 0 ? started + lease * 1000 * LEASE_MARGIN : Number.POSITIVE_INFINITY;
    return { token: login.client_token, renewAt };
  }
}

type AppRole = Extract<VaultAuth, { method: 'approle' }>;
type Session = { token: string; renewAt: number };

function approleCredentials(auth: AppRole, logIn: () => Promise<Session>): Credentials {
  let session: Promise<Session> | undefined;
  return {
    async token() {
      const current = session;
      if (current) {
        const valid = await current.catch(() => undefined);
        if (valid && Date.now() < valid.renewAt) return valid.token;
        if (session === current) session = undefined;
      }
      session ??= logIn();
      return (await session).token;
    },
    refused() {
      session = undefined;
      return true;
    },
    secrets: () => [auth.roleId, auth.secretId],
  };
}
