// Who may do what is the server's policy, not a form's checkbox: as a plain user behind the single sign-on proxy (and
// with token login) no offboarding, key deletion or token-passing codec server happens without an approval the policy
// allows; the requester's own approval, however it is sent, is refused inside the run and shown in its status; a
// request's status is shown to its requester, its approvers and the holder of its link, and to nobody else; and the
// odd inputs the portal used to accept (a tab in `next`, prototype names as keys) are refused.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sendEvent } from '../../src/service/demo';
import { DB_FILE } from '../../src/service/dev-server';
import { eventually, startPortalStack, Visitor, type PortalStack } from '../helpers/portal';
import { sendDecision, sendForm, unique, viaProxy as proxyVisitor } from './support';

let portal: PortalStack;
const ALICE = 'alice@example.com'; // an approver
const BOB = 'bob@example.com'; // an approver
const PAT = 'pat@example.com'; // a plain user

beforeAll(async () => {
  portal = await startPortalStack({ approvers: [ALICE, BOB], trustedProxies: ['127.0.0.1'] });
});
afterAll(async () => {
  await portal?.close();
});

const viaProxy = (email: string) => proxyVisitor(portal, email);
const handle = (workflowId: string) => portal.stack.client.workflow.getHandle(workflowId);
const statusOf = async (workflowId: string) =>
  handle(workflowId).query<{ step: string; refusedDecisions?: Array<{ by: string; reason: string }> }>(
    'status',
  );
const waitForStep = (workflowId: string, step: string) =>
  eventually(async () => ((await statusOf(workflowId)).step === step ? true : undefined), step);

test('a plain user cannot offboard anyone or delete a key without an approval, whatever the form says', async () => {
  const email = `${unique('admin')}@example.com`;
  const userId = await portal.seedUser(email);
  const pat = viaProxy(PAT);
  // The form shows what the policy requires before anything is sent.
  const form = await pat.get('/new/offboarding');
  expect(form.body).toContain(
    'offboarding a user needs an approval: one of alice@example.com, bob@example.com',
  );
  const offboarding = await sendForm(pat, 'offboarding', { email, requireApproval: 'off', deleteUser: 'on' });
  expect(offboarding.status).toBe(303);
  await waitForStep(`offboard-user/${email}`, 'awaiting-approval');

  const rotation = await sendForm(pat, 'rotation', {
    owner: `user:${userId}`,
    gracePeriod: '0',
    deleteOldKey: 'on',
  });
  expect(rotation.status).toBe(303);
  const rotationId = `rotate-api-key/user/${userId}`;
  await waitForStep(rotationId, 'awaiting-approval');

  // The requester's own approval, sent straight to the run as `temporal workflow signal` would: refused, and shown.
  await handle(`offboard-user/${email}`).signal('approve', { approver: PAT });
  await handle(rotationId).signal('approve', { approver: PAT });
  await handle(rotationId).signal('confirmCutover', { by: PAT });
  for (const id of [`offboard-user/${email}`, rotationId]) {
    const s = await eventually(async () => {
      const now = await statusOf(id);
      return now.refusedDecisions?.length ? now : undefined;
    }, `the refusal in ${id}`);
    expect(s.step).toBe('awaiting-approval');
    expect(s.refusedDecisions![0]).toMatchObject({
      by: PAT,
      reason: expect.stringMatching(/requested this/),
    });
  }
  // A user who is not an approver is refused just the same.
  await handle(`offboard-user/${email}`).signal('approve', { approver: 'mallory@example.com' });
  await eventually(
    async () =>
      (await statusOf(`offboard-user/${email}`)).refusedDecisions?.length === 2 ? true : undefined,
    'the second refusal',
  );
  const state = portal.stack.opsApi.emulator!.snapshot();
  expect(state.users.map((u) => u.spec.email)).toContain(email);
  expect(state.apiKeys.filter((k) => k.spec.ownerId === userId).map((k) => k.state)).toContain('active');

  // An approver approves both; then they happen.
  await handle(`offboard-user/${email}`).signal('approve', { approver: BOB });
  await handle(rotationId).signal('approve', { approver: ALICE });
  expect(await handle(`offboard-user/${email}`).result()).toMatchObject({
    outcome: 'completed',
    approval: { by: BOB },
  });
  expect(await handle(rotationId).result()).toMatchObject({ outcome: 'rotated', approval: { by: ALICE } });
});

test('a namespace whose codec server gets the access token waits for an approver; one without does not', async () => {
  const pat = viaProxy(PAT);
  expect((await pat.get('/new/namespace')).body).toContain("codec server gets the user's access token");
  const [risky, plain] = [unique('codec'), unique('plain')];
  for (const [name, pass] of [
    [risky, 'on'],
    [plain, ''],
  ] as const) {
    const res = await sendForm(pat, 'namespace', {
      name,
      region: 'aws-us-east-1',
      retentionDays: '3',
      'codecServer.endpoint': 'https://codec.example.com',
      'codecServer.passAccessToken': pass,
    });
    expect(res.status).toBe(303);
  }
  await waitForStep(`provision-namespace/${risky}`, 'awaiting-approval');
  await handle(`provision-namespace/${plain}`).result();
  const names = () => portal.stack.opsApi.emulator!.snapshot().namespaces.map((n) => n.spec.name);
  expect(names()).not.toContain(risky);
  await handle(`provision-namespace/${risky}`).signal('reject', {
    approver: ALICE,
    reason: 'unknown endpoint',
  });
  await expect(handle(`provision-namespace/${risky}`).result()).rejects.toThrow();
  expect(names()).not.toContain(risky);
});

test("a request's status: its requester, its approvers and its link see it; a stranger and other users get 404", async () => {
  const email = `${unique('leaver')}@example.com`;
  await portal.seedUser(email);
  const pat = viaProxy(PAT);
  await sendForm(pat, 'offboarding', { email });
  const workflowId = `offboard-user/${email}`;
  await waitForStep(workflowId, 'awaiting-approval');
  const path = `/requests/${encodeURIComponent(workflowId)}`;
  const none = await new Visitor(portal.base).get(
    `/requests/${encodeURIComponent('offboard-user/x@example.com')}`,
  );
  for (const who of [new Visitor(portal.base), viaProxy('carol@example.com')]) {
    const res = await who.get(path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).message).toBe(JSON.parse(none.body).message.replace('x@example.com', email));
    expect(res.body).not.toContain('apiKeys');
  }
  // Signed in with the login token (a session cookie, read outside the portal's routes too).
  const bobByToken = new Visitor(portal.base);
  expect((await bobByToken.signIn(portal.loginToken, BOB)).status).toBe(303);
  for (const who of [pat, viaProxy(BOB), bobByToken]) {
    const res = await who.get(path);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ workflowId, progress: { step: 'awaiting-approval' } });
  }
  // A signed event's link works for anyone who holds it.
  const sent = await sendEvent(portal.stack.events!.url, portal.stack.events!.secret, {
    id: unique('evt'),
    type: 'user.offboarding.requested',
    data: { email: `${unique('other')}@example.com`, dryRun: true },
  });
  expect((await fetch(String(sent.body.statusUrl))).status).toBe(200);
  await handle(workflowId).signal('reject', { approver: BOB });
});

test("the portal's own pages show a request to its requester and its approvers only; to others it is not there", async () => {
  const email = `${unique('quiet-leaver')}@example.com`;
  await portal.seedUser(email);
  const pat = viaProxy(PAT);
  const started = await sendForm(pat, 'offboarding', { email });
  const workflowId = `offboard-user/${email}`;
  await waitForStep(workflowId, 'awaiting-approval');
  const page = String(started.headers.location); // /runs/<id>?run=<run id>
  const runId = started.runId!;
  const carol = viaProxy('carol@example.com');
  const nowhere = `offboard-user/${unique('nobody')}@example.com`;
  const missing = await carol.get(`/runs/${encodeURIComponent(nowhere)}`);
  expect(missing.status).toBe(404);

  for (const url of [page, `${page}&part=live`, `/runs/${encodeURIComponent(workflowId)}`]) {
    const res = await carol.get(url);
    expect({ url, status: res.status }).toEqual({ url, status: 404 });
    // The same answer as for a run that does not exist: nothing of the plan, not even the key ids.
    expect(res.body.replace(workflowId, nowhere).replace(/value="[^"]+"/g, '')).toBe(
      missing.body.replace(/value="[^"]+"/g, ''),
    );
  }
  for (const url of ['/', '/approvals', `/?kind=offboardUser`]) {
    expect((await carol.get(url)).body).not.toContain(email);
  }
  expect((await sendDecision(carol, { workflowId, runId, action: 'approve' })).status).toBe(404);

  // The requester and the approvers see it, the plan included.
  for (const who of [pat, viaProxy(ALICE), viaProxy(BOB)]) {
    expect((await who.get('/')).body).toContain(`data-workflow-id="${workflowId}"`);
    expect((await who.get('/approvals')).body).toContain(`data-workflow-id="${workflowId}"`);
    const detail = await who.get(page);
    expect(detail.status).toBe(200);
    expect(detail.body).toContain(`${email}-laptop`);
  }
  await handle(workflowId).signal('reject', { approver: BOB });
});

test('sign-in: `next` stays on this site, attempts are rate-limited per address', async () => {
  const signIn = async (next: string) => {
    // A fresh visitor each time: a signed-in one's CSRF token belongs to the user, not to the login page.
    const visitor = new Visitor(portal.base);
    const res = await visitor.post('/login', {
      _csrf: await visitor.csrf('/login'),
      token: portal.loginToken,
      email: ALICE,
      next,
    });
    return res.headers.location;
  };
  expect(await signIn('/\t/evil.example/x')).toBe('/');
  expect(await signIn('/\\evil.example')).toBe('/');
  expect(await signIn('/approvals?x=1')).toBe('/approvals?x=1');
  const guesser = new Visitor(portal.base);
  const csrf = await guesser.csrf('/login');
  const codes: number[] = [];
  for (let i = 0; i < 12; i++) {
    codes.push((await guesser.post('/login', { _csrf: csrf, token: 'wrong', email: ALICE })).status);
  }
  expect(codes).toContain(429);
  expect(codes.filter((c) => c !== 401 && c !== 429)).toEqual([]);
});

test('prototype names are not keys: decided=constructor shows nothing, action=toString is refused', async () => {
  const bob = viaProxy(BOB);
  const name = unique('proto');
  const started = await sendForm(bob, 'namespace', { name, region: 'aws-us-east-1', retentionDays: '3' });
  const page = await bob.get(`${String(started.headers.location)}&decided=constructor`);
  expect(page.status).toBe(200);
  expect(page.body).not.toContain('class="flash"');
  const runId = started.runId!;
  const refused = await sendDecision(bob, {
    workflowId: `provision-namespace/${name}`,
    runId,
    action: 'toString',
  });
  expect(refused.status).toBe(400);
});

test('the data folder is owner-only, the dev server database too', async () => {
  const dir = portal.stack.dataDir;
  expect((await stat(dir)).mode & 0o777).toBe(0o700);
  expect((await stat(path.join(dir, DB_FILE))).mode & 0o777).toBe(0o600);
  for (const file of ['events-hmac-secret', 'portal-session-secret', 'portal-login-token.sha256']) {
    expect({ file, mode: (await stat(path.join(dir, file))).mode & 0o777 }).toEqual({ file, mode: 0o600 });
  }
});
