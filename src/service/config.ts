// Configuration of `npm start` / `npm run demo` (the embedded stack), read from the environment. The
// worker's own variables (OPS_API_*, TASK_QUEUE, ...) stay in src/config.ts.
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { parseEnv } from '../config';
import type { PortalStackOptions } from './stack/types';

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int({ error: 'must be a port number' })
  .min(0, { error: 'must be from 0 to 65535' })
  .max(65535, { error: 'must be from 0 to 65535' });

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be host:port, e.g. 127.0.0.1:9464' })
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, { error: 'port must be at most 65535' });

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', '1', 'on', 'yes'].includes(v));

const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const serviceEnv = z.object({
  /** Where the dev server DB, emulator state, generated keys and secrets (file sink) live (`npm start` only). */
  DATA_DIR: z.string().min(1).default('.data'),
  /** An existing Temporal server; when unset an embedded dev server is started. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  /** Port of the embedded dev server (its Web UI is this + 1000). */
  TEMPORAL_PORT: port.default(7233),
  /** An existing Ops API (or emulator); when unset the emulator runs in-process. */
  OPS_API_URL: z.url({ error: 'must be a URL' }).optional(),
  EMULATOR_PORT: port.default(7243),
  EVENTS_HOST: z.string().min(1).default('127.0.0.1'),
  EVENTS_PORT: port.default(8787),
  /** Shared secret of the events endpoint; generated and kept in DATA_DIR when unset. */
  EVENTS_HMAC_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  EVENTS_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
  /** Base URL put in `statusUrl` (e.g. behind a proxy); default http://EVENTS_HOST:EVENTS_PORT. */
  EVENTS_PUBLIC_URL: z.url({ error: 'must be a URL' }).optional(),
  /** host:port of the Prometheus endpoint for SDK and Ops API metrics; off when unset. */
  METRICS_ADDRESS: hostPort.optional(),
  /** Base of links to the Temporal Web UI when TEMPORAL_ADDRESS is given (the dev server's UI otherwise). */
  TEMPORAL_UI_URL: z.url({ error: 'must be a URL' }).optional(),
  /** The portal at `/` of the events endpoint. */
  PORTAL_ENABLED: flag(true),
  /** Who may approve: emails (or the proxy's user names), comma-separated, or `*` for everyone signed in. */
  PORTAL_APPROVERS: commaList.optional(),
  /** The header the single sign-on proxy puts the user in. */
  PORTAL_TRUSTED_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { error: 'must be a header name, e.g. X-Forwarded-Email' })
    .default('X-Forwarded-Email'),
  /** Addresses of the proxy (IPs, CIDRs, `loopback`); its header is believed only from these. */
  PORTAL_TRUSTED_PROXIES: commaList
    .refine(compiles, {
      error: 'must be IP addresses or CIDRs (or loopback, linklocal, uniquelocal), comma-separated',
    })
    .default([]),
  /** Signing in with the login token `npm start` prints once. */
  PORTAL_TOKEN_LOGIN: flag(true),
  /** Signs session cookies and CSRF tokens; shared by every replica. Generated into DATA_DIR by `npm start`. */
  PORTAL_SESSION_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  /** SHA-256 (hex) of the login token, for replicas; `npm start` keeps it in DATA_DIR instead. */
  PORTAL_LOGIN_TOKEN_SHA256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hex digits (sha256 of the token)' })
    .optional(),
  /** On SIGTERM, seconds readiness fails before the server closes; default 0 for `npm start`, 10 for `npm run service`. */
  DRAIN_SECONDS: z.coerce.number().min(0).max(600).optional(),
});

/** What `npm run service` (a replica of the front door) must be given: nothing is generated or kept per replica. */
export function frontDoorProblems(config: ServiceConfig, env: Record<string, string | undefined>): string[] {
  const missing = (name: string, why: string) => (env[name] ? [] : [`${name}: is required ${why}`]);
  return [
    ...(config.TEMPORAL_ADDRESS ? [] : ['TEMPORAL_ADDRESS: is required (the Temporal every replica shares)']),
    ...(config.OPS_API_URL ? [] : ["OPS_API_URL: is required (the forms' pickers read the Ops API)"]),
    ...missing('OPS_API_KEY', "(the forms' pickers only read with it)"),
    ...(config.EVENTS_HMAC_SECRET ? [] : ['EVENTS_HMAC_SECRET: is required (the same on every replica)']),
    // Its fingerprint is readable by anyone who can read the namespace: too short a secret could be guessed offline.
    ...(config.EVENTS_HMAC_SECRET && config.EVENTS_HMAC_SECRET.length < 32
      ? [
          'EVENTS_HMAC_SECRET: must be at least 32 characters with `npm run service` (e.g. openssl rand -base64 32)',
        ]
      : []),
    ...(config.PORTAL_ENABLED && !config.PORTAL_SESSION_SECRET
      ? ['PORTAL_SESSION_SECRET: is required with the portal (the same on every replica)']
      : []),
    ...(config.PORTAL_ENABLED && config.PORTAL_TOKEN_LOGIN && !config.PORTAL_LOGIN_TOKEN_SHA256
      ? ['PORTAL_LOGIN_TOKEN_SHA256: is required with token login (or set PORTAL_TOKEN_LOGIN=false)']
      : []),
  ];
}

export type ServiceConfig = z.output<typeof serviceEnv>;

/** The portal's part of the stack options, from the variables; false when PORTAL_ENABLED is off. */
export function portalStackOptions(config: ServiceConfig): PortalStackOptions | false {
  if (!config.PORTAL_ENABLED) return false;
  const approvers = config.PORTAL_APPROVERS;
  return {
    // Unset: the stack's default (everyone with the local token; nobody behind a proxy until configured).
    ...(approvers
      ? { approvers: approvers.includes('*') ? '*' : approvers.map((a) => a.toLowerCase()) }
      : {}),
    trustedHeader: config.PORTAL_TRUSTED_HEADER,
    trustedProxies: config.PORTAL_TRUSTED_PROXIES,
    tokenLogin: config.PORTAL_TOKEN_LOGIN,
    ...(config.PORTAL_SESSION_SECRET ? { sessionSecret: config.PORTAL_SESSION_SECRET } : {}),
    ...(config.PORTAL_LOGIN_TOKEN_SHA256 ? { loginTokenSha256: config.PORTAL_LOGIN_TOKEN_SHA256 } : {}),
  };
}

export function loadServiceConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  const config = parseEnv(serviceEnv, env);
  return { ...config, DATA_DIR: path.resolve(config.DATA_DIR) };
}

/** Whether proxy-addr (what the portal trusts the proxies with) takes the list. */
function compiles(list: string[]): boolean {
  try {
    proxyaddr.compile(list);
    return true;
  } catch {
    return false;
  }
}
