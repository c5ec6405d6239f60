// The self-service portal, served at `/` by the events endpoint's Fastify app in its own encapsulated context, so
// its cookies, form parsing, CSRF checks, security headers and sign-in apply to its routes only. Server-rendered
// HTML (Preact on the server) with one small script; no build step.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logger';
import type { ApprovalPolicy } from '../policy/policy';
import type { Intake } from '../requests/intake';
import { LOGIN_ATTEMPTS_PER_MINUTE } from '../requests/front-door';
import { createAuthenticator, portalKey, type AuthOptions } from './auth';
import { csrfUserInfo, type PortalContext } from './context';
import type { Directory } from './directory';
import { registerAccessPage } from './pages/access';
import { registerApprovalsPage } from './pages/approvals';
import { messagePage } from './pages/errors';
import { registerExpiringPage } from './pages/expiring';
import { loginPage, registerLogin } from './pages/login';
import { registerNewAccessPage } from './pages/new-access';
import { registerNewCaRotationPage } from './pages/new-ca-rotation';
import { registerNewNamespacePage } from './pages/new-namespace';
import { registerNewOffboardingPage } from './pages/new-offboarding';
import { registerNewRotationPage } from './pages/new-rotation';
import { registerRequestPage } from './pages/request';
import { registerRequestsPage } from './pages/requests';
import { createRuns } from './runs';

export interface PortalOptions {
  client: Client;
  taskQueue: string;
  /** The same intake as the events endpoint: one start path. */
  intake: Intake;
  directory: Directory;
  logger: Logger;
  /** Temporal Web UI base URL, for links. */
  uiUrl?: string;
  /** Lower-cased users who may decide, or '*' for everyone signed in. Nobody decides on their own request. */
  approvers: readonly string[] | '*';
  /** Who must approve what: the forms show it before anything is submitted. */
  policy: ApprovalPolicy;
  auth: AuthOptions;
  /** Sign-in attempts per address per minute; default 10. */
  loginPerMinute?: number;
}

export const CSRF_COOKIE = 'portal_csrf';

/**
 * Script and styles from our own origin only; no inline script or style, no frames, forms post only here. The
 * `data:` image is the empty favicon.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

const ASSETS: Record<string, { type: string; body: string }> = Object.fromEntries(
  [
    ['portal.css', 'text/css; charset=utf-8'],
    ['portal.js', 'text/javascript; charset=utf-8'],
  ].map(([name, type]) => [
    name!,
    { type: type!, body: readFileSync(path.join(__dirname, 'assets', name!), 'utf8') },
  ]),
);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without signing in (the login page, styles and script). */
    portalPublic?: boolean;
  }
}

/** Every page, in the order its routes are declared. */
const PAGES = [
  registerLogin,
  registerRequestsPage,
  registerRequestPage,
  registerNewNamespacePage,
  registerNewRotationPage,
  registerNewCaRotationPage,
  registerNewOffboardingPage,
  registerNewAccessPage,
  registerAccessPage,
  registerApprovalsPage,
  registerExpiringPage,
];

export async function registerPortal(app: FastifyInstance, opts: PortalOptions): Promise<void> {
  await app.register(async (portal) => {
    const ctx = portalContext(opts);
    await registerProtections(portal, opts.auth);
    refuseCrossSite(portal, ctx);
    requireSignIn(portal, ctx);
    portal.setErrorHandler(errorHandler(ctx));
    for (const [name, asset] of Object.entries(ASSETS)) {
      portal.get(`/assets/${name}`, { config: { portalPublic: true } }, async (_req, reply) =>
        reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body),
      );
    }
    for (const register of PAGES) register(portal, ctx);
  });
}

function portalContext(opts: PortalOptions): PortalContext {
  const rules = { approvers: opts.approvers };
  return {
    runs: createRuns({
      client: opts.client,
      taskQueue: opts.taskQueue,
      rules,
      ...(opts.uiUrl ? { uiUrl: opts.uiUrl } : {}),
    }),
    intake: opts.intake,
    directory: opts.directory,
    auth: createAuthenticator(opts.auth),
    rules,
    policy: opts.policy,
    loginPerMinute: opts.loginPerMinute ?? LOGIN_ATTEMPTS_PER_MINUTE,
    logger: opts.logger.child({ component: 'portal' }),
  };
}

/** Cookies, form bodies, security headers and CSRF tokens, for the portal's routes only. */
async function registerProtections(portal: FastifyInstance, auth: AuthOptions): Promise<void> {
  await portal.register(fastifyCookie);
  await portal.register(fastifyFormbody);
  await portal.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    referrerPolicy: { policy: 'same-origin' },
  });
  // Double-submit: a secret in an HttpOnly, SameSite=Strict cookie and a token in every form, HMAC-bound to the
  // signed-in user, so a token lifted from one user's page does not work for another. The HMAC key comes from the
  // shared session secret, so a form served by one replica is accepted by any other.
  await portal.register(fastifyCsrf, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: 'auto' },
    getUserInfo: csrfUserInfo,
    csrfOpts: { hmacKey: portalKey(auth.sessionSecret, 'csrf').toString('base64') },
  });
}

/**
 * A browser says where a request comes from: a form posted from any other site (or another port of this one) is
 * refused before anything else, whatever cookies it carries. Tokens still guard browsers that do not say.
 */
function refuseCrossSite(portal: FastifyInstance, { logger }: PortalContext): void {
  portal.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      logger.warn({ url: req.url, site, origin: req.headers.origin }, 'portal: cross-site request refused');
      return forbidden(req, reply, 'This form was sent from another site and was refused.');
    }
  });
}

/** Who is asking; without an answer, the login page (401) and never data. */
function requireSignIn(portal: FastifyInstance, ctx: PortalContext): void {
  portal.addHook('preHandler', async (req, reply) => {
    const user = ctx.auth.identify(req);
    if (user) req.portalUser = user;
    if (user || req.routeOptions.config.portalPublic) return;
    return loginPage(req, reply, ctx, { status: 401, next: req.method === 'GET' ? req.url : '/' });
  });
}

function errorHandler({ logger }: PortalContext) {
  return (
    err: { statusCode?: number; code?: string; message: string },
    req: FastifyRequest,
    reply: FastifyReply,
  ) => {
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      logger.warn({ url: req.url, user: req.portalUser?.id }, 'portal: request without a valid CSRF token');
      return forbidden(
        req,
        reply,
        'This form did not come from a page of this portal, or it is too old. Go back, reload the page and try again.',
      );
    }
    const status = err.statusCode ?? 500;
    if (status < 500) return messagePage(req, reply, status, 'Not done', err.message);
    logger.error({ err, url: req.url }, 'portal error');
    return messagePage(req, reply, 500, 'Something went wrong', 'The portal could not do that; see its log.');
  };
}

function forbidden(req: FastifyRequest, reply: FastifyReply, message: string): FastifyReply {
  return messagePage(req, reply, 403, 'Refused', message);
}

export { createDirectory } from './directory';
export { loginTokenHash, LOGIN_TOKEN_FILE } from './auth';
