// The portal's variables: what `npm start` reads and what the stack gets.
import { ConfigError } from '../../src/config';
import { loadServiceConfig, portalStackOptions } from '../../src/service/config';

test('by default the portal is on, with token login, the oauth2-proxy header and no trusted proxy', () => {
  expect(portalStackOptions(loadServiceConfig({}))).toEqual({
    trustedHeader: 'X-Forwarded-Email',
    trustedProxies: [],
    tokenLogin: true,
  });
});

test('approvers, proxies and switches from the environment', () => {
  const config = loadServiceConfig({
    PORTAL_APPROVERS: ' Alice@Example.com, bob@example.com ,',
    PORTAL_TRUSTED_PROXIES: '10.0.0.5, 192.168.0.0/16,loopback',
    PORTAL_TRUSTED_HEADER: 'X-Auth-Request-Email',
    PORTAL_TOKEN_LOGIN: 'false',
    TEMPORAL_UI_URL: 'https://cloud.temporal.io',
  });
  expect(portalStackOptions(config)).toEqual({
    approvers: ['alice@example.com', 'bob@example.com'],
    trustedHeader: 'X-Auth-Request-Email',
    trustedProxies: ['10.0.0.5', '192.168.0.0/16', 'loopback'],
    tokenLogin: false,
  });
  expect(config.TEMPORAL_UI_URL).toBe('https://cloud.temporal.io');
  expect(portalStackOptions(loadServiceConfig({ PORTAL_APPROVERS: '*' }))).toMatchObject({ approvers: '*' });
  expect(portalStackOptions(loadServiceConfig({ PORTAL_ENABLED: 'off' }))).toBe(false);
});

test('a proxy list or header name that cannot work is a configuration error naming the variable', () => {
  expect(() => loadServiceConfig({ PORTAL_TRUSTED_PROXIES: '10.0.0.5,proxy.example.com' })).toThrow(
    /PORTAL_TRUSTED_PROXIES: must be IP addresses or CIDRs/,
  );
  expect(() => loadServiceConfig({ PORTAL_TRUSTED_HEADER: 'X Forwarded Email' })).toThrow(ConfigError);
  expect(() => loadServiceConfig({ PORTAL_TOKEN_LOGIN: 'maybe' })).toThrow(
    /PORTAL_TOKEN_LOGIN: must be true or false/,
  );
});

test('the shared secrets of replicas come from the environment, checked before anything starts', () => {
  const hash = 'ab'.repeat(32);
  expect(
    portalStackOptions(
      loadServiceConfig({ PORTAL_SESSION_SECRET: 's'.repeat(32), PORTAL_LOGIN_TOKEN_SHA256: hash }),
    ),
  ).toMatchObject({ sessionSecret: 's'.repeat(32), loginTokenSha256: hash });
  expect(() => loadServiceConfig({ PORTAL_SESSION_SECRET: 'short' })).toThrow(
    /PORTAL_SESSION_SECRET: must be at least 32 characters/,
  );
  expect(() => loadServiceConfig({ PORTAL_LOGIN_TOKEN_SHA256: 'not-a-hash' })).toThrow(
    /PORTAL_LOGIN_TOKEN_SHA256: must be 64 hex digits/,
  );
  expect(() => loadServiceConfig({ DRAIN_SECONDS: '-1' })).toThrow(/DRAIN_SECONDS/);
});
