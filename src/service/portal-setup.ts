// The portal's settings as `npm start` and `npm run service` resolve them: who may approve, the approval policy, how
// people sign in (the session secret and login token, generated into the data folder only by `npm start`).
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { Logger } from '../logger';
import { loadApprovalPolicy, policyFingerprintText, type ApprovalPolicy } from '../policy/load';
import { createAuthenticator, loginTokenHash, type AuthOptions } from '../portal/auth';
import type { ANY_APPROVER } from '../shared/approval';
import { keyFile } from './data-folder';
import { StackError } from './dev-server';
import type { SharedValues } from './shared-settings';
import type { PortalStackOptions } from './stack/types';

type Env = Record<string, string | undefined>;
type Approvers = readonly string[] | typeof ANY_APPROVER;

export interface PreparedPortal {
  approvers: Approvers;
  auth: AuthOptions;
  trustedHeader: string;
  trustedProxies: string[];
  loginTokenFile?: string;
  generatedLoginToken?: string;
}

export interface FrontDoorSettings {
  policy: ApprovalPolicy;
  /** Absent without a portal. */
  portal?: PreparedPortal;
  /** Who the request is from (portal session or trusted proxy), for /requests/*. */
  viewer?: (req: FastifyRequest) => string | undefined;
}

export async function prepareFrontDoor(
  portalOptions: PortalStackOptions | undefined,
  ctx: { env: Env; dataDir: string; files: boolean; logger: Logger; policy?: ApprovalPolicy },
): Promise<FrontDoorSettings> {
  if (!portalOptions) return { policy: ctx.policy ?? loadApprovalPolicy(ctx.env, []) };
  const { env, dataDir, files, logger } = ctx;
  const trustedProxies = portalOptions.trustedProxies ?? [];
  const trustedHeader = portalOptions.trustedHeader ?? 'X-Forwarded-Email';
  const approvers = portalOptions.approvers ?? (trustedProxies.length ? [] : '*');
  if (approvers !== '*' && approvers.length === 0) {
    logger.warn('PORTAL_APPROVERS is not set: nobody can approve in the portal');
  }
  const sessionSecret =
    portalOptions.sessionSecret ??
    env.PORTAL_SESSION_SECRET ??
    (await keyFile(path.join(dataDir, 'portal-session-secret'), files ? undefined : 'PORTAL_SESSION_SECRET'))
      .value;
  const givenHash = portalOptions.loginTokenSha256 ?? env.PORTAL_LOGIN_TOKEN_SHA256;
  if (portalOptions.tokenLogin !== false && !givenHash && !files) {
    throw new StackError('PORTAL_LOGIN_TOKEN_SHA256 is required (or PORTAL_TOKEN_LOGIN=false)');
  }
  const token =
    portalOptions.tokenLogin === false
      ? undefined
      : givenHash
        ? { sha256: givenHash.toLowerCase(), file: undefined, generatedToken: undefined }
        : await loginTokenHash(dataDir);
  const auth: AuthOptions = {
    trustedHeader,
    trustedProxies,
    sessionSecret,
    ...(token ? { loginTokenSha256: token.sha256 } : {}),
  };
  const authenticator = createAuthenticator(auth);
  return {
    // Where the policy names no approvers, PORTAL_APPROVERS (or this default) do.
    policy: ctx.policy ?? loadApprovalPolicy(env, approvers),
    portal: {
      approvers,
      auth,
      trustedHeader,
      trustedProxies,
      ...(token?.file ? { loginTokenFile: token.file } : {}),
      ...(token?.generatedToken ? { generatedLoginToken: token.generatedToken } : {}),
    },
    viewer: (req) => authenticator.identify(req)?.id,
  };
}

/** What replicas must agree on, from the resolved settings. */
export function sharedValues(eventsSecret: string, settings: FrontDoorSettings): SharedValues {
  const portal = settings.portal;
  return {
    EVENTS_HMAC_SECRET: eventsSecret,
    PORTAL_SESSION_SECRET: portal?.auth.sessionSecret,
    PORTAL_LOGIN_TOKEN_SHA256: portal?.auth.loginTokenSha256,
    PORTAL_APPROVERS: portal
      ? portal.approvers === '*'
        ? '*'
        : [...portal.approvers].sort().join(',')
      : undefined,
    // Header names are case-insensitive; the proxies' order does not matter.
    PORTAL_TRUSTED_HEADER: portal?.trustedHeader.toLowerCase(),
    PORTAL_TRUSTED_PROXIES: portal ? [...portal.trustedProxies].sort().join(',') : undefined,
    APPROVAL_POLICY: policyFingerprintText(settings.policy),
  };
}
