// Temporary access in the portal, against a stack speaking the real API's dialect (the given document has no way to
// change a user's access): the form asks for the signed-in user only, whatever is posted; the Approvals page shows
// what is asked, never as approvable to whom it is for; once approved, "access that ends soon" lists it with its
// requester, approver and end to those who may see the run; "Revoke now" takes it back.
import { eventually, startPortalStack, Visitor, type PortalStack } from '../helpers/portal';
import { exists, sendDecision, sendForm, viaProxy as proxyVisitor } from './support';

let portal: PortalStack;
const ALICE = 'alice@example.com';
const PAT = 'pat@example.com';

beforeAll(async () => {
  portal = await startPortalStack(
    { approvers: [ALICE, 'bob@example.com'], trustedProxies: ['127.0.0.1'] },
    undefined,
    false,
    { OPS_API_DIALECT: 'cloud' },
  );
});
afterAll(async () => {
  await portal?.close();
});

const viaProxy = (email: string) => proxyVisitor(portal, email);
const statusOf = (workflowId: string) =>
  portal.stack.client.workflow.getHandle(workflowId).query<{ step: string }>('status');
const waitForStep = (workflowId: string, step: string) =>
  eventually(async () => ((await statusOf(workflowId)).step === step ? true : undefined), step);

test('asked for yourself, approved by someone else, listed as ending soon, revoked now', async () => {
  const emulator = portal.stack.opsApi.emulator!;
  const { namespaceIds } = await emulator.seed({
    namespaces: [{ name: 'team-x', region: 'aws-us-east-1', retentionDays: 7 }],
  });
  const patId = await portal.seedUser(PAT);
  const pat = viaProxy(PAT);
  expect((await pat.get('/new/access')).body).toContain('temporary access to a namespace needs an approval');
  const sent = await sendForm(pat, 'access', {
    principal: 'mallory@example.com', // not the form's to choose
    namespace: 'team-x',
    permission: 'write',
    duration: '2h',
    reason: 'incident 4711',
  });
  expect(sent.status).toBe(303);
  const workflowId = 'grant-temporary-access/team-x/pat@example.com';
  expect(String(sent.headers.location)).toContain(encodeURIComponent(workflowId));
  await waitForStep(workflowId, 'awaiting-approval');

  const asked = (await pat.get('/approvals')).body;
  expect(asked).toContain('Give <strong>pat@example.com</strong> write on <strong>team-x</strong> for 2h');
  expect(asked).toContain('You cannot decide: you requested this yourself');
  const alice = viaProxy(ALICE);
  expect((await sendDecision(alice, { workflowId, runId: sent.runId!, action: 'approve' })).status).toBe(303);
  await waitForStep(workflowId, 'granted');

  const list = (await alice.get('/access')).body;
  const row = new RegExp(`<tr data-workflow-id="${workflowId}">([\\s\\S]*?)</tr>`).exec(list)?.[1] ?? '';
  expect(row).toContain('pat@example.com</span>: write on <span class="id">team-x');
  expect(row).toMatch(/data-label="Requested by">pat@example\.com/);
  expect(row).toContain(`data-label="Approved by">${ALICE}`);
  expect(row).toMatch(/data-label="Ends"><time datetime="\d{4}-/);
  // Someone who is neither its requester, whom it is for, nor its approver does not see it.
  expect((await viaProxy('carol@example.com').get('/access')).body).not.toContain(workflowId);

  // Without a session, or without the page's CSRF token, nothing is revoked.
  const form = { workflowId, runId: sent.runId! };
  expect((await new Visitor(portal.base).get('/access')).status).toBe(401);
  expect((await new Visitor(portal.base).post('/access/revoke', form)).status).toBe(401);
  expect((await pat.post('/access/revoke', form)).status).toBe(403);
  expect((await statusOf(workflowId)).step).toBe('granted');
  const revoked = await pat.post('/access/revoke', {
    _csrf: await pat.csrf('/access'),
    workflowId,
    runId: sent.runId!,
  });
  expect(revoked.status).toBe(303);
  const result = await portal.stack.client.workflow.getHandle(workflowId).result();
  expect(result).toMatchObject({ outcome: 'ended', endedBy: 'revoke-now', undo: 'removed' });
  const user = emulator.snapshot().users.find((u) => u.id === patId)!;
  expect(user.spec.access?.namespaceAccesses?.[namespaceIds[0]!]).toBeUndefined();
});

test('a sign-in without an email cannot ask: it would name a service account of that name', async () => {
  const bot = viaProxy('ci-bot'); // a proxy may send a user name; a service account could be called that
  const sent = await sendForm(bot, 'access', {
    namespace: 'team-x',
    permission: 'admin',
    duration: '1h',
    reason: 'deploy',
  });
  expect(sent.status).toBe(403);
  expect(sent.body).toContain('ci-bot is not one');
  expect(await exists(portal, 'grant-temporary-access/team-x/ci-bot')).toBe(false);
});
