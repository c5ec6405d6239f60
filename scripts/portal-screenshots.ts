// `npm run screenshots`: the pictures of the portal in docs/portal.md, made the way the browser tests work — a
// throw-away stack (dev server, emulator, worker, portal) on free ports, driven in the headless Chromium of the dev
// dependencies — and written to docs/portal/. Times are shown in UTC so the pictures do not depend on where they
// were made.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { main as provisionNamespace } from '../src/starters/provision-namespace';
import { launchBrowser, navigating, repoRoot } from '../test/helpers/browser';
import { startPortalStack } from '../test/helpers/portal';
import { runMain } from '../test/starters/run-starter';

const OUT = path.join(repoRoot, 'docs', 'portal');
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
/** A laptop's window, where the portal's tables once broke words. */
const LAPTOP = { width: 1280, height: 900 };

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const browser = await launchBrowser();
  // Operations of a few seconds, so a request can be caught on its way.
  const portal = await startPortalStack(
    { approvers: [ALICE, BOB], trustedProxies: ['127.0.0.1'] },
    { asyncOperationDurationMs: 4_000, checkDurationMs: 1_000 },
    true,
  );
  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: path.join(OUT, `${name}.png`) as `${string}.png`, fullPage: true });
    process.stdout.write(`docs/portal/${name}.png\n`);
  };
  try {
    const url = (p: string) => `${portal.base}${p}`;
    const alice = await browser.newPage();
    await alice.setViewport(LAPTOP);
    await alice.emulateTimezone('UTC');
    await alice.goto(url('/'));
    await shot(alice, 'login');
    await alice.type('#token', portal.loginToken);
    await alice.type('#email', ALICE);
    await navigating(alice, () => alice.click('form[data-login-form] button[type=submit]'));

    // A request with a mistake, then the right one, followed until it completes.
    await alice.goto(url('/new/namespace'));
    await alice.type('#f-name', 'Payments_Prod');
    await alice.select('#f-region', 'aws-us-east-1');
    await alice.$eval('#f-retentionDays', (el) => ((el as HTMLInputElement).value = '0'));
    await navigating(alice, () => alice.click('form[data-request-form] button[type=submit]'));
    await shot(alice, 'request-namespace-errors');
    await alice.$eval('#f-name', (el) => ((el as HTMLInputElement).value = 'payments-prod'));
    await alice.$eval('#f-retentionDays', (el) => ((el as HTMLInputElement).value = '30'));
    await navigating(alice, () => alice.click('form[data-request-form] button[type=submit]'));
    await alice.waitForSelector(
      '#live li[data-step="creating-service-account"][data-state="current"], #live li[data-step="waiting-for-service-account"][data-state="current"]',
      { timeout: 60_000 },
    );
    await shot(alice, 'request-running');
    await alice.waitForSelector('#live[data-status="COMPLETED"]', { timeout: 120_000 });
    await shot(alice, 'request-completed');

    // Things waiting for a decision: an offboarding and a rotation's cut-over.
    await portal.seedUser('jo@example.com');
    const accountId = await portal.seedServiceAccount('ci-deployer');
    await alice.goto(url('/new/offboarding'));
    await alice.type('#f-email', 'jo@example.com');
    await shot(alice, 'request-offboarding');
    await navigating(alice, () => alice.click('form[data-request-form] button[type=submit]'));
    await alice.goto(url('/new/rotation'));
    await alice.select('#f-owner', `service-account:${accountId}`);
    await navigating(alice, () => alice.click('form[data-request-form] button[type=submit]'));
    await alice.waitForSelector('#live form.decision', { timeout: 120_000 });

    const bobContext = await browser.createBrowserContext();
    const bob = await bobContext.newPage();
    await bob.setViewport(LAPTOP);
    await bob.emulateTimezone('UTC');
    await bob.setExtraHTTPHeaders({ 'X-Forwarded-Email': BOB });
    await bob.goto(url('/approvals'));
    await bob.waitForSelector('li.card[data-kind="cutover"]');
    await shot(bob, 'approvals');

    // A namespace someone asked for from a terminal, with the starter the banner suggests.
    const fromTerminal = await runMain(
      provisionNamespace,
      [
        '--name',
        'ci-sandbox',
        '--region',
        'aws-us-east-1',
        '--retention-days',
        '3',
        '--requested-by',
        'dana',
      ],
      {
        client: portal.stack.client,
        env: { TASK_QUEUE: portal.stack.taskQueue, PORTAL_APPROVERS: `${ALICE},${BOB}` },
      },
    );
    if (fromTerminal.code !== 0) throw new Error(`the starter failed: ${fromTerminal.stderr}`);
    await alice.goto(url('/'));
    await shot(alice, 'requests');
    await alice.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    await alice.goto(url('/'));
    await shot(alice, 'requests-phone');
  } finally {
    await browser.close();
    await portal.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('screenshots:', err);
    process.exit(1);
  },
);
