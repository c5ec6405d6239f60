// 90 simulated days of the daily key-rotation schedule. The time-skipping server has no Schedules, so
// the test does what the schedule would: every simulated day it runs one sweep to completion.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { rotateExpiringKeys } from '../../src/workflows';
import { apiAnswers, stackPerFile, type OpsStack } from '../helpers/stack';

let env: TestWorkflowEnvironment;
let stack: OpsStack;

const DAY = 24 * 60 * 60_000;

stackPerFile(
  { asyncOperationDurationMs: { '*': 1000 }, checkDurationMs: 1000 },
  (made) => ({ env, stack } = made),
);

test('a daily sweep over 90 days rotates each key that comes due exactly once', async () => {
  const { serviceAccountIds, userIds } = await stack.emulator.seed({
    serviceAccounts: [{ name: 'svc-a' }, { name: 'svc-b' }, { name: 'svc-c' }],
    users: [{ email: 'ops@example.com' }],
  });
  const owners = [
    ...serviceAccountIds.map((id) => ({ ownerId: id, ownerType: 'service-account' as const })),
    { ownerId: userIds[0]!, ownerType: 'user' as const },
  ];
  const t0 = await env.currentTimeMs();
  // Key i expires on day 3 + 5i (days 3 … 93) for the first 19, then from day 108 on. The gap keeps the
  // answer clear of the 90-day boundary: the time-skipping server also skips to stale activity-timeout
  // timers while a result is awaited, so its clock runs up to ~2 days ahead over the 90 sweeps.
  const { apiKeys } = await stack.emulator.seed({
    apiKeys: Array.from({ length: 40 }, (_, i) => ({
      displayName: `key-${i}`,
      ...owners[i % owners.length]!,
      expiryTime: new Date(t0 + (3 + 5 * i + (i >= 19 ? 10 : 0)) * DAY).toISOString(),
    })),
  });
  const original = apiKeys.map((k) => k.keyId);
  // Due at some sweep within 90 days with a 7-day lead: keys 0..18 (the last, day 93, is due from day 86).
  const due = original.slice(0, 19);

  const rotatedPerDay: number[] = [];
  const rotatedIds: string[] = [];
  await stack.runWorker(async () => {
    for (let day = 1; day <= 90; day++) {
      await env.sleep('1 day');
      const result = await env.client.workflow.execute(rotateExpiringKeys, {
        args: [{ leadDays: 7, expiryDays: 365, gracePeriod: '0', concurrency: 4 }],
        workflowId: `rotate-expiring-keys/day-${day}`,
        taskQueue: stack.taskQueue,
      });
      expect(result.failed).toBe(0);
      rotatedPerDay.push(result.rotated);
      rotatedIds.push(...result.rotatedKeys.map((r) => r.keyId));
    }
  });
  const elapsed = (await env.currentTimeMs()) - t0;
  expect(elapsed).toBeGreaterThanOrEqual(90 * DAY);
  expect(elapsed).toBeLessThan(95 * DAY);

  // Exactly once each: no key twice, none missed, none early.
  expect([...rotatedIds].sort()).toEqual([...due].sort());
  expect(rotatedPerDay.reduce((a, b) => a + b, 0)).toBe(19);
  const keys = stack.emulator.snapshot().apiKeys;
  const ids = new Set(keys.map((k) => k.id));
  for (const id of due) expect(ids.has(id)).toBe(false);
  for (const id of original.slice(19)) expect(ids.has(id)).toBe(true);
  // One replacement per rotated key, named after it; each replacement's token is in the sink.
  const replacements = keys.filter((k) => / ~r[0-9a-f]{8}$/.test(k.spec.displayName));
  expect(replacements.map((k) => k.spec.displayName.replace(/ ~r.*$/, '')).sort()).toEqual(
    Array.from({ length: 19 }, (_, i) => `key-${i}`).sort(),
  );
  for (const k of replacements) expect(await stack.secrets.has(`api-keys/${k.id}`)).toBe(true);
  // One create per rotated key, as the API answered them; a create whose answer (and token) the edge lost
  // after it was applied is repeated under its id (a replay, no token) and made again under the next one.
  const lostAfterCommit = stack.emulator.requestLog.filter(
    (e) => e.operationId === 'createApiKey' && (e.edge === 'empty-502' || e.edge === 'html-504'),
  );
  const creates = apiAnswers(stack.emulator).filter((e) => e.operationId === 'createApiKey');
  expect(creates).toHaveLength(19 + lostAfterCommit.length);
});
