// Signing in. Behind a single sign-on proxy nobody sees this page (the proxy's header says who they are); locally,
// the login token `npm start` printed once, plus the email to act as, opens a session.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeUser, SESSION_COOKIE } from '../auth';
import { csrfToken, sendPage, type PortalContext } from '../context';
import { formValues } from '../forms';
import { CsrfField, ErrorList } from '../views/components';
import { Layout } from '../views/layout';
import { rateLimit } from '../../requests/front-door';

const ORIGIN = 'http://portal.invalid';

/**
 * Only a path of this site, as a browser would read it: parsed as a URL against this origin, it must stay on it
 * (`//host`, `/\t/host` — browsers drop the tab — and `/\\host` would not), and no control character or backslash
 * may be in it at all. Anything else is `/`.
 */
export function safeNext(next: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof next !== 'string' || !next.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== ORIGIN || url.pathname.startsWith('//')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

export function loginPage(
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: PortalContext,
  opts: { status?: number; next?: string; error?: string; email?: string } = {},
): FastifyReply {
  const tokenLogin = ctx.auth.tokenLogin;
  return sendPage(
    reply,
    <Layout title="Sign in">
      <h1>Sign in</h1>
      {tokenLogin ? (
        <form method="post" action="/login" class="login" data-login-form="">
          <CsrfField token={csrfToken(req, reply)} />
          <input type="hidden" name="next" value={safeNext(opts.next)} />
          {opts.error ? (
            <div class="form-errors" role="alert" data-form-errors="">
              <ErrorList messages={[opts.error]} />
            </div>
          ) : null}
          <div class="field">
            <label for="token">Login token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required />
            <p class="hint">
              Printed once by <code>npm start</code> on its first start; delete{' '}
              <code>portal-login-token.sha256</code> in the data folder and restart for a new one.
            </p>
          </div>
          <div class="field">
            <label for="email">Your email</label>
            <input
              id="email"
              name="email"
              type="email"
              autocomplete="email"
              value={opts.email ?? ''}
              required
            />
            <p class="hint">Requests and decisions are recorded under it.</p>
          </div>
          <button type="submit" class="primary">
            Sign in
          </button>
        </form>
      ) : (
        <p class="message">
          Sign in through your organisation's single sign-on: this request did not come through it.
        </p>
      )}
    </Layout>,
    opts.status ?? 200,
  );
}

export function registerLogin(app: FastifyInstance, ctx: PortalContext): void {
  const open = { config: { portalPublic: true } };

  app.get<{ Querystring: { next?: string } }>('/login', open, async (req, reply) =>
    loginPage(req, reply, ctx, { ...(req.query.next ? { next: req.query.next } : {}) }),
  );

  // Per address: guessing the login token is slow work.
  const limited = { config: { portalPublic: true, ...rateLimit(ctx.loginPerMinute) } };
  app.post('/login', { ...limited, preHandler: app.csrfProtection }, async (req, reply) => {
    const values = formValues(req.body);
    const email = normalizeUser(values.email);
    const next = safeNext(values.next);
    if (!ctx.auth.tokenLogin) return loginPage(req, reply, ctx, { status: 401 });
    if (!values.token || !ctx.auth.loginTokenMatches(values.token)) {
      ctx.logger.warn({ ip: req.ip }, 'portal: wrong login token');
      return loginPage(req, reply, ctx, {
        status: 401,
        next,
        error: 'That is not the login token.',
        ...(values.email ? { email: values.email } : {}),
      });
    }
    if (!email || !email.includes('@')) {
      return loginPage(req, reply, ctx, { status: 400, next, error: 'Give your email address.' });
    }
    const session = ctx.auth.sessions.create(email);
    ctx.logger.info({ user: email }, 'portal: signed in with the login token');
    return reply
      .setCookie(SESSION_COOKIE, session.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: 'auto',
        maxAge: session.maxAgeSec,
      })
      .redirect(next, 303);
  });

  app.post('/logout', { preHandler: app.csrfProtection }, async (req, reply) => {
    // Nothing is stored: signing out clears this browser's cookie (a copied cookie lasts until its expiry).
    return reply
      .clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' })
      .redirect('/login', 303);
  });
}
