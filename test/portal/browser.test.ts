// The portal in a real headless Chromium (from npm packages; see test/helpers/browser.ts) against the whole service:
// sign in, request a namespace (a bad field first), watch it complete without reloading, approve an offboarding as
// an approver after being refused as its requester, reject another, labels that break only between words at 1280 px,
// a request hidden from a user who may not see it, and a forged cross-site form refused. A failed test leaves a
// screenshot of every open page in test-artifacts/portal/.
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Browser, Page, Viewport } from 'puppeteer-core';
import { launchBrowser, navigating, repoRoot, textOf } from '../helpers/browser';
import { startPortalStack, type PortalStack } from '../helpers/portal';
import { exists as runExists } from './support';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';

let portal: PortalStack;
let browser: Browser;
// Alice signs in with the login token (a session cookie). Bob and Carol come through the single sign-on proxy (its
// header), each in a browser context of their own; Carol neither asked for nor may decide on anything of the others'.
let alice: Page, bob: Page, carol: Page;

/** A page of its own browser context whose requests come from the proxy, as `email`. */
async function behindProxy(email: string): Promise<Page> {
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setExtraHTTPHeaders({ 'X-Forwarded-Email': email });
  return page;
}

beforeAll(async () => {
  // The browser first: its one-time extraction must not overlap anything else of this process.
  browser = await launchBrowser();
  portal = await startPortalStack({ approvers: [ALICE, BOB], trustedProxies: ['127.0.0.1'] });
  alice = await browser.newPage();
  [bob, carol] = [await behindProxy(BOB), await behindProxy(CAROL)];
});

afterAll(async () => {
  await browser?.close();
  await portal?.close();
});

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'portal');

/** A test that, when it fails, saves what each open page showed. */
function browserTest(name: string, fn: () => Promise<void>, timeoutMs = 90_000): void {
  test(
    name,
    async () => {
      try {
        await fn();
      } catch (err) {
        await mkdir(ARTIFACTS, { recursive: true });
        const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
        const pages = await browser.pages();
        for (const [i, page] of pages.entries()) {
          await page
            .screenshot({ path: path.join(ARTIFACTS, `${slug}-${i}.png`) as `${string}.png`, fullPage: true })
            .catch(() => undefined);
        }
        throw err;
      }
    },
    timeoutMs,
  );
}

const url = (p: string) => `${portal.base}${p}`;

const exists = (workflowId: string) => runExists(portal, workflowId);

/** Runs `fn` with `page` at another size, then back at the laptop's. */
async function atSize(page: Page, viewport: Viewport, fn: () => Promise<void>): Promise<void> {
  await page.setViewport(viewport);
  try {
    await fn();
  } finally {
    await page.setViewport({ width: 1200, height: 900 });
  }
}

/**
 * Where the text of the elements matching `selector` is broken across lines inside a word (between two characters
 * that are neither space nor a hyphen or slash before the break), as `text` with a `/` at each such break.
 */
async function midWordBreaks(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (elements) =>
    elements.flatMap((element) => {
      const chars: Array<{ c: string; top: number }> = [];
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.textContent!.length; i++) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const rect = range.getClientRects()[0];
          chars.push({ c: node.textContent![i]!, top: rect ? Math.round(rect.top) : NaN });
        }
      }
      let shown = '';
      let broken = false;
      chars.forEach(({ c, top }, i) => {
        const before = chars[i - 1];
        const wordGoesOn = before && /\S/.test(c) && /[^\s/-]/.test(before.c);
        if (wordGoesOn && top > before.top + 2) {
          shown += '/';
          broken = true;
        }
        shown += c;
      });
      return broken ? [shown.trim()] : [];
    }),
  );
}

/** Requests an offboarding with approval as `page`'s user; ends on its request page. */
async function requestOffboarding(page: Page, email: string): Promise<void> {
  await page.goto(url('/new/offboarding'));
  await page.type('#f-email', email);
  await page.$eval('#f-approvalTimeout', (el) => ((el as HTMLInputElement).value = '1h'));
  await navigating(page, () => page.click('form[data-request-form] button[type=submit]'));
}

browserTest(
  'a page without a session shows the login page; the token signs in, by keyboard alone',
  async () => {
    await alice.goto(url('/approvals'));
    await alice.waitForSelector('form[data-login-form]');
    expect(await textOf(alice, 'h1')).toBe('Sign in');
    expect(await alice.$('nav')).toBeNull();

    // The first Tab reaches the skip link; following it, the next Tab is the first field of the page.
    await alice.keyboard.press('Tab');
    expect(await alice.evaluate(() => document.activeElement?.className)).toBe('skip');
    await alice.keyboard.press('Enter');
    await alice.keyboard.press('Tab');
    expect(await alice.evaluate(() => document.activeElement?.id)).toBe('token');
    await alice.keyboard.type(portal.loginToken);
    await alice.keyboard.press('Tab');
    await alice.keyboard.type(ALICE);
    await navigating(alice, () => alice.keyboard.press('Enter'));

    expect(new URL(alice.url()).pathname).toBe('/approvals'); // Back where they were going.
    expect(await textOf(alice, '.user')).toBe(ALICE);
  },
);

browserTest(
  'a bad field shows its error and starts nothing; a good request starts and completes live',
  async () => {
    await alice.goto(url('/new/namespace'));
    await alice.type('#f-name', 'Payments_Dev');
    await alice.select('#f-region', 'aws-us-east-1');
    await navigating(alice, () => alice.click('form[data-request-form] button[type=submit]'));
    await alice.waitForSelector('[data-errors-for="name"] li');
    expect(await textOf(alice, '[data-errors-for="name"] li')).toMatch(/^must be 2–39 characters/);
    expect(await alice.$eval('#f-name', (el) => el.getAttribute('aria-invalid'))).toBe('true');
    // The error summary has focus, so a screen reader says it first.
    expect(await alice.evaluate(() => document.activeElement?.hasAttribute('data-form-errors'))).toBe(true);
    expect(await exists('provision-namespace/Payments_Dev')).toBe(false);

    await alice.$eval('#f-name', (el) => ((el as HTMLInputElement).value = 'payments-dev'));
    await alice.$eval('#f-retentionDays', (el) => ((el as HTMLInputElement).value = '7'));
    await navigating(alice, () => alice.click('form[data-request-form] button[type=submit]'));
    expect(new URL(alice.url()).pathname).toBe(
      `/runs/${encodeURIComponent('provision-namespace/payments-dev')}`,
    );
    expect(await exists('provision-namespace/payments-dev')).toBe(true);

    // No reload from here on: the page's script swaps in the live part until the run is done.
    await alice.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await alice.waitForSelector('#live[data-status="COMPLETED"]', { timeout: 60_000 });
    expect(await alice.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    const steps = await alice.$$eval('#live ol.timeline li', (lis) =>
      lis.map((li) => li.getAttribute('data-state')),
    );
    expect(steps.every((s) => s === 'done')).toBe(true);
    expect(await textOf(alice, '.secret-ref')).toMatch(
      /handed to the secret sink as file:api-keys\/\S+; it is never/,
    );
    expect(await alice.content()).not.toMatch(/tmprl_/); // Never the token.
    // Times are in the viewer's local time (UTC only without the script).
    const started = await alice.$eval('time[data-local]', (el) => ({
      text: el.textContent,
      iso: el.getAttribute('title'),
    }));
    expect(started.iso).toMatch(/Z$/);
    expect(started.text).not.toContain('UTC');
  },
);

browserTest(
  'the requests list reads on a phone: no sideways scrolling, no label broken inside a word',
  async () => {
    await atSize(alice, { width: 390, height: 844, isMobile: true, hasTouch: true }, async () => {
      await alice.goto(url('/'));
      await alice.waitForSelector('tr[data-workflow-id="provision-namespace/payments-dev"]');
      expect(await alice.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
        true,
      );
      const labels = '.badge, .kind, td[data-label="Requested by"], td[data-label="Step"], time';
      expect(await midWordBreaks(alice, labels)).toEqual([]);
    });
  },
);

browserTest('the requester is refused; an approver approves the offboarding and it completes', async () => {
  const email = 'leaver@example.com';
  await portal.seedUser(email);
  await requestOffboarding(alice, email);
  // The decision appears on the request page by itself once the run reaches it.
  await alice.waitForSelector('#live form.decision');
  expect(await textOf(alice, '#live form.decision .note')).toContain('you requested this yourself');
  expect(await alice.$eval('#live form.decision button[value="approve"]', (b) => b.disabled)).toBe(true);
  // Even a button forced back on is refused by the server.
  await alice.$eval('#live form.decision button[value="approve"]', (b) => (b.disabled = false));
  await navigating(alice, () => alice.click('#live form.decision button[value="approve"]'));
  expect(await textOf(alice, '.message')).toBe(
    'Refused: you requested this yourself: another approver has to decide.',
  );
  expect(
    await portal.stack.client.workflow.getHandle(`offboard-user/${email}`).query('status'),
  ).toMatchObject({
    step: 'awaiting-approval',
  });

  await bob.goto(url('/approvals'));
  const card = `li.card[data-workflow-id="offboard-user/${email}"]`;
  await bob.waitForSelector(card);
  expect(await textOf(bob, `${card} .subject`)).toContain(`Remove ${email} and 1 API key`);
  await bob.type(`${card} input[name=comment]`, 'left the company');
  await navigating(bob, () => bob.click(`${card} button[value="approve"]`));
  expect(await textOf(bob, '.flash')).toBe('Approved.');
  await bob.waitForSelector('#live[data-status="COMPLETED"]', { timeout: 60_000 });
  expect(await textOf(bob, '#result')).toMatch(/By\s+bob@example\.com/);
  const users = portal.stack.opsApi.emulator!.snapshot().users.map((u) => u.spec.email);
  expect(users).not.toContain(email);
});

browserTest('an approver rejects an offboarding: nothing is removed', async () => {
  const email = 'stays@example.com';
  await portal.seedUser(email);
  await requestOffboarding(alice, email);
  await alice.waitForSelector('#live form.decision');

  await bob.goto(url('/approvals'));
  const card = `li.card[data-workflow-id="offboard-user/${email}"]`;
  await bob.waitForSelector(card);
  await bob.type(`${card} input[name=comment]`, 'still on call');
  await navigating(bob, () => bob.click(`${card} button[value="reject"]`));
  await bob.waitForSelector('#live[data-status="COMPLETED"]', { timeout: 60_000 });
  expect(await textOf(bob, '#live li[data-step="completed"] .step-label')).toBe(`Rejected by ${BOB}`);
  expect(
    await bob.$$eval('#live li[data-state="skipped"]', (lis) => lis.map((li) => li.dataset.step)),
  ).toEqual(['deleting-api-keys', 'leaving-groups', 'deleting-user']);
  // The requester's page followed by itself.
  await alice.waitForSelector('#live[data-status="COMPLETED"]');
  const state = portal.stack.opsApi.emulator!.snapshot();
  expect(state.users.map((u) => u.spec.email)).toContain(email);
  expect(state.apiKeys.filter((k) => k.spec.displayName === `${email}-laptop`)).toHaveLength(1);
});

browserTest(
  'at 1280 px, labels break only between words and the long ids fit without sideways scrolling',
  async () => {
    const accountId = await portal.seedServiceAccount('a-deployer-with-a-long-name');
    await alice.goto(url('/new/rotation'));
    await alice.select('#f-owner', `service-account:${accountId}`);
    await navigating(alice, () => alice.click('form[data-request-form] button[type=submit]'));
    // In its grace period, the cut-over waits for a decision.
    await alice.waitForSelector('#live form.decision', { timeout: 60_000 });
    await atSize(alice, { width: 1280, height: 900 }, async () => {
      await alice.goto(url('/'));
      await alice.waitForSelector(
        `tr[data-workflow-id="rotate-api-key/service-account/${accountId}"] .badge`,
      );
      // A running and a completed request at least, so both badges are there.
      expect(await alice.$$eval('.badge', (els) => els.map((e) => e.textContent))).toEqual(
        expect.arrayContaining(['Running', 'Completed']),
      );
      const labels = '.badge, .kind, .user, th, td[data-label="Requested by"], td[data-label="Step"], time';
      expect(await midWordBreaks(alice, labels)).toEqual([]);
      // The page holds the long id without scrolling sideways.
      expect(await alice.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
        true,
      );
      await alice.goto(url('/approvals'));
      await alice.waitForSelector('li.card');
      expect(await midWordBreaks(alice, '.kind, .user, .card .muted, button')).toEqual([]);
    });
  },
);

browserTest("someone else's request is not there for a user who may not decide on it", async () => {
  const email = 'private-leaver@example.com';
  await portal.seedUser(email);
  await requestOffboarding(alice, email);
  await alice.waitForSelector('#live form.decision');
  const requestPage = alice.url();

  await carol.goto(url('/'));
  expect(await textOf(carol, '.user')).toBe(CAROL);
  expect(await carol.$(`tr[data-workflow-id="offboard-user/${email}"]`)).toBeNull();
  expect(await carol.content()).not.toContain(email);
  await carol.goto(requestPage);
  expect(await textOf(carol, 'h1')).toBe('No such request');
  expect(await carol.$('#live')).toBeNull();
  await carol.goto(url('/approvals'));
  expect(await carol.content()).not.toContain(email);

  // Its requester and an approver see it.
  await alice.goto(url('/'));
  await alice.waitForSelector(`tr[data-workflow-id="offboard-user/${email}"]`);
  await bob.goto(requestPage);
  await bob.waitForSelector('#live form.decision');
  await navigating(bob, () => bob.click('#live form.decision button[value="reject"]'));
  await bob.waitForSelector('#live[data-status="COMPLETED"]', { timeout: 60_000 });
});

browserTest('a form posted from another site is refused, with the session cookie and all', async () => {
  const email = 'target@example.com';
  await portal.seedUser(email);
  // Same host, other port: the same site to the browser (so Strict cookies go along), not the same origin.
  const evil = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(
      `<form id="f" method="post" action="${url('/new/offboarding')}">` +
        `<input name="email" value="${email}"><input name="deleteUser" value="on">` +
        `</form><script>document.getElementById('f').submit()</script>`,
    );
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  try {
    const port = (evil.address() as { port: number }).port;
    await alice.goto(`http://127.0.0.1:${port}/`);
    await alice.waitForSelector('.message');
    expect(await textOf(alice, 'h1')).toBe('Refused');
    expect(await textOf(alice, '.message')).toContain('sent from another site');
  } finally {
    await new Promise((resolve) => evil.close(resolve));
  }
  expect(await exists(`offboard-user/${email}`)).toBe(false);
  expect(portal.stack.opsApi.emulator!.snapshot().users.map((u) => u.spec.email)).toContain(email);
});
