// Temporary access, end to end against the emulator in both dialects: asked for (starter, signed-event intake),
// approved by someone other than the requester and whom it is for, granted, extended (approved again) and taken back
// when its time is up days later; a grant that was there before survives, one someone else changed since is not
// clobbered, a retry after the server committed changes nothing twice, a service account is found by name, and an
// offboarding ends a user's access. The given document has no operation to change a principal's access: there, only
// the clear refusal is tested (the other tests are the cloud dialect's).
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { silentLogger } from '../../src/logger';
import { loadApprovalPolicy } from '../../src/policy/load';
import { createIntake } from '../../src/requests/intake';
import { workflowIds } from '../../src/catalog';
import { main as accessMain } from '../../src/starters/grant-temporary-access';
import type { AccessPermission } from '../../src/shared/temporary-access';
import {
  accessStatusQuery,
  approveAccessSignal,
  extendAccessSignal,
  grantTemporaryAccess,
  offboardUser,
  rejectAccessSignal,
  revokeAccessNowSignal,
  type AccessStatus,
} from '../../src/workflows';
import { cloudDialectTest, mutations, stackPerFile, testDialect, type OpsStack } from '../helpers/stack';
import { runMain } from '../starters/run-starter';
import { failureOf, untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
const ns: Record<string, string> = {};
const users: Record<string, string> = {};

const DAY = 24 * 60 * 60_000;
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const PAT = 'pat@example.com';
/** The namespaces' owners approve access to them; anyone else is not an approver. */
const POLICY = JSON.stringify({ accessApprovers: [{ pattern: 'team-*', approvers: [ALICE, BOB] }] });

stackPerFile(
  { asyncOperationDurationMs: { '*': 5_000 }, checkDurationMs: 2_000 },
  (made) => ({ env, stack } = made),
);

beforeAll(async () => {
  const { namespaceIds } = await stack.emulator.seed({
    namespaces: ['team-a', 'team-b', 'team-c'].map((name) => ({
      name,
      region: 'aws-us-east-1',
      retentionDays: 7,
    })),
  });
  ['team-a', 'team-b', 'team-c'].forEach((name, i) => (ns[name] = namespaceIds[i]!));
  const grants = (g: Record<string, AccessPermission>) => ({
    accountAccess: { role: 'read' as const },
    namespaceAccesses: Object.fromEntries(
      Object.entries(g).map(([n, permission]) => [ns[n]!, { permission }]),
    ),
  });
  const people = {
    jo: grants({ 'team-b': 'write' }),
    kim: grants({ 'team-b': 'read' }),
    lee: grants({ 'team-c': 'admin' }),
    max: grants({}),
    sam: grants({}),
    leaver: grants({}),
  };
  const { userIds } = await stack.emulator.seed({
    users: Object.entries(people).map(([name, access]) => ({ email: `${name}@example.com`, access })),
  });
  Object.keys(people).forEach((name, i) => (users[name] = userIds[i]!));
});

beforeEach(() => {
  stack.emulator.faults.clear();
  stack.emulator.clearRequestLog();
});

/** Each user's permission on each namespace (by name), as the API holds it now. */
async function grantsOf(name: string): Promise<Record<string, string>> {
  const user = await stack.client.getUser(users[name]!);
  const byId = user.spec.access?.namespaceAccesses ?? {};
  return Object.fromEntries(
    Object.entries(ns).flatMap(([n, id]) => (byId[id] ? [[n, byId[id]!.permission]] : [])),
  );
}

const approval = (requestedBy: string, required = true) => ({
  requestedBy,
  approvers: [ALICE, BOB],
  required,
  reasons: required ? ['temporary access to a namespace needs an approval'] : [],
});

type Input = Parameters<typeof grantTemporaryAccess>[0];
function start(input: Input) {
  return env.client.workflow.start(grantTemporaryAccess, {
    args: [input],
    workflowId: workflowIds.grantTemporaryAccess(input.namespace, input.principal),
    taskQueue: stack.taskQueue,
  });
}

/** Access for `who` (by name), as the front door starts it: needing an approval by Alice or Bob, or none. */
const ask = (
  who: string,
  namespace: string,
  permission: AccessPermission,
  duration: string,
  required = true,
  more: Partial<Input> = {},
) =>
  start({
    principal: `${who}@example.com`,
    namespace,
    permission,
    duration,
    reason: 'on call',
    approval: approval(PAT, required),
    ...more,
  });

const until = (handle: WorkflowHandle, done: (s: AccessStatus) => boolean) =>
  untilStatus(env, handle, accessStatusQuery, done);

const cli = (...argv: string[]) =>
  runMain(accessMain, argv, {
    client: env.client,
    env: { TASK_QUEUE: stack.taskQueue, USER: PAT, APPROVAL_POLICY: POLICY },
  });

cloudDialectTest(
  'asked for with the starter, approved by an owner (never the requester or the user), extended, taken back at its end',
  async () => {
    const key = ['--principal', 'Jo@Example.com', '--namespace', 'team-a'];
    await stack.runWorker(async () => {
      const asked = await cli(
        ...key,
        '--permission',
        'write',
        '--duration',
        '2d',
        '--reason',
        'incident 4711',
      );
      expect(asked.code).toBe(0);
      const h = env.client.workflow.getHandle<typeof grantTemporaryAccess>(
        'grant-temporary-access/team-a/jo@example.com',
      );
      const waiting = await until(h, (s) => s.step === 'awaiting-approval');
      expect(waiting.approval).toMatchObject({
        requestedBy: PAT,
        approvers: [ALICE, BOB],
        required: true,
        beneficiaries: ['jo@example.com'],
      });
      expect(waiting.access).toMatchObject({
        principal: 'jo@example.com',
        permission: 'write',
        reason: 'incident 4711',
        had: null,
      });
      // Whoever sends them: the requester, whom it is for, and someone the policy does not name.
      for (const approver of [PAT, 'jo@example.com', 'carol@example.com'])
        await h.signal(approveAccessSignal, { approver });
      const refused = await until(h, (s) => s.refusedDecisions?.length === 3);
      expect(refused.refusedDecisions!.map((r) => r.reason)).toEqual([
        expect.stringMatching(/requested this/),
        expect.stringMatching(/who this request is for/),
        expect.stringMatching(/not among the approvers/),
      ]);
      expect(mutations(stack.emulator)).toEqual([]);
      expect((await cli(...key, '--approve', '--approver', ALICE)).code).toBe(0);

      const granted = await until(h, (s) => s.step === 'granted');
      expect(await grantsOf('jo')).toEqual({ 'team-a': 'write', 'team-b': 'write' });
      expect(Date.parse(granted.endsAt!) - Date.parse(granted.grantedAt!)).toBe(2 * DAY);
      expect(granted).toMatchObject({ approvedBy: ALICE, changed: { from: null, to: 'write' } });

      // An extension is a request of its own: who asked for it does not approve it.
      await h.signal(extendAccessSignal, { by: ALICE, duration: '1d', reason: 'still on it' });
      const asked2 = await until(h, (s) => s.awaitingApproval === true);
      expect(asked2).toMatchObject({
        step: 'granted',
        approvalAskedBy: ALICE,
        extension: { requestedBy: ALICE, duration: '1d' },
      });
      await h.signal(approveAccessSignal, { approver: ALICE });
      await until(h, (s) => s.refusedDecisions?.length === 4);
      await h.signal(approveAccessSignal, { approver: BOB });
      const extended = await until(h, (s) => s.extensions.length === 1);
      expect(Date.parse(extended.endsAt!) - Date.parse(granted.endsAt!)).toBe(DAY);

      const result = await h.result(); // three days skipped
      expect(result).toMatchObject({
        outcome: 'ended',
        endedBy: 'expiry',
        undo: 'removed',
        found: null,
        approval: { by: ALICE },
        extensions: [{ outcome: 'approved', decidedBy: BOB, requestedBy: ALICE, endsAt: extended.endsAt }],
      });
      expect(Date.parse(result.endedAt!)).toBeGreaterThanOrEqual(Date.parse(extended.endsAt!));
    });
    // Only its own grant changed: once on, once off; Jo's other grant is untouched throughout.
    expect(await grantsOf('jo')).toEqual({ 'team-b': 'write' });
    expect(mutations(stack.emulator)).toEqual(['setUserNamespaceAccess', 'updateUser']);
  },
);

cloudDialectTest(
  'a grant that was there survives: a lower one comes back, an equal or higher one is never touched, nor one changed since',
  async () => {
    await stack.runWorker(async () => {
      // Kim has read: asks admin, ends it early herself; read comes back.
      const kim = await ask('kim', 'team-b', 'admin', '7d');
      // Lee has admin already.
      const lee = await ask('lee', 'team-c', 'write', '1h', false);
      await until(kim, (s) => s.step === 'awaiting-approval');
      await kim.signal(approveAccessSignal, { approver: BOB });
      await until(kim, (s) => s.step === 'granted');
      expect(await grantsOf('kim')).toEqual({ 'team-b': 'admin' });
      await kim.signal(revokeAccessNowSignal, { by: 'kim@example.com', reason: 'done early' });
      expect(await kim.result()).toMatchObject({
        outcome: 'ended',
        endedBy: 'revoke-now',
        undo: 'restored',
        found: 'read',
        changed: { from: 'read', to: 'admin' },
      });
      expect(await grantsOf('kim')).toEqual({ 'team-b': 'read' });

      expect(await lee.result()).toMatchObject({
        outcome: 'already-had',
        found: 'admin',
        undo: 'nothing-to-undo',
      });
      expect(await grantsOf('lee')).toEqual({ 'team-c': 'admin' });

      // Started once the others are done: awaiting their results skips time, which would end it first.
      const max = await ask('max', 'team-c', 'write', '1d', false);
      await until(max, (s) => s.step === 'granted');
      const user = await stack.client.getUser(users.max!);
      await stack.client.setUserNamespaceAccess({
        userId: users.max!,
        namespace: ns['team-c']!,
        access: { permission: 'admin' },
        resourceVersion: user.resourceVersion,
        asyncOperationId: 'by-hand-raise',
      });
      expect(await max.result()).toMatchObject({ outcome: 'ended', undo: 'left-as-is', foundAtEnd: 'admin' });
      expect(await grantsOf('max')).toEqual({ 'team-c': 'admin' });
    });
  },
);

cloudDialectTest(
  'a retry after the server committed, on the grant and on the revocation, changes nothing twice',
  async () => {
    stack.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'setUserNamespaceAccess', count: 1 });
    stack.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'updateUser', count: 1 });
    const result = await stack.runWorker(async () =>
      (await ask('sam', 'team-a', 'read', '15m', false)).result(),
    );
    expect(result).toMatchObject({ outcome: 'ended', undo: 'removed', changed: { from: null, to: 'read' } });
    // Both answers were lost, and each change was still sent once: the retries found their own operations.
    expect(stack.emulator.faults.list()).toEqual([]);
    expect(mutations(stack.emulator)).toEqual(['setUserNamespaceAccess', 'updateUser']);
    expect(await grantsOf('sam')).toEqual({});
  },
);

cloudDialectTest(
  'access never outlives its run: granted, its worker stopped, a new one takes over, and a cancel takes the grant back',
  async () => {
    const handle = await stack.runWorker(
      async () => {
        const h = await ask('sam', 'team-a', 'write', '1d', false);
        await until(h, (s) => s.step === 'granted');
        return h;
      },
      { maxCachedWorkflows: 0 }, // so the next worker replays the run rather than waiting on this one's queue
    );
    expect(await grantsOf('sam')).toEqual({ 'team-a': 'write' });
    const status = await stack.runWorker(async () => {
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      return handle.query(accessStatusQuery); // a closed run's query needs a worker to replay it
    });
    expect(status).toMatchObject({ step: 'failed', undoneOnFailure: 'removed' });
    expect(await grantsOf('sam')).toEqual({});
    // One grant, one revoke: the second worker sent nothing the first had sent.
    expect(mutations(stack.emulator)).toEqual(['setUserNamespaceAccess', 'updateUser']);
  },
);

cloudDialectTest(
  'a service account, by name: its lower grant comes back; one scoped to another namespace is refused',
  async () => {
    const read = { permission: 'read' as const };
    const { serviceAccountIds } = await stack.emulator.seed({
      serviceAccounts: [
        {
          name: 'ci-bot',
          access: { accountAccess: { role: 'read' }, namespaceAccesses: { [ns['team-a']!]: read } },
        },
        { name: 'b-only', namespaceScopedAccess: { namespace: ns['team-b']!, access: read } },
      ],
    });
    const forBot = (principal: string) =>
      start({
        principal,
        namespace: 'team-a',
        permission: 'write',
        duration: '1h',
        reason: 'deploy',
        approval: approval(PAT, false),
      });
    await stack.runWorker(async () => {
      expect(await (await forBot('ci-bot')).result()).toMatchObject({
        outcome: 'ended',
        endedBy: 'expiry',
        undo: 'restored',
        access: { principalKind: 'serviceAccount', principalId: serviceAccountIds[0] },
      });
      const err = await (await forBot('b-only')).result().catch((e: unknown) => e);
      expect(failureOf(err).cause?.message).toMatch(/b-only is scoped to namespace team-b\.\w+ alone/);
    });
    const bot = await stack.client.getServiceAccount(serviceAccountIds[0]!);
    expect(bot.spec.access?.namespaceAccesses?.[ns['team-a']!]).toEqual(read);
    expect(mutations(stack.emulator)).toEqual([
      'setServiceAccountNamespaceAccess',
      'setServiceAccountNamespaceAccess',
    ]);
  },
);

test('a signed event starts it with the policy answer; a bad one is refused by field; the given document refuses clearly', async () => {
  const intake = createIntake({
    client: env.client,
    taskQueue: stack.taskQueue,
    logger: silentLogger,
    policy: loadApprovalPolicy({ APPROVAL_POLICY: POLICY }, [PAT]),
    receipts: { claim: async () => ({ kind: 'claimed', runId: 'r' }), void: async () => undefined },
  });
  const data = {
    principal: 'kim@example.com',
    namespace: 'team-c',
    permission: 'read',
    duration: '1d',
    reason: 'handover',
  };
  const bad = await intake.submit(
    { id: 'e0', type: 'access.requested', data: { ...data, permission: 'owner', duration: '5m' } },
    { source: 'events' },
  );
  expect(bad).toEqual({
    kind: 'invalid',
    problems: [
      { field: 'permission', message: 'must be one of read, write, admin' },
      { field: 'duration', message: 'must be at least 15m' },
    ],
  });
  const sent = await intake.submit({ id: 'e1', type: 'access.requested', data }, { source: 'events' });
  expect(sent).toMatchObject({
    kind: 'started',
    workflowId: 'grant-temporary-access/team-c/kim@example.com',
  });
  expect(
    await intake.submit({ id: 'e2', type: 'access.requested', data }, { source: 'events' }),
  ).toMatchObject({
    kind: 'attached',
  });
  const h = env.client.workflow.getHandle<typeof grantTemporaryAccess>(
    sent.kind === 'started' ? sent.workflowId : '',
  );
  await stack.runWorker(async () => {
    if (testDialect() === 'openapi') {
      const err = await h.result().catch((e: unknown) => e);
      // Refused before anyone is asked to approve it, with what to do instead.
      expect(failureOf(err).cause).toMatchObject({
        type: 'NotSupported',
        message: expect.stringMatching(/no operation to change an existing user's namespace access/),
      });
      expect((await h.query(accessStatusQuery)).step).toBe('failed');
      return;
    }
    const waiting = await until(h, (s) => s.step === 'awaiting-approval');
    expect(waiting.approval).toMatchObject({
      requestedBy: 'signed event',
      approvers: [ALICE, BOB],
      beneficiaries: ['kim@example.com'],
    });
    await h.signal(rejectAccessSignal, { approver: BOB, reason: 'not for this' });
    expect(await h.result()).toMatchObject({ outcome: 'rejected', approval: { by: BOB } });
  });
  expect(mutations(stack.emulator)).toEqual([]);
});

cloudDialectTest(
  "an offboarding ends the leaver's access: a granted one is taken back, a waiting one called off",
  async () => {
    // With the worker's Temporal client, as the product has it: this server cannot list workflows (UNIMPLEMENTED),
    // so the offboarding signals every namespace's run (a dev server's visibility: offboard-temporary-access.test.ts).
    const activities = stack.activitiesWithTemporal();
    await stack.runWorker(
      async () => {
        const granted = await ask('leaver', 'team-a', 'write', '30d', false);
        // Its approval may wait longer than anything the offboarding's waits could skip past.
        const pending = await ask('leaver', 'team-b', 'write', '30d', true, { approvalTimeout: '7d' });
        await until(granted, (s) => s.step === 'granted');
        await until(pending, (s) => s.step === 'awaiting-approval');
        const report = await (
          await env.client.workflow.start(offboardUser, {
            args: [{ email: 'Leaver@example.com' }],
            workflowId: workflowIds.offboardUser('leaver@example.com'),
            taskQueue: stack.taskQueue,
          })
        ).result();
        expect(report.temporaryAccess.map((a) => a.namespace)).toEqual(['team-a', 'team-b']);
        expect(report.temporaryAccessSearch).toEqual({
          by: 'every-namespace',
          why: expect.stringMatching(/cannot list workflows here \(UNIMPLEMENTED/),
          signalled: 3,
        });
        expect(await pending.result()).toMatchObject({ outcome: 'withdrawn' });
        const ended = await granted.result();
        expect(ended).toMatchObject({
          outcome: 'ended',
          endedBy: 'revoke-now',
          revokeRequested: { reason: 'the user is offboarded' },
        });
        // Taken back by the run, or gone with the user if the offboarding deleted it first.
        expect(['removed', 'principal-gone']).toContain(ended.undo);
      },
      { activities },
    );
    await expect(stack.client.getUser(users.leaver!)).rejects.toThrow(/not found/i);
  },
);
