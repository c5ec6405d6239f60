// An account bigger than one page, exported and planned with large payloads by reference (PAYLOAD_STORE_DIR):
// every page is read, the file and the plan are whole, and no history event grows past a bound far under what the
// same data takes inline.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { largestEvent } from '../../bench/metrics';
import { DirectoryPayloadStore, StoredPayloadCodec } from '../../src/codec';
import type { DesiredStateInput } from '../../src/desired-state/schema';
import type { ReconcileResult } from '../../src/workflows';
import { dialectFreeTest, stackPerTest, type OpsStack } from '../helpers/stack';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
// Pages of 100 (the API's would be 1,000): 2,500 keys take 25 pages.
stackPerTest({ maxPageSize: 100 }, (made) => ({ env, stack } = made));

const KEYS = 2500;
const ACCOUNTS = 5;
/** Payloads over 4 KiB go to the store; every event must then stay under 8 KiB. */
const THRESHOLD = 4096;
const BOUND = 8192;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'large-account-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

dialectFreeTest('exports and plans 2,500 keys over 25 pages with no history event over 8 KiB', async () => {
  const { serviceAccountIds } = await stack.emulator.seed({
    namespaces: [{ name: 'payments', region: 'aws-us-east-1', retentionDays: 30 }],
    serviceAccounts: Array.from({ length: ACCOUNTS }, (_, i) => ({
      name: `ci-${i + 1}`,
      access: { accountAccess: { role: 'read' as const } },
    })),
  });
  const expiryTime = new Date((await env.currentTimeMs()) + 300 * 86_400_000).toISOString();
  await stack.emulator.seed({
    apiKeys: Array.from({ length: KEYS }, (_, i) => ({
      displayName: `key-${String(i).padStart(4, '0')}`,
      ownerId: serviceAccountIds[i % ACCOUNTS]!,
      ownerType: 'service-account' as const,
      expiryTime,
    })),
  });
  const dataConverter = {
    payloadCodecs: [new StoredPayloadCodec(new DirectoryPayloadStore(dir), THRESHOLD)],
  };
  const client = new Client({
    connection: env.connection,
    namespace: env.client.options.namespace,
    dataConverter,
  });
  stack.emulator.clearRequestLog();
  const { exported, planned } = await stack.runWorker(
    async () => {
      const opts = { taskQueue: stack.taskQueue };
      const exported = (await client.workflow.execute('exportAccount', {
        ...opts,
        workflowId: 'export-large',
        args: [{}],
      })) as DesiredStateInput;
      const planned = (await client.workflow.execute('reconcile', {
        ...opts,
        workflowId: 'plan-large',
        args: [{ name: 'large', desired: exported, mode: 'plan' }],
      })) as ReconcileResult;
      return { exported, planned };
    },
    { dataConverter },
  );

  // Every key of every page is in the file, and planning the file against the account finds nothing to do.
  const listed = stack.emulator.requestLog.filter((e) => e.operationId === 'listApiKeys');
  expect(listed.length).toBeGreaterThanOrEqual(2 * (KEYS / 100));
  const keys = (exported.serviceAccounts ?? []).flatMap((sa) => sa.apiKeys ?? []);
  expect(keys).toHaveLength(KEYS);
  expect(planned.outcome).toBe('no-changes');
  expect(planned.plan.unchanged.filter((u) => u.kind === 'apiKey')).toHaveLength(KEYS);
  // The same data inline would be far over the bound: the store is what keeps the events small.
  expect(JSON.stringify(exported).length).toBeGreaterThan(10 * BOUND);
  expect((await readdir(dir)).filter((f) => f.endsWith('.payload')).length).toBeGreaterThanOrEqual(2);
  for (const workflowId of ['export-large', 'plan-large']) {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const largest = largestEvent(history)!;
    expect({ workflowId, bytes: largest.bytes }).toEqual({ workflowId, bytes: expect.any(Number) });
    expect(largest.bytes).toBeLessThanOrEqual(BOUND);
  }
});
