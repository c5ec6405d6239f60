// Who is asking. Behind a single sign-on proxy (oauth2-proxy and the like), the user is the value of a trusted header
// (X-Forwarded-Email by default), believed only when the connection comes from a configured proxy address. Without
// one, a login token printed once by `npm start` (kept only as its SHA-256 in the data folder) opens a session
// cookie (HttpOnly, SameSite=Strict) for the email the person gives.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type {} from '@fastify/cookie'; // request.cookies
import type { FastifyRequest } from 'fastify';
import proxyaddr from 'proxy-addr';

export interface PortalUser {
  /** Lower-cased email (or user name, as the proxy sends it). */
  id: string;
  via: 'proxy' | 'token';
}

export interface AuthOptions {
  /** Header carrying the user from the proxy, e.g. `X-Forwarded-Email`. */
  trustedHeader: string;
  /** Proxy addresses (IPs, CIDRs, `loopback`, …) whose header is believed; empty: the header is never read. */
  trustedProxies: string[];
  /** SHA-256 (hex) of the login token; absent: no token login. */
  loginTokenSha256?: string;
}

export const SESSION_COOKIE = 'portal_session';
/** A session lasts a working day. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
const MAX_SESSIONS = 10_000;
const MAX_USER_LENGTH = 254;

export const LOGIN_TOKEN_FILE = 'portal-login-token.sha256';

/**
 * The login token's hash from `dataDir`, or — on the first start — a new token whose hash is written there
 * (owner-only) and which is returned once, to be printed. A lost token: delete the file and restart.
 */
export async function loginTokenHash(
  dataDir: string,
): Promise<{ sha256: string; file: string; generatedToken?: string }> {
  const file = path.join(dataDir, LOGIN_TOKEN_FILE);
  try {
    const sha256 = (await fs.readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(sha256)) return { sha256, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('base64url');
  const sha256 = sha256Hex(token);
  await fs.writeFile(file, `${sha256}\n`, { mode: 0o600 });
  return { sha256, file, generatedToken: token };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented token with the stored hash. */
export function loginTokenMatches(presented: string, sha256: string): boolean {
  const a = Buffer.from(sha256Hex(presented), 'hex');
  const b = Buffer.from(sha256, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A user name as the portal keeps it, or undefined when it cannot be one. */
export function normalizeUser(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  // eslint-disable-next-line no-control-regex
  return v && v.length <= MAX_USER_LENGTH && !/[\s\u0000-\u001f<>"']/.test(v) ? v : undefined;
}

interface Session {
  user: string;
  expires: number;
}

/** In-memory sessions: a restart signs everyone out, which a local tool can afford. */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  constructor(private readonly now: () => number = Date.now) {}

  create(user: string): { id: string; maxAgeSec: number } {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      // The oldest go first (Map keeps insertion order).
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { user, expires: this.now() + SESSION_TTL_MS });
    return { id, maxAgeSec: SESSION_TTL_MS / 1000 };
  }

  user(id: string | undefined): string | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session.user;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
  }
}

export interface Authenticator {
  /** The user of this request, or undefined. */
  identify(req: FastifyRequest): PortalUser | undefined;
  /** Whether the request came through a configured proxy (then its identity header counts). */
  fromTrustedProxy(req: FastifyRequest): boolean;
  sessions: Sessions;
  tokenLogin: boolean;
  loginTokenMatches(presented: string): boolean;
}

export function createAuthenticator(options: AuthOptions, sessions = new Sessions()): Authenticator {
  const header = options.trustedHeader.toLowerCase();
  // proxy-addr understands IPv4/IPv6, CIDRs, IPv4-mapped IPv6 and the names loopback / linklocal / uniquelocal.
  const trust = options.trustedProxies.length > 0 ? proxyaddr.compile(options.trustedProxies) : undefined;
  const fromTrustedProxy = (req: FastifyRequest) => {
    const peer = req.socket.remoteAddress;
    return Boolean(trust && peer && trust(peer, 0));
  };
  return {
    fromTrustedProxy,
    identify(req) {
      if (fromTrustedProxy(req)) {
        const user = normalizeUser(req.headers[header]);
        if (user) return { id: user, via: 'proxy' };
      }
      const user = sessions.user(req.cookies?.[SESSION_COOKIE]);
      return user ? { id: user, via: 'token' } : undefined;
    },
    sessions,
    tokenLogin: options.loginTokenSha256 !== undefined,
    loginTokenMatches: (presented) =>
      options.loginTokenSha256 !== undefined && loginTokenMatches(presented, options.loginTokenSha256),
  };
}

/** Checks the proxy list early, so a typo is a configuration error rather than a portal nobody can enter. */
export function trustedProxiesProblem(list: string[]): string | undefined {
  try {
    proxyaddr.compile(list);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
