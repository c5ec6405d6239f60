// The rotate-api-key and rotate-expiring-keys starters driven in-process (their exported `main`) against
// the time-skipping server, a worker with the real activities and the emulator.
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { OwnerType } from '../../src/ops-api/types';
import { workflowIds } from '../../src/catalog';
import type { ExitCode, StarterIO } from '../../src/starters/cli';
import { main as rotateApiKeyMain } from '../../src/starters/rotate-api-key';
import { main as rotateExpiringKeysMain } from '../../src/starters/rotate-expiring-keys';
import {
  rotateStatusQuery,
  type RotateApiKeyResult,
  type RotateExpiringKeysResult,
  type RotateStatus,
} from '../../src/workflows';
import { mutations, stackPerTest, type OpsStack } from '../helpers/stack';
import { runMain } from '../starters/run-starter';
import { untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
/** Times a starter asked for a Temporal connection in the current test. */
let connects: number;
/** Everything the starters printed in the current test (stdout and stderr), for leak checks. */
let printed: string;

const DAY = 24 * 60 * 60_000;

stackPerTest(
  { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 10_000 },
  (made) => ({ env, stack } = made),
);
beforeEach(async () => {
  connects = 0;
  printed = '';
});

interface CliRun {
  code: ExitCode;
  stdout: string;
  stderr: string;
}

/** Who runs the commands (their login name): the requester of what they start. */
const REQUESTER = 'rotation-requester';

/** Runs a starter's `main` in-process with the test environment's client and the stack's task queue. */
function cli(main: (argv: readonly string[], io?: StarterIO) => Promise<ExitCode>) {
  return async (...argv: string[]): Promise<CliRun> => {
    const run = await runMain(main, argv, {
      client: env.client,
      env: { TASK_QUEUE: stack.taskQueue, USER: REQUESTER },
      onConnect: () => connects++,
    });
    printed += run.stdout + run.stderr;
    return run;
  };
}
const rotate = cli(rotateApiKeyMain);
const sweep = cli(rotateExpiringKeysMain);

/** The single JSON line that --json prints. */
function json<T = Record<string, unknown>>(run: CliRun): T {
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as T;
}

async function seedKey(owner: { ownerId: string; ownerType: OwnerType }, expiresInDays = 30) {
  const now = await env.currentTimeMs();
  const { apiKeys } = await stack.emulator.seed({
    apiKeys: [
      {
        displayName: `${owner.ownerType}-key`,
        ...owner,
        expiryTime: new Date(now + expiresInDays * DAY).toISOString(),
      },
    ],
  });
  return apiKeys[0]!.keyId;
}

const until = (handle: WorkflowHandle, done: (s: RotateStatus) => boolean) =>
  untilStatus(env, handle, rotateStatusQuery, done, '10s', 200);

const keyIds = () =>
  stack.emulator
    .snapshot()
    .apiKeys.map((k) => k.id)
    .sort();

describe('rotate-api-key starter', () => {
  let saId: string;
  let saKeyId: string;
  let userId: string;
  let userKeyId: string;
  const sa = () => ['--owner-type', 'service-account', '--owner-id', saId];
  const user = () => ['--owner-type', 'user', '--owner-id', userId];

  beforeEach(async () => {
    const seeded = await stack.emulator.seed({
      serviceAccounts: [{ name: 'billing-sa' }],
      users: [{ email: 'dev@example.com' }],
    });
    saId = seeded.serviceAccountIds[0]!;
    userId = seeded.userIds[0]!;
    saKeyId = await seedKey({ ownerId: saId, ownerType: 'service-account' });
    userKeyId = await seedKey({ ownerId: userId, ownerType: 'user' });
    stack.emulator.clearRequestLog();
  });

  test('bad flags: exit 2 naming each flag, nothing sent; a signal with nothing running starts nothing', async () => {
    const bad = await rotate(
      '--owner-type',
      'robot',
      '--owner-id',
      saId,
      '--expiry-days',
      '0',
      '--grace',
      'soon',
      '--bogus',
      '--json',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--owner-type: must be one of user, service-account/);
    expect(bad.stderr).toMatch(/--expiry-days: must be at least 1/);
    expect(bad.stderr).toMatch(/--grace: must be a duration/);
    expect(bad.stderr).toMatch(/--bogus: unknown flag/);
    const doc = json<{ ok: boolean; error: { kind: string; problems: Array<{ flag: string }> } }>(bad);
    expect(doc).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(doc.error.problems.map((p) => p.flag).sort()).toEqual(
      ['--bogus', '--expiry-days', '--grace', '--owner-type'].sort(),
    );

    const noOwner = await rotate('--key-id', saKeyId);
    expect(noOwner.code).toBe(2);
    expect(noOwner.stderr).toMatch(/give --owner-type and --owner-id/);

    const both = await rotate(...sa(), '--confirm-cutover', '--abort=why');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--confirm-cutover: cannot be combined with --abort/);

    // A reason must be attached with '=': otherwise it would be taken for another argument.
    const detached = await rotate(...sa(), '--abort', 'not ready');
    expect(detached.code).toBe(2);
    expect(detached.stderr).toMatch(/to give --abort a value, write --abort=not ready/);

    expect(connects).toBe(0);

    // Well-formed, but there is no rotation to signal: refused, and nothing is started.
    const cutover = await rotate(...sa(), '--confirm-cutover', '--json');
    expect(cutover.code).toBe(1);
    expect(cutover.stderr).toMatch(
      new RegExp(`nothing to signal: no running rotate-api-key/service-account/${saId}`),
    );
    expect(json(cutover)).toMatchObject({ ok: false, error: { kind: 'not-running' } });
    const aborted = await rotate(...user(), '--abort=why');
    expect(aborted.code).toBe(1);

    for (const workflowId of [
      workflowIds.rotateApiKey('service-account', saId),
      workflowIds.rotateApiKey('user', userId),
    ]) {
      await expect(env.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
    }
    expect(mutations(stack.emulator)).toEqual([]);
    expect(keyIds()).toEqual([saKeyId, userKeyId].sort());
  });

  test('start, attach, confirm-cutover one rotation, abort another; no token in the output', async () => {
    const saWorkflowId = workflowIds.rotateApiKey('service-account', saId);
    const userWorkflowId = workflowIds.rotateApiKey('user', userId);
    const { confirmed, aborted, saNewKeyId, userNewKeyId } = await stack.runWorker(async () => {
      const first = await rotate(...sa());
      expect(first.code).toBe(0);
      const started = first.stdout.match(
        new RegExp(
          `^started new run of ${saWorkflowId} \\(run ([\\w-]+), task queue ${stack.taskQueue}\\)$`,
          'm',
        ),
      );
      expect(started).not.toBeNull();
      const runId = started![1]!;

      const second = await rotate(...sa());
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(
        new RegExp(
          `attached to existing run of ${saWorkflowId} \\(run ${runId}, RUNNING\\); no new run started`,
        ),
      );
      expect(json(await rotate(...sa(), '--json'))).toMatchObject({
        ok: true,
        workflowId: saWorkflowId,
        runId,
        started: false,
        status: 'RUNNING',
      });

      const saHandle = env.client.workflow.getHandle(saWorkflowId);
      const saStatus = await until(saHandle, (s) => s.step === 'grace-period');
      expect(keyIds()).toEqual([saKeyId, saStatus.newKeyId!, userKeyId].sort());

      // --help only shows help, even next to a signal flag; a signal for another owner reaches nothing.
      const help = await rotate(...sa(), '--abort=just asking', '--help');
      expect(help).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^Usage: npm run rotate-api-key/),
      });
      expect((await rotate(...sa(), '--confirm-cutover', '-h')).code).toBe(0);
      expect((await rotate(...user(), '--abort=wrong owner')).code).toBe(1);
      expect(await saHandle.query(rotateStatusQuery)).toMatchObject({
        step: 'grace-period',
        cutoverConfirmed: false,
        abortRequested: false,
      });

      // Ending the grace period early is a decision: never the requester's own.
      const own = await rotate(...sa(), '--confirm-cutover', '--approver', REQUESTER);
      expect(own.code).toBe(1);
      expect(own.stderr).toMatch(/refused the confirmCutover by .*requested this and cannot decide on it/);
      expect(await saHandle.query(rotateStatusQuery)).toMatchObject({ step: 'grace-period' });
      const confirmRun = await rotate(
        ...sa(),
        '--confirm-cutover',
        '--approver',
        'ops-lead@example.com',
        '--wait',
        '--json',
      );
      expect(confirmRun.code).toBe(0);
      // Nothing is running any more: a signal is refused, not turned into a start.
      const late = await rotate(...sa(), '--confirm-cutover');
      expect(late.code).toBe(1);
      expect(late.stderr).toMatch(/its latest run is COMPLETED/);

      // Another rotation (one at a time: while one waits on a signal, time-skipping would fire the
      // other's grace timer), this one aborted during its grace period.
      const other = await rotate(...user(), '--grace', '1d', '--json');
      expect(json(other)).toMatchObject({ ok: true, workflowId: userWorkflowId, started: true });
      const userStatus = await until(
        env.client.workflow.getHandle(userWorkflowId),
        (s) => s.step === 'grace-period',
      );
      expect(keyIds()).toEqual([saStatus.newKeyId!, userKeyId, userStatus.newKeyId!].sort());
      const abortRun = await rotate(...user(), '--abort=consumer not ready', '--wait', '--json');
      expect(abortRun.code).toBe(0);

      return {
        confirmed: json<{ ok: boolean; runId: string; result: RotateApiKeyResult }>(confirmRun),
        aborted: json<{ ok: boolean; result: RotateApiKeyResult }>(abortRun),
        saNewKeyId: saStatus.newKeyId!,
        userNewKeyId: userStatus.newKeyId!,
      };
    });

    expect(confirmed).toMatchObject({
      ok: true,
      signal: 'confirmCutover',
      result: {
        outcome: 'rotated',
        graceEndedBy: 'confirmCutover',
        oldKeyId: saKeyId,
        newKeyId: saNewKeyId,
        oldKeyDeleted: true,
        secretRef: `file:api-keys/${saNewKeyId}`,
      },
    });
    // Ended by the signal, long before the 7-day grace period was up.
    const { result } = confirmed;
    expect(Date.parse(result.graceEndedAt) - Date.parse(result.newKeyActiveAt)).toBeLessThan(DAY);
    expect(aborted).toMatchObject({
      ok: true,
      result: {
        outcome: 'aborted',
        graceEndedBy: 'abort',
        abortReason: 'consumer not ready',
        oldKeyId: userKeyId,
        newKeyId: userNewKeyId,
        oldKeyDeleted: false,
      },
    });

    // Service account: old key gone, new one kept. User: new key (and its token) gone, old one kept.
    expect(keyIds()).toEqual([saNewKeyId, userKeyId].sort());
    expect(await stack.secrets.has(`api-keys/${userNewKeyId}`)).toBe(false);
    const stored = await stack.secrets.read(`api-keys/${saNewKeyId}`);
    expect(stored!.secret).toMatch(/^tmprl_/);
    expect(printed).toContain(saNewKeyId);
    expect(printed).not.toContain(stored!.secret);
  });
});

describe('rotate-expiring-keys starter', () => {
  test('bad flags: exit 2 naming the flags, nothing sent', async () => {
    const bad = await sweep('--expiry-days', '5', '--lead-days', '14', '--concurrency', '0', '--json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expiry-days: must be greater than leadDays/);
    expect(bad.stderr).toMatch(/--concurrency: must be at least 1/);
    const doc = json<{ error: { kind: string; problems: Array<{ flag: string }> } }>(bad);
    expect(doc.error.kind).toBe('usage');
    expect(doc.error.problems.map((p) => p.flag).sort()).toEqual(['--concurrency', '--expiry-days']);

    const notNumbers = await sweep('--lead-days', 'soon', '--owner-type', 'robot', '--grace', '2 days');
    expect(notNumbers.code).toBe(2);
    expect(notNumbers.stderr).toMatch(/--lead-days: must be a number, got "soon"/);
    expect(notNumbers.stderr).toMatch(/--owner-type: must be one of user, service-account/);
    expect(notNumbers.stderr).toMatch(/--grace: must be a duration/);
    expect(connects).toBe(0);
    await expect(
      env.client.workflow.getHandle(workflowIds.rotateExpiringKeys()).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  test('--dry-run reports exactly the keys due and changes nothing; a real run rotates exactly those', async () => {
    const { serviceAccountIds, userIds } = await stack.emulator.seed({
      serviceAccounts: Array.from({ length: 4 }, (_, i) => ({ name: `svc-${i}` })),
      users: Array.from({ length: 2 }, (_, i) => ({ email: `dev${i}@example.com` })),
    });
    const owners = [
      ...serviceAccountIds.map((ownerId) => ({ ownerId, ownerType: 'service-account' as const })),
      ...userIds.map((ownerId) => ({ ownerId, ownerType: 'user' as const })),
    ];
    // Keys 1 and 7 share an owner, so their rotations run one after the other; key 4 is one day too late.
    const expiresIn: Record<number, number> = { 1: 2, 7: 9, 9: 13, 4: 15 };
    const seeded: string[] = [];
    for (let i = 0; i < 12; i++) seeded.push(await seedKey(owners[i % owners.length]!, expiresIn[i] ?? 200));
    const due = [seeded[1]!, seeded[7]!, seeded[9]!].sort();
    stack.emulator.clearRequestLog();

    const { dry, dryMutations, real } = await stack.runWorker(async () => {
      const dryRun = await sweep('--dry-run', '--wait', '--json', '--lead-days', '14');
      const seen = mutations(stack.emulator);
      stack.emulator.clearRequestLog();
      return {
        dry: dryRun,
        dryMutations: seen,
        real: await sweep('--wait', '--json', '--lead-days', '14', '--concurrency', '2'),
      };
    });

    expect(dry.code).toBe(0);
    const dryDoc = json<{ ok: boolean; started: boolean; result: RotateExpiringKeysResult }>(dry);
    expect(dryDoc).toMatchObject({ ok: true, started: true, status: 'COMPLETED' });
    expect(dryDoc.result).toMatchObject({ dryRun: true, scanned: 12, selected: 3, notDue: 9, rotated: 0 });
    expect(dryDoc.result.wouldRotate.map((c) => c.keyId).sort()).toEqual(due);
    expect(dryMutations).toEqual([]);

    expect(real.code).toBe(0);
    const realDoc = json<{ ok: boolean; started: boolean; result: RotateExpiringKeysResult }>(real);
    // The finished dry run does not hold the id: a new run was started.
    expect(realDoc).toMatchObject({ ok: true, started: true, status: 'COMPLETED' });
    expect(realDoc.result).toMatchObject({ dryRun: false, selected: 3, rotated: 3, failed: 0, skipped: {} });
    expect(realDoc.result.rotatedKeys.map((r) => r.keyId).sort()).toEqual(due);

    const after = keyIds();
    const replacements = realDoc.result.rotatedKeys.map((r) => r.newKeyId);
    expect(after).toEqual([...seeded.filter((id) => !due.includes(id)), ...replacements].sort());
    const creates = stack.emulator.requestLog.filter((e) => e.operationId === 'createApiKey');
    const deletes = stack.emulator.requestLog.filter((e) => e.operationId === 'deleteApiKey');
    expect(creates).toHaveLength(3);
    expect(deletes.map((e) => e.path.split('?')[0]!.split('/').at(-1)).sort()).toEqual(due);
    for (const newKeyId of replacements) {
      const stored = await stack.secrets.read(`api-keys/${newKeyId}`);
      expect(printed).not.toContain(stored!.secret);
    }
  });
});
