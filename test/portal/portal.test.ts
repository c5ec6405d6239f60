// The portal over plain HTTP against the whole service (dev server, emulator, worker, events endpoint): who may see
// and do what, the security headers, CSRF, that a portal request is started exactly as a signed event is, and the
// decisions' server-side rules. The browser tests (browser.test.ts) drive the same pages in Chromium.
import { readFile } from 'node:fs/promises';
import { webhookSignatureHeaders } from '../../src/secrets/webhook-signature';
import { LOGIN_TOKEN_FILE } from '../../src/portal/auth';
import { sendEvent } from '../../src/service/demo';
import { REQUEST_MEMO } from '../../src/shared/request-memo';
import { main } from '../../src/starters/provision-namespace';
import { parseCertificates } from '../../src/certificates';
import { makeTestCertificate, pemToBase64 } from '../helpers/certificates';
import { runMain } from '../starters/run-starter';
import { eventually, startPortalStack, Visitor, type PortalStack } from '../helpers/portal';
import { exists as runExists, sendDecision, sendForm, unique, viaProxy as proxyVisitor } from './support';

let portal: PortalStack;
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

beforeAll(async () => {
  portal = await startPortalStack({
    approvers: [ALICE, BOB],
    // This machine's loopback address is "the proxy"; 127.0.0.2 is somebody else on the network.
    trustedProxies: ['127.0.0.1'],
  });
});

afterAll(async () => {
  await portal?.close();
});

/** Someone behind the single sign-on proxy. */
const viaProxy = (email: string) => proxyVisitor(portal, email);
const exists = (workflowId: string) => runExists(portal, workflowId);

const stepOf = async (workflowId: string) =>
  (await portal.stack.client.workflow.getHandle(workflowId).query<{ step: string }>('status')).step;

test('without a session, every page and action answers with the login page (401), never data', async () => {
  const name = unique('anon');
  const sent = await sendEvent(portal.stack.events!.url, portal.stack.events!.secret, {
    id: `evt-${name}`,
    type: 'namespace.requested',
    data: { name, region: 'aws-us-east-1', retentionDays: 3 },
  });
  expect(sent.status).toBe(202);
  const workflowId = String(sent.body.workflowId);

  const stranger = new Visitor(portal.base);
  const pages = [
    '/',
    '/approvals',
    '/new/namespace',
    '/new/rotation',
    '/new/ca-rotation',
    '/new/offboarding',
    `/runs/${encodeURIComponent(workflowId)}`,
    `/runs/${encodeURIComponent(workflowId)}?run=${String(sent.body.runId)}&part=live`,
  ];
  for (const url of pages) {
    const res = await stranger.get(url);
    expect({ url, status: res.status }).toEqual({ url, status: 401 });
    expect(res.body).toContain('<h1>Sign in</h1>');
    // The page says nothing of the run; only the address the visitor asked for comes back, to return there.
    const page = res.body.replace(/name="next" value="[^"]*"/, '');
    expect(page).not.toContain(name);
    expect(page).not.toContain(String(sent.body.runId));
  }
  for (const url of ['/new/namespace', '/new/offboarding', '/new/rotation', '/decisions', '/logout']) {
    const res = await stranger.post(url, {
      name: unique('anon'),
      region: 'aws-us-east-1',
      retentionDays: '3',
    });
    expect({ url, status: res.status }).toEqual({ url, status: 401 });
  }
  // Styles and script are public (the login page needs them); they hold no data.
  expect((await stranger.get('/assets/portal.css')).status).toBe(200);
  expect((await stranger.get('/assets/portal.js')).status).toBe(200);
});

test('the proxy header counts only when the connection comes from a configured proxy address', async () => {
  const trusted = await viaProxy(BOB).get('/');
  expect(trusted.status).toBe(200);
  expect(trusted.body).toContain(`data-user="${BOB}"`);

  const spoofed = new Visitor(portal.base, {
    localAddress: '127.0.0.2',
    headers: { 'x-forwarded-email': BOB },
  });
  const res = await spoofed.get('/');
  expect(res.status).toBe(401);
  expect(res.body).not.toContain(BOB);
});

test('the login token opens an HttpOnly, SameSite=Strict session; a wrong one does not; only its hash is stored', async () => {
  const stored = (await readFile(`${portal.stack.dataDir}/${LOGIN_TOKEN_FILE}`, 'utf8')).trim();
  expect(stored).toMatch(/^[0-9a-f]{64}$/);
  expect(stored).not.toContain(portal.loginToken);

  const guesser = new Visitor(portal.base);
  const wrong = await guesser.signIn('not-the-token', ALICE);
  expect(wrong.status).toBe(401);
  expect(wrong.body).toContain('That is not the login token.');
  expect(guesser.cookies.has('portal_session')).toBe(false);

  const alice = new Visitor(portal.base);
  const ok = await alice.signIn(portal.loginToken, ALICE);
  expect(ok.status).toBe(303);
  expect(ok.headers.location).toBe('/');
  const setCookie = (ok.headers['set-cookie'] ?? []).find((c) => c.startsWith('portal_session='));
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  expect((await alice.get('/')).body).toContain(`data-user="${ALICE}"`);

  const out = await alice.post('/logout', { _csrf: await alice.csrf('/') });
  expect(out.status).toBe(303);
  expect((await alice.get('/')).status).toBe(401);

  // Behind a TLS-terminating proxy (a configured address saying X-Forwarded-Proto: https) the cookie is Secure.
  const behindTls = new Visitor(portal.base, { headers: { 'x-forwarded-proto': 'https' } });
  const tls = await behindTls.signIn(portal.loginToken, ALICE);
  expect((tls.headers['set-cookie'] ?? []).find((c) => c.startsWith('portal_session='))).toMatch(/; Secure/i);
  expect(setCookie).not.toMatch(/; Secure/i);
});

test('pages carry a strict Content Security Policy and are not cached', async () => {
  const res = await viaProxy(BOB).get('/new/namespace');
  const csp = String(res.headers['content-security-policy']);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).not.toContain('unsafe');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['cache-control']).toBe('no-store');
  // No inline script or style anywhere: the policy would block it.
  expect(res.body).not.toMatch(/<script>|<style|style="/);
});

test('a form without a valid CSRF token, with another user\u2019s token, or sent from another site is refused and starts nothing', async () => {
  const alice = viaProxy(ALICE);
  const name = unique('csrf');
  const form = { name, region: 'aws-us-east-1', retentionDays: '3' };

  const none = await alice.post('/new/namespace', form);
  expect(none.status).toBe(403);
  expect(none.body).toContain('did not come from a page of this portal');

  const bobsToken = await viaProxy(BOB).csrf();
  const theirs = await alice.post('/new/namespace', { ...form, _csrf: bobsToken });
  expect(theirs.status).toBe(403);

  const crossSite = await alice.post(
    '/new/namespace',
    { ...form, _csrf: await alice.csrf() },
    { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
  );
  expect(crossSite.status).toBe(403);
  expect(crossSite.body).toContain('sent from another site');

  expect(await exists(`provision-namespace/${name}`)).toBe(false);
});

test('a portal request is started exactly as a signed event is: same id, same checks, one run', async () => {
  const alice = viaProxy(ALICE);
  const name = unique('same');

  const bad = await sendForm(alice, 'namespace', {
    name: 'Not_Valid',
    region: 'aws-us-east-1',
    retentionDays: '0',
  });
  expect(bad.status).toBe(400);
  expect(bad.body).toMatch(/data-errors-for="name"><ul class="field-errors"><li>must be 2–39 characters/);
  expect(bad.body).toMatch(/data-errors-for="retentionDays"><ul class="field-errors"><li>must be at least 1/);
  expect(bad.body).toContain('value="Not_Valid"'); // What was typed comes back.
  expect(await exists('provision-namespace/Not_Valid')).toBe(false);

  const requestId = '6d4b3c2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
  const form = { name, region: 'aws-us-east-1', retentionDays: '3', requestId };
  const first = await sendForm(alice, 'namespace', form);
  expect(first.status).toBe(303);
  const workflowId = `provision-namespace/${name}`;
  expect(first.headers.location).toMatch(
    new RegExp(`^/runs/${encodeURIComponent(workflowId)}\\?run=[0-9a-f-]{36}$`),
  );
  const runId = /run=([0-9a-f-]+)/.exec(String(first.headers.location))![1];

  const info = await portal.stack.client.workflow.getHandle(workflowId).describe();
  expect(info.type).toBe('provisionNamespace');
  expect(info.runId).toBe(runId);
  expect(info.memo).toMatchObject({
    [REQUEST_MEMO.source]: 'portal',
    [REQUEST_MEMO.requestedBy]: ALICE,
    [REQUEST_MEMO.eventId]: `portal:${requestId}`,
  });

  // The same form again (a double click) is the same request; the same input as a signed event joins it too.
  const again = await sendForm(alice, 'namespace', form);
  expect(again.headers.location).toBe(first.headers.location);
  const body = JSON.stringify({
    id: unique('evt'),
    type: 'namespace.requested',
    data: { name, region: 'aws-us-east-1', retentionDays: 3 },
  });
  const event = await fetch(`${portal.stack.events!.url}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...webhookSignatureHeaders(body, portal.stack.events!.secret),
    },
    body,
  });
  expect(event.status).toBe(200);
  expect(await event.json()).toMatchObject({ workflowId, runId, attached: true });

  // Another request for the same name with another input is refused, as the events endpoint refuses it.
  const other = await sendForm(alice, 'namespace', {
    name,
    region: 'aws-us-east-1',
    retentionDays: '9',
  });
  expect(other.status).toBe(409);
  expect(other.body).toContain('with a different request');
});

test('decisions: approvers only, never on their own request, only while the run waits', async () => {
  const email = `${unique('leaver')}@example.com`;
  await portal.seedUser(email);
  const alice = viaProxy(ALICE);
  const started = await sendForm(alice, 'offboarding', { email, approvalTimeout: '1h', deleteUser: 'on' });
  expect(started.status).toBe(303);
  const workflowId = `offboard-user/${email}`;
  const runId = started.runId!;
  await eventually(
    async () => ((await stepOf(workflowId)) === 'awaiting-approval' ? true : undefined),
    'approval',
  );

  const approvals = await viaProxy(BOB).get('/approvals');
  expect(approvals.body).toContain(`data-workflow-id="${workflowId}"`);
  expect(approvals.body).toContain(`Requested by ${ALICE}`);

  const decide = (who: Visitor, action: string) =>
    sendDecision(who, { workflowId, runId, action, comment: 'checked' });
  // Someone who may not see the run is told it is not there, as on its page.
  const carol = viaProxy('carol@example.com');
  expect((await decide(carol, 'approve')).status).toBe(404);
  const own = await decide(alice, 'approve');
  expect(own.status).toBe(403);
  expect(own.body).toContain('you requested this yourself');
  expect((await decide(viaProxy(BOB), 'confirm-cutover')).status).toBe(409); // Not the decision it waits for.
  expect(await stepOf(workflowId)).toBe('awaiting-approval');

  const approved = await decide(viaProxy(BOB), 'approve');
  expect(approved.status).toBe(303);
  expect(approved.headers.location).toContain('decided=approve');
  const report = await portal.stack.client.workflow.getHandle(workflowId).result();
  expect(report).toMatchObject({
    outcome: 'completed',
    approval: { decision: 'approved', by: BOB, comment: 'checked' },
  });
  expect((await decide(viaProxy(BOB), 'approve')).status).toBe(409); // Nothing waits any more.
});

test('a rotation from the owner picker waits for its cut-over, which an approver confirms', async () => {
  const accountId = await portal.seedServiceAccount(unique('ci-bot'));
  const alice = viaProxy(ALICE);
  const form = await alice.get('/new/rotation');
  expect(form.body).toContain(`value="service-account:${accountId}"`);

  const started = await sendForm(alice, 'rotation', {
    owner: `service-account:${accountId}`,
    // The policy's minimum: no approval needed to delete the old key afterwards.
    gracePeriod: '1d',
    expiryDays: '30',
    deleteOldKey: 'on',
  });
  expect(started.status).toBe(303);
  const workflowId = `rotate-api-key/service-account/${accountId}`;
  const runId = started.runId!;
  await eventually(
    async () => ((await stepOf(workflowId)) === 'grace-period' ? true : undefined),
    'grace period',
  );

  const bob = viaProxy(BOB);
  const approvals = await bob.get('/approvals');
  expect(approvals.body).toMatch(new RegExp(`data-workflow-id="${workflowId}" data-kind="cutover"`));
  const confirmed = await sendDecision(bob, { workflowId, runId, action: 'confirm-cutover' });
  expect(confirmed.status).toBe(303);
  const result = await portal.stack.client.workflow.getHandle(workflowId).result();
  expect(result).toMatchObject({ outcome: 'rotated', graceEndedBy: 'confirmCutover', oldKeyDeleted: true });
  // Who confirmed is in the run's history, in the signal's input.
  const history = await portal.stack.client.workflow.getHandle(workflowId).fetchHistory();
  const signal = history.events!.find(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'confirmCutover',
  );
  const input = signal!.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
  expect(JSON.parse(Buffer.from(input.data!).toString('utf8'))).toEqual({ by: BOB });
});

test('an mTLS CA rollover from the form: the pasted PEM joins the bundle, an approver confirms the cut-over', async () => {
  const [oldCa, newCa] = ['Old CA', 'New CA'].map((commonName) => makeTestCertificate({ commonName }));
  const fingerprint = (pem: string) => parseCertificates(pem)[0]!.fingerprint;
  const name = unique('mtls');
  const emulator = portal.stack.opsApi.emulator!;
  const [id] = (
    await emulator.seed({
      namespaces: [
        {
          name,
          region: 'aws-us-east-1',
          retentionDays: 3,
          mtlsAuth: { acceptedClientCa: pemToBase64(oldCa!) },
        },
      ],
    })
  ).namespaceIds;
  const alice = viaProxy(ALICE);
  const form = await alice.get('/new/ca-rotation');
  expect(form.body).toMatch(/<textarea id="f-newCa" name="newCa"/);
  expect(form.body).toContain('data-read-into="f-newCa"');

  const refused = await sendForm(alice, 'ca-rotation', { namespace: name, newCa: '', gracePeriod: 'soon' });
  expect(refused.status).toBe(400);
  expect(refused.body).toMatch(/data-errors-for="newCa"[^]*is required/);

  const started = await sendForm(alice, 'ca-rotation', { namespace: name, newCa: newCa!, gracePeriod: '1d' });
  expect(started.status).toBe(303);
  const workflowId = `rotate-namespace-ca/${name}`;
  await eventually(
    async () => ((await stepOf(workflowId)) === 'grace-period' ? true : undefined),
    'grace period',
  );
  const bob = viaProxy(BOB);
  expect((await bob.get('/approvals')).body).toMatch(
    new RegExp(`data-workflow-id="${workflowId}" data-kind="cutover"`),
  );
  expect(
    (await sendDecision(bob, { workflowId, runId: started.runId!, action: 'confirm-cutover' })).status,
  ).toBe(303);
  const result = await portal.stack.client.workflow.getHandle(workflowId).result();
  expect(result).toMatchObject({ outcome: 'rotated', graceEndedBy: 'confirmCutover' });
  expect(emulator.acceptedCaHistory(id!).map((h) => h.fingerprints)).toEqual([
    [fingerprint(oldCa!)],
    [fingerprint(oldCa!), fingerprint(newCa!)],
    [fingerprint(newCa!)],
  ]);
});

test('the requests page lists every request, whatever started it, with its source, newest first, filtered', async () => {
  const alice = viaProxy(ALICE);
  const older = unique('list');
  const newer = unique('list');
  for (const name of [older, newer]) {
    expect(
      (await sendForm(alice, 'namespace', { name, region: 'aws-us-east-1', retentionDays: '3' })).status,
    ).toBe(303);
  }
  // The starter the banner suggests, as a person at a terminal runs it.
  const cli = unique('cli');
  const started = await runMain(
    main,
    ['--name', cli, '--region', 'aws-us-east-1', '--retention-days', '3', '--requested-by', 'dana'],
    {
      client: portal.stack.client,
      env: { TASK_QUEUE: portal.stack.taskQueue, PORTAL_APPROVERS: `${ALICE},${BOB}` },
    },
  );
  expect(started.code).toBe(0);
  // Started some other way (`temporal workflow start`, a script): it says nothing of itself.
  const bare = unique('bare');
  await portal.stack.client.workflow.start('provisionNamespace', {
    workflowId: `provision-namespace/${bare}`,
    taskQueue: portal.stack.taskQueue,
    args: [{ name: bare, region: 'aws-us-east-1', retentionDays: 3 }],
  });
  // And by a schedule.
  const nightly = unique('nightly');
  const schedule = await portal.stack.client.schedule.create({
    scheduleId: `schedule-${nightly}`,
    spec: { intervals: [{ every: '1d' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'provisionNamespace',
      workflowId: `provision-namespace/${nightly}`,
      taskQueue: portal.stack.taskQueue,
      args: [{ name: nightly, region: 'aws-us-east-1', retentionDays: 3 }],
    },
    state: { paused: true },
  });
  await schedule.trigger();

  const rows = async (query: string) => {
    const page = await alice.get(`/${query}`);
    return new Map(
      [...page.body.matchAll(/<tr data-workflow-id="([^"]+)"[^>]*>(.*?)<\/tr>/g)].map((m) => [m[1]!, m[2]!]),
    );
  };
  const all = await eventually(async () => {
    const found = await rows('');
    const scheduled = [...found.keys()].some((id) => id.startsWith(`provision-namespace/${nightly}`));
    return found.has(`provision-namespace/${newer}`) && found.has(`provision-namespace/${cli}`) && scheduled
      ? found
      : undefined;
  }, 'the new requests in the list');
  await schedule.delete();
  const ids = [...all.keys()];
  expect(ids.indexOf(`provision-namespace/${newer}`)).toBeLessThan(
    ids.indexOf(`provision-namespace/${older}`),
  );
  expect(ids.some((id) => id.startsWith('offboard-user/'))).toBe(true);
  const requester = (id: string) =>
    /data-label="Requested by">(.*?)<\/td>/.exec(all.get(id) ?? '')?.[1]?.replace(/<[^>]+>/g, '');
  expect(requester(`provision-namespace/${newer}`)).toBe(ALICE);
  expect(requester(`provision-namespace/${cli}`)).toMatch(/^dana \((from a terminal|outside the portal)\)$/);
  expect(requester(`provision-namespace/${bare}`)).toBe('someone outside the portal');
  expect(requester(ids.find((id) => id.startsWith(`provision-namespace/${nightly}`))!)).toBe('a schedule');

  const namespaces = await rows('?kind=provisionNamespace');
  expect(namespaces.has(`provision-namespace/${newer}`)).toBe(true);
  expect([...namespaces.keys()].every((id) => id.startsWith('provision-namespace/'))).toBe(true);
  expect((await rows('?kind=offboardUser')).has(`provision-namespace/${newer}`)).toBe(false);

  await portal.stack.client.workflow.getHandle(`provision-namespace/${newer}`).result();
  await eventually(async () => {
    const found = await rows('?status=Completed');
    return found.has(`provision-namespace/${newer}`) ? found : undefined;
  }, 'the finished request under Completed');
  expect((await rows('?status=Running')).has(`provision-namespace/${newer}`)).toBe(false);
});

test('a failed request shows what went wrong, where, and what was rolled back', async () => {
  const alice = viaProxy(ALICE);
  const name = unique('fails');
  portal.stack.opsApi.emulator!.faults.add({
    kind: 'async-fail',
    operationId: 'createApiKey',
    reason: 'quota exceeded',
    count: 1,
  });
  const started = await sendForm(alice, 'namespace', {
    name,
    region: 'aws-us-east-1',
    retentionDays: '3',
    serviceAccount: 'on',
    apiKey: 'on',
  });
  expect(started.status).toBe(303);
  await portal.stack.client.workflow
    .getHandle(`provision-namespace/${name}`)
    .result()
    .catch(() => undefined);

  const page = await alice.get(String(started.headers.location));
  expect(page.status).toBe(200);
  expect(page.body).toContain('data-status="FAILED"');
  expect(page.body).toMatch(/What went wrong<\/h2><p class="error-message"[^>]*>[^<]*quota exceeded/);
  // The step it failed in, and the three things this run had made and removed again.
  expect(page.body).toMatch(/data-step="waiting-for-api-key" data-state="failed"/);
  const rolledBack = /<span data-rolled-back>([^<]*)<\/span>/.exec(page.body)?.[1]?.split(', ');
  expect(rolledBack).toHaveLength(3);
  expect(rolledBack).toContain(`${name}.a1b2c`);
  expect(portal.stack.opsApi.emulator!.snapshot().namespaces.map((n) => n.spec.name)).not.toContain(name);
});
