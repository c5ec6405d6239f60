// Between the product and the API sit a load balancer and the gateway: they answer some requests
// themselves — an HTML 503, a plain-text 429 without Retry-After, an empty 502, an HTML 504 — some of them
// after the API applied a mutation (realism switch `edgeAnswers`). Transient whatever the body: retried,
// and a mutation whose answer was lost is resolved through its own asyncOperationId, never made twice.
import { isMutation } from '../../src/ops-api';
import { workflowIds } from '../../src/catalog';
import { offboardUser, provisionNamespace } from '../../src/workflows';
import { suiteWithStack } from '../helpers/stack';

const suite = suiteWithStack({
  asyncOperationDurationMs: { '*': 20_000 },
  checkDurationMs: 5_000,
  // About one request in five, in both dialects (the edge is in front of either).
  realism: { edgeAnswers: true },
  realismParams: { edgeAnswers: { every: 5 } },
  faultSeed: 42,
});

const operations = (type: string) =>
  suite.stack.emulator.snapshot().asyncOperations.filter((op) => op.operationType === type);
const lostAnswers = () =>
  suite.stack.emulator.requestLog.filter((e) => e.edge && e.operationId && isMutation(e.operationId));

test('provisioning through the edge: one namespace, one account, one key with its token in the sink', async () => {
  const result = await suite.stack.runWorker(async () =>
    (
      await suite.env.client.workflow.start(provisionNamespace, {
        args: [
          {
            name: 'payments',
            region: 'aws-us-east-1',
            retentionDays: 30,
            serviceAccount: { permission: 'write' },
            apiKey: { expiryDays: 30 },
          },
        ],
        workflowId: workflowIds.provisionNamespace('payments'),
        taskQueue: suite.stack.taskQueue,
      })
    ).result(),
  );
  const state = suite.stack.emulator.snapshot();
  expect([state.namespaces.length, state.serviceAccounts.length, state.apiKeys.length]).toEqual([1, 1, 1]);
  expect(result.created.apiKeyId).toBe(state.apiKeys[0]!.id);
  expect(await suite.stack.secrets.read(`api-keys/${state.apiKeys[0]!.id}`)).toBeDefined();
  // Each create made once, whatever the edge said (a key whose answer — and token — was lost is replaced).
  expect(operations('createNamespace')).toHaveLength(1);
  expect(operations('createServiceAccount')).toHaveLength(1);
  // The edge did answer, before and after mutations, with every kind of answer.
  const kinds = new Set(suite.stack.emulator.requestLog.map((e) => e.edge).filter(Boolean));
  expect(kinds.size).toBeGreaterThanOrEqual(3);
  expect(lostAnswers().length).toBeGreaterThan(0);
});

test('offboarding through the edge: every key and the user gone, each delete made once', async () => {
  const { userIds } = await suite.stack.emulator.seed({ users: [{ email: 'leaver@example.com' }] });
  const expiryTime = new Date((await suite.env.currentTimeMs()) + 30 * 86_400_000).toISOString();
  await suite.stack.emulator.seed({
    apiKeys: Array.from({ length: 6 }, (_, i) => ({
      displayName: `key-${i}`,
      ownerId: userIds[0]!,
      ownerType: 'user' as const,
      expiryTime,
    })),
  });
  const report = await suite.stack.runWorker(async () =>
    (
      await suite.env.client.workflow.start(offboardUser, {
        args: [{ email: 'leaver@example.com' }],
        workflowId: workflowIds.offboardUser('leaver@example.com'),
        taskQueue: suite.stack.taskQueue,
      })
    ).result(),
  );
  expect(report.outcome).toBe('completed');
  expect(report.removed).toHaveLength(7);
  expect(suite.stack.emulator.snapshot()).toMatchObject({ users: [], apiKeys: [] });
  expect(operations('deleteApiKey')).toHaveLength(6);
  expect(operations('deleteUser')).toHaveLength(1);
});
