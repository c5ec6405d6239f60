// What every page handler gets: the services behind the portal and a way to answer with a page.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Logger } from '../logger';
import type { ApprovalPolicy } from '../policy/policy';
import type { Intake } from '../requests/intake';
import type { Authenticator, PortalUser } from './auth';
import type { DeciderRules } from './decisions';
import type { Directory } from './directory';
import type { Runs } from './runs';

export interface PortalContext {
  runs: Runs;
  intake: Intake;
  directory: Directory;
  auth: Authenticator;
  rules: DeciderRules;
  policy: ApprovalPolicy;
  /** Sign-in attempts per address per minute. */
  loginPerMinute: number;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the portal's authentication hook on every page and action it lets through. */
    portalUser?: PortalUser;
  }
}

/** The signed-in user (the authentication hook has already refused requests without one). */
export function userOf(req: FastifyRequest): PortalUser {
  if (!req.portalUser) throw new Error('portal route reached without a user');
  return req.portalUser;
}

const tokens = new WeakMap<FastifyRequest, string>();

/** What CSRF tokens of the login page are bound to: never a user name (those have no spaces). */
const NOBODY = 'not signed in';

/** The identity a CSRF token is bound to. */
export function csrfUserInfo(req: FastifyRequest): string {
  return req.portalUser?.id ?? NOBODY;
}

/**
 * The CSRF token for forms on this page, bound to the signed-in user (or to nobody, on the login page). One per
 * request: the first call may set the secret cookie, and a second would set another, voiding the first token.
 */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  let token = tokens.get(req);
  if (token === undefined) {
    token = reply.generateCsrf({ userInfo: csrfUserInfo(req) });
    tokens.set(req, token);
  }
  return token;
}

export function sendPage(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html>\n${renderToString(page)}`);
}

/** A part of a page (the live region), for the page's script to swap in. */
export function sendFragment(reply: FastifyReply, part: VNode): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderToString(part));
}
