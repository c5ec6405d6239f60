// An offboarding ends the leaver's temporary access by the runs Temporal's visibility lists (a dev server: the
// time-skipping one cannot list), not by signalling every namespace of the account: in an account of 30 namespaces
// the leaver's granted and pending runs are signalled, two signals in all, and another user's run on the same
// namespace keeps running. The lookup itself: a grant visibility does not list yet is still found by the user's own
// access; a transient listing error is retried, a server that cannot list falls back to every namespace. A run's
// revocation refused because the offboarding deleted the user meanwhile ends as principal-gone.
import { ServiceError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { workflowIds } from '../../src/catalog';
import {
  accessStatusQuery,
  grantTemporaryAccess,
  offboardUser,
  revokeAccessNowSignal,
  type AccessStatus,
} from '../../src/workflows';
// Temporary access needs the real API's dialect (grant-temporary-access.test.ts tests the given one's refusal).
import {
  cloudDialectTest,
  stackPerFile,
  testDialect,
  wallClockEmulator,
  type OpsStack,
} from '../helpers/stack';
import { createLocalEnv } from '../helpers/temporal';
import { untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
const NAMESPACES = Array.from({ length: 30 }, (_, i) => `ns-${String(i).padStart(2, '0')}`);
const ns: Record<string, string> = {};
const users: Record<string, string> = {};

stackPerFile(wallClockEmulator, (made) => ({ env, stack } = made), createLocalEnv);

beforeAll(async () => {
  if (testDialect() !== 'cloud') return;
  const { namespaceIds } = await stack.emulator.seed({
    namespaces: NAMESPACES.map((name) => ({ name, region: 'aws-us-east-1', retentionDays: 7 })),
  });
  NAMESPACES.forEach((name, i) => (ns[name] = namespaceIds[i]!));
  const people = ['leaver', 'other', 'holder', 'gone'];
  const { userIds } = await stack.emulator.seed({
    users: people.map((name) => ({
      email: `${name}@example.com`,
      access: {
        accountAccess: { role: 'read' as const },
        // Holder and gone have a grant of their own on ns-12 (no run there).
        namespaceAccesses:
          name === 'holder' || name === 'gone' ? { [ns['ns-12']!]: { permission: 'read' as const } } : {},
      },
    })),
  });
  people.forEach((name, i) => (users[name] = userIds[i]!));
});

function ask(who: string, namespace: string, required: boolean) {
  const principal = `${who}@example.com`;
  return env.client.workflow.start(grantTemporaryAccess, {
    args: [
      {
        principal,
        namespace,
        permission: 'write',
        duration: '30d',
        reason: 'on call',
        // A pending request waits a week for its approval: it is waiting when the offboarding comes.
        approvalTimeout: '7d',
        approval: { requestedBy: 'pat@example.com', approvers: ['alice@example.com'], required, reasons: [] },
      },
    ],
    workflowId: workflowIds.grantTemporaryAccess(namespace, principal),
    taskQueue: stack.taskQueue,
  });
}

const until = (handle: WorkflowHandle, step: AccessStatus['step']) =>
  untilStatus(env, handle, accessStatusQuery, (s) => s.step === step, '100ms');

/** Waits (bounded; never a timing assertion) until visibility lists `n` running temporary-access runs. */
async function listedRunning(n: number): Promise<void> {
  const query = "WorkflowType = 'grantTemporaryAccess' AND ExecutionStatus = 'Running'";
  for (let i = 0; i < 100; i++) {
    if ((await env.client.workflow.count(query)).count >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`visibility never listed ${n} running runs`);
}

cloudDialectTest(
  "an offboarding signals the leaver's two runs, not the account's 30 namespaces; another user's run keeps going",
  async () => {
    await stack.runWorker(
      async () => {
        const granted = await ask('leaver', 'ns-03', false);
        const pending = await ask('leaver', 'ns-07', true);
        const others = await ask('other', 'ns-03', false);
        await until(granted, 'granted');
        await until(pending, 'awaiting-approval');
        await until(others, 'granted');
        // Visibility is eventually consistent: a run started within its lag may be missed (docs/workflows.md).
        await listedRunning(3);

        const offboarding = await env.client.workflow.start(offboardUser, {
          args: [{ email: 'Leaver@example.com' }],
          workflowId: workflowIds.offboardUser('leaver@example.com'),
          taskQueue: stack.taskQueue,
        });
        const report = await offboarding.result();
        expect(report.temporaryAccess).toEqual([
          { namespace: 'ns-03', workflowId: 'grant-temporary-access/ns-03/leaver@example.com' },
          { namespace: 'ns-07', workflowId: 'grant-temporary-access/ns-07/leaver@example.com' },
        ]);
        expect(report.temporaryAccessSearch).toEqual({ by: 'visibility', signalled: 2 });
        const { events } = await offboarding.fetchHistory();
        const signals = events!.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes);
        expect(signals).toHaveLength(2);

        expect(await pending.result()).toMatchObject({ outcome: 'withdrawn' });
        const ended = await granted.result();
        expect(ended).toMatchObject({ outcome: 'ended', endedBy: 'revoke-now' });
        // Taken back by the run, or gone with the user if the offboarding deleted it first.
        expect(['removed', 'principal-gone']).toContain(ended.undo);

        expect((await others.describe()).status.name).toBe('RUNNING');
        const other = await stack.client.getUser(users.other!);
        expect(other.spec.access?.namespaceAccesses?.[ns['ns-03']!]).toEqual({ permission: 'write' });
        await others.signal(revokeAccessNowSignal, { by: 'other@example.com', reason: 'done' });
        expect(await others.result()).toMatchObject({ outcome: 'ended', undo: 'removed' });
      },
      { activities: stack.activitiesWithTemporal() },
    );
    await expect(stack.client.getUser(users.leaver!)).rejects.toThrow(/not found/i);
  },
);

/** The lookup activity with a Temporal client whose listing yields `runs`, or fails with `fail`. */
function lookupWith(list: { runs?: string[]; fail?: () => Error }) {
  const temporal = {
    workflow: {
      list: async function* () {
        if (list.fail) throw list.fail();
        yield* (list.runs ?? []).map((workflowId) => ({ workflowId }));
      },
    },
  } as unknown as Client;
  const activities = createActivities({ client: stack.client, secrets: stack.secrets, temporal });
  return (who: string) =>
    activities.findTemporaryAccessNamespaces({ email: `${who}@Example.com`, userId: users[who]! });
}

/** gRPC status codes, as a Temporal client's ServiceError carries them in its cause. */
const UNIMPLEMENTED = 12;
const UNAVAILABLE = 14;
const grpcError = (code: number) =>
  new ServiceError('Failed to list workflows', {
    cause: Object.assign(new Error(`${code}`), { code, details: 'from the test', metadata: {} }),
  });

cloudDialectTest(
  "the lookup: exactly the user's own ids, with the namespaces they hold; a server that cannot list falls back",
  async () => {
    const find = lookupWith({
      runs: [
        'grant-temporary-access/ns-01/holder@example.com',
        // Not theirs: another principal, one that only starts like theirs, another kind of run.
        'grant-temporary-access/ns-02/other@example.com',
        'grant-temporary-access/ns-04/holder@example.com.evil',
        'grant-temporary-access/ns-05/xholder@example.com',
        'rotate-api-key/user/holder@example.com',
      ],
    });
    // ns-12 is held, and not listed (a grant visibility has not caught up with, or a grant of their own).
    expect(await find('holder')).toEqual({ namespaces: ['ns-01', 'ns-12'], lookup: { by: 'visibility' } });
    expect(await find('other')).toEqual({ namespaces: ['ns-02'], lookup: { by: 'visibility' } });

    const unimplemented = lookupWith({ fail: () => grpcError(UNIMPLEMENTED) });
    expect(await unimplemented('holder')).toEqual({
      namespaces: NAMESPACES,
      lookup: { by: 'every-namespace', why: expect.stringMatching(/\(UNIMPLEMENTED: from the test\)/) },
    });
    const none = createActivities({ client: stack.client, secrets: stack.secrets });
    expect(await none.findTemporaryAccessNamespaces({ email: 'holder@example.com', userId: '' })).toEqual({
      namespaces: NAMESPACES,
      lookup: { by: 'every-namespace', why: 'this worker has no Temporal client' },
    });
    // Unavailable is transient: the activity fails, and its retries try again.
    const unavailable = lookupWith({ fail: () => grpcError(UNAVAILABLE) });
    await expect(unavailable('holder')).rejects.toThrow('Failed to list workflows');
  },
);

cloudDialectTest(
  'a revocation whose user was deleted since it was read (by an offboarding): principal-gone, not a failure',
  async () => {
    const userId = users.gone!;
    const before = await stack.client.getUser(userId);
    await stack.client.deleteUser(userId, { asyncOperationId: 'test-delete-gone' });
    await expect(stack.client.getUser(userId)).rejects.toThrow(/not found/i);
    // The run's read came just before the delete: it saw the user, and its change is refused as not found.
    let stale = true;
    const client = new Proxy(stack.client, {
      get(target, name) {
        if (name === 'getUser' && stale) return () => ((stale = false), Promise.resolve(before));
        const value = Reflect.get(target, name, target) as unknown;
        // Its private fields answer only the client itself.
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const { changeNamespaceAccess } = createActivities({ client, secrets: stack.secrets });
    const result = await changeNamespaceAccess({
      kind: 'user',
      principalId: userId,
      namespaceId: ns['ns-12']!,
      from: 'read',
      to: null,
      operationKey: 'test/gone/revoke',
    });
    expect(stale).toBe(false);
    expect(result).toEqual({ outcome: 'principal-gone' });
  },
);
