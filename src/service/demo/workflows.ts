// The demo's workflows, each started by a signed event as a sender would, approved where the policy asks by a second
// person with the starter's --approve, and checked in the emulator.
import { main as offboardMain } from '../../starters/offboard-user';
import { main as rotateMain } from '../../starters/rotate-api-key';
import type { RequestType } from '../../catalog';
import type { Stack } from '../stack';
import { command, type StarterMain } from './command';
import type { Check } from './desired-state';
import { sendEvent, waitForRequest, type Accepted } from './requests';

/** Who approves in the demo: a second person, with the starter's --approve, as anyone else would. */
export const DEMO_APPROVER = 'demo-approver@example.com';

const out = (line = '') => process.stdout.write(`${line}\n`);

/** A second person's approval, when the approval policy asks for one: it waits for the run to ask. */
interface Approval {
  name: string;
  main: StarterMain;
  argv: string[];
}

async function step(
  stack: Stack,
  title: string,
  event: { type: RequestType; data: Record<string, unknown> },
  approval?: Approval,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  out(`▶ ${title}`);
  const sent = await sendEvent(stack.events!.url, stack.events!.secret, {
    id: `demo-${event.type}-${Date.now()}`,
    ...event,
  });
  if (sent.status !== 202 && sent.status !== 200) {
    throw new Error(`event rejected (${sent.status}): ${String(sent.body.message)}`);
  }
  const accepted = sent.body as unknown as Accepted;
  out(`  workflow ${accepted.workflowId}`);
  if (accepted.uiUrl) out(`  ${accepted.uiUrl}`);
  const approved = approval ? approve(stack, approval) : undefined;
  const final = await waitForRequest(accepted.statusUrl, (s) => out(`  · ${s}`));
  if (approved && (await approved).code !== 0)
    throw new Error(`the approval of ${accepted.workflowId} failed`);
  if (final.status !== 'COMPLETED')
    throw new Error(`${accepted.workflowId} ${final.status}: ${final.error?.message}`);
  out(`  ✔ done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return final.result ?? {};
}

function approve(stack: Stack, approval: Approval) {
  const argv = [...approval.argv, '--approve', '--approver', DEMO_APPROVER];
  out(`  $ npm run ${approval.name} -- ${argv.join(' ')}`);
  return command(out, stack, approval.main, argv);
}

/** A namespace with a service account and an API key; returns the account's id. */
export async function provisionDemo(
  stack: Stack,
  check: Check,
): Promise<{ serviceAccountId: string; keyId: string }> {
  const name = 'demo-payments';
  const provisioned = await step(stack, `Provision namespace ${name} with a service account and an API key`, {
    type: 'namespace.requested',
    data: {
      name,
      region: 'aws-us-east-1',
      retentionDays: 7,
      serviceAccount: { permission: 'write' },
      apiKey: { expiryDays: 30 },
      wait: { minPollSeconds: 0.25 },
    },
  });
  const namespace = String(provisioned.namespace);
  const serviceAccountId = String(provisioned.serviceAccountId);
  const keyId = String(provisioned.apiKeyId);
  const state = stack.opsApi.emulator!.snapshot();
  check(
    state.namespaces.some((n) => n.namespace === namespace && n.state === 'active'),
    `namespace ${namespace} is active`,
  );
  const scope = provisioned.serviceAccountScope === 'namespace' ? 'scoped to the namespace' : 'account-wide';
  check(
    state.serviceAccounts.some((s) => s.id === serviceAccountId && s.state === 'active'),
    `service account ${serviceAccountId} is active (${scope})`,
  );
  check(
    state.apiKeys.some((k) => k.id === keyId && k.state === 'active'),
    `API key ${keyId} is active`,
  );
  return { serviceAccountId, keyId };
}

/** The service account's key rotated, the old one deleted once a second person approves. */
export async function rotateDemo(
  stack: Stack,
  check: Check,
  { serviceAccountId, keyId }: { serviceAccountId: string; keyId: string },
): Promise<void> {
  const rotated = await step(
    stack,
    `Rotate the service account's API key (3 s grace period, so a second person approves deleting the old key)`,
    {
      type: 'apikey.rotation.requested',
      data: { ownerType: 'service-account', ownerId: serviceAccountId, gracePeriod: '3s', expiryDays: 30 },
    },
    {
      name: 'rotate-api-key',
      main: rotateMain,
      argv: ['--owner-type', 'service-account', '--owner-id', serviceAccountId],
    },
  );
  const newKeyId = String(rotated.newKeyId);
  const state = stack.opsApi.emulator!.snapshot();
  check(
    state.apiKeys.some((k) => k.id === newKeyId && k.state === 'active'),
    `new API key ${newKeyId} is active`,
  );
  check(!state.apiKeys.some((k) => k.id === keyId), `old API key ${keyId} is deleted`);
}

/** A user with a key, seeded, then offboarded: the user and the keys are gone. */
export async function offboardDemo(stack: Stack, check: Check): Promise<void> {
  const emulator = stack.opsApi.emulator!;
  const email = 'leaver@example.com';
  const seeded = await emulator.seed({
    users: [{ email, access: { accountAccess: { role: 'developer' } } }],
  });
  const userId = seeded.userIds[0]!;
  const expiryTime = new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const userKey = await emulator.seed({
    apiKeys: [{ displayName: 'leaver-laptop', ownerId: userId, ownerType: 'user', expiryTime }],
  });
  out(`Seeded user ${email} (${userId}) with API key ${userKey.apiKeys[0]!.keyId}`);
  await step(
    stack,
    `Offboard ${email}`,
    { type: 'user.offboarding.requested', data: { email } },
    { name: 'offboard-user', main: offboardMain, argv: ['--email', email] },
  );
  const state = emulator.snapshot();
  check(!state.users.some((u) => u.id === userId), `user ${userId} is deleted`);
  check(!state.apiKeys.some((k) => k.spec.ownerId === userId), `the user's API keys are deleted`);
}
