// The frame of every page: navigation, who is signed in, and a skip link for keyboard users. Styles and the one
// script are files of our own origin (the Content Security Policy allows nothing else).
import type { ComponentChildren } from 'preact';
import { CsrfField } from './components';

export type NavItem =
  'requests' | 'namespace' | 'rotation' | 'ca-rotation' | 'offboarding' | 'access' | 'approvals' | 'expiring';

const NAV: Array<{ id: NavItem; href: string; label: string }> = [
  { id: 'requests', href: '/', label: 'Requests' },
  { id: 'namespace', href: '/new/namespace', label: 'Request a namespace' },
  { id: 'rotation', href: '/new/rotation', label: 'Rotate an API key' },
  { id: 'ca-rotation', href: '/new/ca-rotation', label: 'Roll over an mTLS CA' },
  { id: 'offboarding', href: '/new/offboarding', label: 'Offboard a user' },
  { id: 'access', href: '/access', label: 'Temporary access' },
  { id: 'approvals', href: '/approvals', label: 'Approvals' },
  { id: 'expiring', href: '/expiring', label: 'Expiring soon' },
];

export interface LayoutProps {
  title: string;
  /** Signed-in user; absent on the login page. */
  user?: string;
  /** The CSRF token for the sign-out form. */
  csrf?: string;
  current?: NavItem;
  /** A one-line confirmation at the top ("Approved."). */
  flash?: string;
  children: ComponentChildren;
}

export function Layout({ title, user, csrf, current, flash, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Cloud Ops portal`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/portal.css" />
        <script src="/assets/portal.js" defer />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            Cloud Ops portal
          </a>
          {user ? (
            <nav aria-label="Portal">
              <ul>
                {NAV.map((item) => (
                  <li>
                    <a href={item.href} aria-current={item.id === current ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {user && csrf ? (
            <form method="post" action="/logout" class="who">
              <CsrfField token={csrf} />
              <span class="user" data-user={user}>
                {user}
              </span>{' '}
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          {flash ? (
            <p class="flash" role="status">
              {flash}
            </p>
          ) : null}
          {children}
        </main>
      </body>
    </html>
  );
}
