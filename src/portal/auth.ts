// Who is asking: a trusted proxy's header, or a session opened with the login token (docs/portal.md).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fastifyCookie, Signer } from '@fastify/cookie';
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
  /** Signs session cookies and CSRF tokens; every replica needs the same (PORTAL_SESSION_SECRET). */
  sessionSecret: string;
}

export const SESSION_COOKIE = 'portal_session';
/** A session lasts a working day. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
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

/** Derives a key for one use (`session`, `csrf`) from the portal's session secret, so no key serves two purposes. */
export function portalKey(sessionSecret: string, use: 'session' | 'csrf'): Buffer {
  return createHmac('sha256', sessionSecret).update(`temporal-cloud-ops portal ${use} v1`).digest();
}

/**
 * Sessions as self-contained signed cookies: `<expiry ms>|<user>` plus an HMAC-SHA256 (@fastify/cookie's signer) with
 * a key derived from PORTAL_SESSION_SECRET. Any replica with the same secret accepts a session made by another, a
 * restart keeps everyone signed in, and nothing is stored. Signing out clears the cookie in that browser; a copy of
 * the cookie stays valid until its expiry, and changing the secret ends every session at once.
 */
export class Sessions {
  private readonly signer: Signer;
  constructor(
    sessionSecret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.signer = new Signer(portalKey(sessionSecret, 'session'));
  }

  create(user: string): { id: string; maxAgeSec: number } {
    const expires = this.now() + SESSION_TTL_MS;
    return { id: this.signer.sign(`${expires}|${user}`), maxAgeSec: SESSION_TTL_MS / 1000 };
  }

  user(id: string | undefined): string | undefined {
    if (!id) return undefined;
    let unsigned;
    try {
      unsigned = this.signer.unsign(id);
    } catch {
      return undefined;
    }
    if (!unsigned.valid) return undefined;
    const match = /^(\d{1,15})\|(.+)$/.exec(unsigned.value);
    if (!match || Number(match[1]) <= this.now()) return undefined;
    return normalizeUser(match[2]) === match[2] ? match[2] : undefined;
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

export function createAuthenticator(
  options: AuthOptions,
  sessions = new Sessions(options.sessionSecret),
): Authenticator {
  const header = options.trustedHeader.toLowerCase();
  // proxy-addr understands IPv4/IPv6, CIDRs, IPv4-mapped IPv6 and the names loopback / linklocal / uniquelocal.
  const trust = options.trustedProxies.length > 0 ? proxyaddr.compile(options.trustedProxies) : undefined;
  const tokenLogin = options.loginTokenSha256 !== undefined;
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
      // Sessions come only from token login: with it off, a cookie minted while it was on opens nothing.
      if (!tokenLogin) return undefined;
      // Outside the portal's routes (e.g. /requests/*) cookies are not parsed for us.
      const cookies = req.cookies ?? fastifyCookie.parse(req.headers.cookie ?? '');
      const user = sessions.user(cookies[SESSION_COOKIE]);
      return user ? { id: user, via: 'token' } : undefined;
    },
    sessions,
    tokenLogin,
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
