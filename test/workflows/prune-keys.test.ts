// A pruned service account or user goes with its API keys deleted first, each explicitly: nothing public says the
// real service takes an owner's keys with it, and the emulator does not (docs/real-service.md).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { reconcile } from '../../src/workflows';
import { apiAnswers, stackPerTest, type OpsStack } from '../helpers/stack';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
stackPerTest({}, (made) => ({ env, stack } = made));

test('pruning a service account and a user deletes their keys first: no key is left behind', async () => {
  const { serviceAccountIds, userIds } = await stack.emulator.seed({
    users: [{ email: 'leaver@example.com' }],
    serviceAccounts: [{ name: 'old-ci', access: { accountAccess: { role: 'read' } } }],
  });
  const expiryTime = new Date((await env.currentTimeMs()) + 30 * 86_400_000).toISOString();
  const key = (displayName: string, ownerId: string, ownerType: 'user' | 'service-account') => ({
    displayName,
    ownerId,
    ownerType,
    expiryTime,
  });
  const { apiKeys } = await stack.emulator.seed({
    apiKeys: [
      key('ci-1', serviceAccountIds[0]!, 'service-account'),
      key('ci-2', serviceAccountIds[0]!, 'service-account'),
      key('laptop', userIds[0]!, 'user'),
    ],
  });

  const result = await stack.runWorker(() =>
    env.client.workflow.execute(reconcile, {
      args: [
        {
          name: 'prune-keys',
          desired: { prune: { serviceAccounts: ['old-*'], users: ['leaver@*'] } },
          mode: 'apply',
          autoApprove: true,
        },
      ],
      workflowId: 'reconcile/prune-keys',
      taskQueue: stack.taskQueue,
    }),
  );

  expect(result.applied.map((a) => [a.kind, a.name, a.outcome]).sort()).toEqual([
    ['serviceAccount', 'old-ci', 'done'],
    ['user', 'leaver@example.com', 'done'],
  ]);
  const after = stack.emulator.snapshot();
  expect([after.serviceAccounts, after.users, after.apiKeys]).toEqual([[], [], []]);
  // Each key by its own delete, before its owner's.
  const deletes = apiAnswers(stack.emulator).filter((e) => e.method === 'DELETE' && e.status < 300);
  const at = (id: string) => deletes.findIndex((e) => e.path.endsWith(`/${id}`));
  const [ci1, ci2, laptop] = apiKeys.map((k) => at(k.keyId));
  expect([ci1, ci2, laptop].every((i) => i! >= 0)).toBe(true);
  expect(Math.max(ci1!, ci2!)).toBeLessThan(at(serviceAccountIds[0]!));
  expect(laptop).toBeLessThan(at(userIds[0]!));
});
