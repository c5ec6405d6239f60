// The login token (printed once, stored hashed), signed sessions, and which user names are accepted.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import {
  createAuthenticator,
  LOGIN_TOKEN_FILE,
  loginTokenHash,
  loginTokenMatches,
  normalizeUser,
  Sessions,
  SESSION_COOKIE,
  SESSION_TTL_MS,
} from '../../src/portal/auth';

test('the first start makes a token and keeps only its hash (owner-only); later starts read the hash', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portal-token-'));
  try {
    const first = await loginTokenHash(dir);
    expect(first.generatedToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const file = path.join(dir, LOGIN_TOKEN_FILE);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.sha256);
    expect((await readFile(file, 'utf8')).includes(first.generatedToken!)).toBe(false);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(loginTokenMatches(first.generatedToken!, first.sha256)).toBe(true);
    expect(loginTokenMatches(`${first.generatedToken!}x`, first.sha256)).toBe(false);

    const again = await loginTokenHash(dir);
    expect(again).toEqual({ sha256: first.sha256, file });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a session is a signed cookie: any instance with the secret accepts it until its expiry, nothing else does', () => {
  let now = 0;
  const sessions = new Sessions('s'.repeat(32), () => now);
  const a = sessions.create('alice@example.com');
  expect(a.maxAgeSec).toBe(SESSION_TTL_MS / 1000);
  // Another replica (another instance) with the same secret: the same user, with nothing stored anywhere.
  expect(new Sessions('s'.repeat(32), () => now).user(a.id)).toBe('alice@example.com');
  expect(new Sessions('t'.repeat(32), () => now).user(a.id)).toBeUndefined();
  expect(a.id).not.toContain('s'.repeat(32));
  // Tampering with the user or the expiry breaks the signature.
  const [value, sig] = [a.id.slice(0, a.id.lastIndexOf('.')), a.id.slice(a.id.lastIndexOf('.') + 1)];
  expect(sessions.user(`${value.replace('alice', 'admin')}.${sig}`)).toBeUndefined();
  expect(sessions.user(`9${value}.${sig}`)).toBeUndefined();
  expect(sessions.user('forged')).toBeUndefined();
  expect(sessions.user(undefined)).toBeUndefined();
  now = SESSION_TTL_MS - 1;
  expect(sessions.user(a.id)).toBe('alice@example.com');
  now = SESSION_TTL_MS;
  expect(sessions.user(a.id)).toBeUndefined();
});

test('user names are lower-cased and must not carry spaces, quotes, angle brackets or control characters', () => {
  expect(normalizeUser(' Alice@Example.COM ')).toBe('alice@example.com');
  for (const bad of ['', 'a b', 'a"b', '<script>', 'x\u0000y', 'a'.repeat(255), undefined, ['a@b.c']]) {
    expect(normalizeUser(bad)).toBeUndefined();
  }
});

test('with token login off, a session cookie minted while it was on opens nothing; the proxy header still does', () => {
  const secret = 's'.repeat(32);
  const cookie = new Sessions(secret).create('alice@example.com').id;
  const request = (headers: Record<string, string>, cookies: Record<string, string> = {}) =>
    ({ headers, cookies, socket: { remoteAddress: '127.0.0.1' } }) as unknown as FastifyRequest;
  const withCookie = request({}, { [SESSION_COOKIE]: cookie });
  const base = { trustedHeader: 'X-Forwarded-Email', trustedProxies: ['127.0.0.1'], sessionSecret: secret };
  expect(createAuthenticator({ ...base, loginTokenSha256: 'a'.repeat(64) }).identify(withCookie)).toEqual({
    id: 'alice@example.com',
    via: 'token',
  });
  const proxyOnly = createAuthenticator(base);
  expect(proxyOnly.identify(withCookie)).toBeUndefined();
  expect(proxyOnly.identify(request({ 'x-forwarded-email': 'bob@example.com' }))).toEqual({
    id: 'bob@example.com',
    via: 'proxy',
  });
});
