import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import {
  abortRotationSignal,
  confirmCutoverSignal,
  rotateApiKey,
  rotateStatusQuery,
  type RotateStatus,
} from '../../src/workflows';
import { historyText } from '../helpers/history';
import {
  mutations,
  runtimeLogs,
  stackPerTest,
  testDialect,
  type OpsStack,
  dialectFreeTest,
} from '../helpers/stack';
import { expectRefusedUnchanged, failOperationOnce, failureOf, untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
let ownerId: string;
let oldKeyId: string;

const DAY = 24 * 60 * 60_000;

stackPerTest(
  { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 10_000 },
  (made) => ({ env, stack } = made),
);
beforeEach(async () => {
  const { serviceAccountIds } = await stack.emulator.seed({ serviceAccounts: [{ name: 'billing-sa' }] });
  ownerId = serviceAccountIds[0]!;
  const now = await env.currentTimeMs();
  const { apiKeys } = await stack.emulator.seed({
    apiKeys: [
      {
        displayName: 'billing-key',
        ownerId,
        ownerType: 'service-account',
        expiryTime: new Date(now + 10 * DAY).toISOString(),
      },
    ],
  });
  oldKeyId = apiKeys[0]!.keyId;
});

const workflowId = () => workflowIds.rotateApiKey('service-account', ownerId);

function start(input: Parameters<typeof rotateApiKey>[0], id = workflowId()) {
  return env.client.workflow.start(rotateApiKey, {
    args: [input],
    workflowId: id,
    taskQueue: stack.taskQueue,
  });
}

const until = (handle: WorkflowHandle<typeof rotateApiKey>, done: (s: RotateStatus) => boolean) =>
  untilStatus(env, handle, rotateStatusQuery, done, '10s', 200);

const keyIds = () => stack.emulator.snapshot().apiKeys.map((k) => k.id);

test('7-day grace: both keys live during it, the old one gone after; the token is only in the sink', async () => {
  const { handle, result, during, duplicateRunId } = await stack.runWorker(async () => {
    const h = await start({ ownerId, ownerType: 'service-account' });
    const s = await until(h, (st) => st.step === 'grace-period');
    expect(s.graceEndsAt).toBeDefined();
    const graceStart = await env.currentTimeMs();
    await env.sleep('6 days');
    expect((await env.currentTimeMs()) - graceStart).toBeGreaterThanOrEqual(6 * DAY);
    const mid = await h.query(rotateStatusQuery);
    const snapshotDuring = keyIds();
    // A second start for the same owner joins the running rotation.
    const again = await env.client.workflow.start(rotateApiKey, {
      args: [{ ownerId, ownerType: 'service-account' }],
      workflowId: workflowId(),
      taskQueue: stack.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect(mid.step).toBe('grace-period');
    return {
      handle: h,
      result: await h.result(),
      during: snapshotDuring,
      duplicateRunId: again.firstExecutionRunId,
    };
  });
  expect(duplicateRunId).toBe(handle.firstExecutionRunId);

  expect(result).toMatchObject({
    outcome: 'rotated',
    oldKeyId,
    ownerId,
    ownerType: 'service-account',
    oldKeyDeleted: true,
    graceEndedBy: 'timer',
    secretRef: `file:api-keys/${result.newKeyId}`,
  });
  expect(during).toEqual(expect.arrayContaining([oldKeyId, result.newKeyId]));
  expect(Date.parse(result.graceEndedAt) - Date.parse(result.newKeyActiveAt)).toBeGreaterThanOrEqual(7 * DAY);
  // ~90 days from the start, give or take the waiting.
  expect(Date.parse(result.newKeyExpiryTime) - Date.parse(result.startedAt)).toBeGreaterThanOrEqual(90 * DAY);

  const after = stack.emulator.snapshot().apiKeys;
  expect(after.map((k) => k.id)).toEqual([result.newKeyId]);
  expect(after[0]).toMatchObject({
    state: 'active',
    spec: { ownerId, displayName: expect.stringMatching(/^billing-key ~r[0-9a-f]{8}$/) },
  });

  const stored = await stack.secrets.read(`api-keys/${result.newKeyId}`);
  const token = stored!.secret;
  expect(token).toMatch(/^tmprl_/);
  expect(stored!.metadata).toMatchObject({ rotatedFrom: oldKeyId });
  const history = historyText(await handle.fetchHistory());
  expect(history).toContain(result.newKeyId);
  expect(history).not.toContain(token);
  expect(JSON.stringify(result)).not.toContain(token);
  expect(
    JSON.stringify(runtimeLogs, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  ).not.toContain(token);
});

dialectFreeTest('confirmCutover ends the grace period early', async () => {
  const result = await stack.runWorker(async () => {
    const h = await start({ ownerId, ownerType: 'service-account', gracePeriod: '7d' });
    await until(h, (st) => st.step === 'grace-period');
    await h.signal(confirmCutoverSignal);
    return h.result();
  });
  expect(result.graceEndedBy).toBe('confirmCutover');
  expect(Date.parse(result.graceEndedAt) - Date.parse(result.newKeyActiveAt)).toBeLessThan(DAY);
  expect(keyIds()).toEqual([result.newKeyId]);
});

test('abort deletes the new key and its secret and keeps the old one', async () => {
  const result = await stack.runWorker(async () => {
    const h = await start({ keyId: oldKeyId });
    const s = await until(h, (st) => st.step === 'grace-period');
    expect(await stack.secrets.has(`api-keys/${s.newKeyId!}`)).toBe(true);
    await h.signal(abortRotationSignal, { reason: 'consumer not ready' });
    return h.result();
  });
  expect(result).toMatchObject({
    outcome: 'aborted',
    graceEndedBy: 'abort',
    abortReason: 'consumer not ready',
    oldKeyDeleted: false,
  });
  expect(result.secretRef).toBeUndefined();
  expect(keyIds()).toEqual([oldKeyId]);
  expect(await stack.secrets.has(`api-keys/${result.newKeyId}`)).toBe(false);
  expect(mutations(stack.emulator).filter((m) => m === 'deleteApiKey')).toHaveLength(1);
});

dialectFreeTest('deleteOldKey: false keeps the old key', async () => {
  const result = await stack.runWorker(async () =>
    (await start({ keyId: oldKeyId, gracePeriod: '0', deleteOldKey: false })).result(),
  );
  expect(result).toMatchObject({ outcome: 'rotated', oldKeyDeleted: false, graceEndedBy: 'no-grace' });
  expect(keyIds().sort()).toEqual([oldKeyId, result.newKeyId].sort());
});

// The given document's keys have no description.
(testDialect() === 'cloud' ? test : test.skip)(
  'the replacement keeps the old key’s description',
  async () => {
    const now = await env.currentTimeMs();
    const expiryTime = new Date(now + 10 * DAY).toISOString();
    const { apiKeys } = await stack.emulator.seed({
      apiKeys: [
        {
          displayName: 'ci',
          ownerId,
          ownerType: 'service-account',
          expiryTime,
          preserved: { description: 'CI deploys' },
        },
      ],
    });
    const result = await stack.runWorker(async () =>
      (await start({ keyId: apiKeys[0]!.keyId, gracePeriod: '0' })).result(),
    );
    expect(result.outcome).toBe('rotated');
    expect((await stack.client.getApiKey(result.newKeyId)).spec.preserved).toEqual({
      description: 'CI deploys',
    });
  },
);

describe('refuses clearly, non-retryably, and changes nothing', () => {
  test.each([
    ['an unknown key', () => ({ keyId: 'no-such-key' }), /API key no-such-key does not exist/],
    [
      'an unknown owner',
      () => ({ ownerId: 'sa-missing', ownerType: 'service-account' as const }),
      /service-account sa-missing does not exist/,
    ],
    [
      'a key of another owner',
      () => ({ keyId: oldKeyId, ownerId: 'someone-else', ownerType: 'user' as const }),
      /belongs to service-account/,
    ],
    [
      'bad input',
      () => ({ keyId: oldKeyId, gracePeriod: 'a week', expiryDays: 0 }),
      /gracePeriod: must be a duration.*expiryDays: must be at least 1|expiryDays: must be at least 1.*gracePeriod/,
    ],
  ])('%s', async (_label, input, expected) => {
    const err = await stack.runWorker(async () =>
      (await start(input(), `rotate-api-key/test/${Math.random()}`)).result().catch((e: unknown) => e),
    );
    expectRefusedUnchanged(err, stack.emulator, expected);
  });

  test('an owner without an active key', async () => {
    const { userIds } = await stack.emulator.seed({ users: [{ email: 'nokeys@example.com' }] });
    const err = await stack.runWorker(async () =>
      (await start({ ownerId: userIds[0]!, ownerType: 'user' }, 'rotate-api-key/user/x'))
        .result()
        .catch((e: unknown) => e),
    );
    expect(failureOf(err).message).toMatch(/has no active API key to rotate/);
    expect(mutations(stack.emulator)).toEqual([]);
  });
});

test('a failed create leaves the old key and no stray secret', async () => {
  failOperationOnce(stack.emulator, 'createApiKey');
  const err = await stack.runWorker(async () =>
    (await start({ keyId: oldKeyId })).result().catch((e: unknown) => e),
  );
  const cause = failureOf(err);
  expect(cause.type).toBe('RotationFailed');
  expect(cause.message).toMatch(/quota exceeded.*the old key is unchanged/);
  expect(keyIds()).toEqual([oldKeyId]);
  const newKeyId = (cause.details?.[0] as { newKeyId: string }).newKeyId;
  expect(await stack.secrets.has(`api-keys/${newKeyId}`)).toBe(false);
});

test('429s, 5xx and dropped responses: one new key, old key gone, no error leaks', async () => {
  const { faults } = stack.emulator;
  faults.add({ kind: 'commit-then-drop', operationId: 'createApiKey', count: 1 });
  faults.add({ kind: 'commit-then-drop', operationId: 'deleteApiKey', count: 1 });
  faults.add({ kind: 'rate-limit', retryAfterSeconds: 30, operationId: 'listApiKeys', count: 2 });
  faults.add({ kind: 'error', status: 503, operationId: 'getAsyncOperation', count: 2 });
  faults.add({ kind: 'error', status: 500, operationId: 'deleteApiKey', count: 1 });
  const result = await stack.runWorker(async () =>
    (await start({ ownerId, ownerType: 'service-account', gracePeriod: '1h' })).result(),
  );
  expect(result.outcome).toBe('rotated');
  const keys = stack.emulator.snapshot().apiKeys;
  expect(keys.map((k) => k.id)).toEqual([result.newKeyId]);
  // The create whose response was lost left a key without a stored token: it was deleted and replaced.
  expect(await stack.secrets.has(`api-keys/${result.newKeyId}`)).toBe(true);
  expect(faults.list()).toEqual([]);
});
