// The benchmark's workflow scenarios: provisionings (plain, throttled, under fleet-wide caps), offboardings and the
// expiring-key sweep, each a spec for runWorkflowScenario.
import type { Client } from '@temporalio/client';
import { workflowIds } from '../src/catalog';
import type {
  OffboardUserInput,
  ProvisionNamespaceInput,
  RotateExpiringKeysInput,
} from '../src/shared/validation';
import { DAY_MS, emulatorTiming, fmtS, pool, REGION } from './kit';
import type { ScenarioContext, ScenarioResult } from './types';
import { runWorkflowScenario } from './workflow-scenario';

function provisionInput(name: string): ProvisionNamespaceInput {
  return {
    name,
    region: REGION,
    retentionDays: 7,
    serviceAccount: { permission: 'write' },
    apiKey: { expiryDays: 90 },
    // The hint decides; the clamp only stops a hint below 1 s from hammering the API.
    wait: { minPollSeconds: 1 },
  };
}

function startProvisionings(prefix: string, n: number) {
  return async (client: Client, taskQueue: string): Promise<number> => {
    const names = Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}`);
    await pool(names, 50, (name) =>
      client.workflow.start('provisionNamespace', {
        taskQueue,
        workflowId: workflowIds.provisionNamespace(name),
        args: [provisionInput(name)],
      }),
    );
    return n;
  };
}

export function provisionScenario(ctx: ScenarioContext, throttled = false): Promise<ScenarioResult> {
  const { opts } = ctx;
  const params: Record<string, string | number> = {
    n: opts.n,
    activation: fmtS(opts.activationMs),
    checkDuration: fmtS(opts.checkMs),
    otherOps: fmtS(opts.opMs),
    minPollSeconds: 1,
    maxActivities: opts.maxActivities,
    workerSdkLog: opts.workerLogLevel,
  };
  if (throttled) Object.assign(params, { emulatorRateLimit: opts.rate, workerCap: opts.cap });
  return runWorkflowScenario(ctx, {
    name: throttled ? 'throttled' : 'provision',
    params,
    emulator: {
      ...emulatorTiming(opts),
      ...(throttled ? { rateLimit: { requestsPerSecond: opts.rate, burst: Math.ceil(opts.rate) } } : {}),
    },
    ...(throttled ? { cap: opts.cap } : {}),
    unitType: 'provisionNamespace',
    // ~10 activities (each wait is one, however many polls) at 3 events each, plus workflow tasks.
    historyBound: { events: 100, why: 'fixed steps' },
    floorReads: PROVISION_READS,
    unit: 'provisioning',
    prepare: async () => undefined,
    start: startProvisionings(`${throttled ? 't' : 'p'}${ctx.runId}`, opts.n),
  });
}

/**
 * The provision load under fleet-wide caps (OPS_API_FLEET_*), first with one worker, then with --workers on the
 * same task queue: the caps must hold across processes (read from the emulator's request log and its operations).
 */
export async function fleetScenario(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { opts } = ctx;
  const counts = [...new Set([1, opts.workers])];
  const results: ScenarioResult[] = [];
  for (const workers of counts) {
    const label = `fleet, ${workers} worker${workers > 1 ? 's' : ''}`;
    ctx.log(`  ${label}`);
    results.push(
      await runWorkflowScenario(ctx, {
        name: 'fleet',
        label,
        params: {
          n: opts.n,
          activation: fmtS(opts.activationMs),
          checkDuration: fmtS(opts.checkMs),
          otherOps: fmtS(opts.opMs),
          workers,
          fleetRate: opts.fleetRate,
          fleetMutations: opts.fleetMutations,
        },
        emulator: emulatorTiming(opts),
        workers,
        workerEnv: {
          OPS_API_FLEET_RATE_LIMIT: String(opts.fleetRate),
          OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS: String(opts.fleetMutations),
        },
        reportedCap: opts.fleetRate,
        mutationCap: opts.fleetMutations,
        unitType: 'provisionNamespace',
        historyBound: { events: 100, why: 'fixed steps' },
        floorReads: PROVISION_READS,
        unit: 'provisioning',
        prepare: async () => undefined,
        start: startProvisionings(`f${workers}${ctx.runId}`, opts.n),
      }),
    );
  }
  return results;
}

/**
 * A provisioning reads each resource it made once its operation is fulfilled (the read-after-create lag: "fulfilled"
 * is not yet "readable"; the Terraform provider's waitForNamespaceAvailable) and lists the service account's keys for
 * the key's find-or-create (its token is shown once, so a key an earlier attempt made is found by name).
 */
const PROVISION_READS = {
  perUnit: 4,
  why: "one read of each made resource after its operation (read-after-create), the service account's key list (find-or-create)",
};

/** The product lists with the API's default page size. */
const LIST_PAGE = 100;

export function offboardScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { opts } = ctx;
  const emails = Array.from({ length: opts.users }, (_, i) => `user${i + 1}@bench-${ctx.runId}.example.com`);
  return runWorkflowScenario(ctx, {
    name: 'offboard',
    params: {
      users: opts.users,
      keysPerUser: opts.keysPerUser,
      deleteDuration: fmtS(opts.opMs),
      checkDuration: fmtS(opts.checkMs),
      concurrencyPerUser: 10,
    },
    emulator: emulatorTiming(opts),
    unitType: 'offboardUser',
    subunits: { name: 'offboarded key', count: opts.users * opts.keysPerUser },
    // Per key: a delete and a wait (3 events each) plus workflow-task events; polls add nothing.
    historyBound: { events: 50 + 10 * opts.keysPerUser, why: '50 + 10 per key' },
    floorReads: {
      perUnit: 1 + Math.ceil(opts.keysPerUser / LIST_PAGE),
      why: 'find the user by email; list their keys, one page per 100 (each delete is sent with the listed version)',
    },
    unit: 'user',
    prepare: async (emulator) => {
      const { userIds } = await emulator.seed({ users: emails.map((email) => ({ email })) });
      const expiryTime = new Date(Date.now() + 90 * DAY_MS).toISOString();
      await emulator.seed({
        apiKeys: userIds.flatMap((ownerId, u) =>
          Array.from({ length: opts.keysPerUser }, (_, k) => ({
            displayName: `user${u + 1}-key${k + 1}`,
            ownerId,
            ownerType: 'user' as const,
            expiryTime,
          })),
        ),
      });
    },
    start: (client, taskQueue) => startOffboardings(client, taskQueue, emails),
  });
}

/** One offboarding per email, all at once (as an identity provider's sync sends them); returns how many. */
export async function startOffboardings(
  client: Client,
  taskQueue: string,
  emails: string[],
): Promise<number> {
  await pool(emails, 50, (email) => {
    const input: OffboardUserInput = { email };
    return client.workflow.start('offboardUser', {
      taskQueue,
      workflowId: workflowIds.offboardUser(email),
      args: [input],
    });
  });
  return emails.length;
}

export function sweepScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { opts } = ctx;
  // One due key per owner, so rotations (serial per owner) can all run in parallel lanes.
  const owners = Math.max(1, Math.min(opts.sweepKeys, opts.sweepDue));
  const input: RotateExpiringKeysInput = {
    leadDays: 14,
    expiryDays: 90,
    gracePeriod: '0',
    concurrency: opts.sweepConcurrency,
    batchSize: 100,
  };
  return runWorkflowScenario(ctx, {
    name: 'sweep',
    params: {
      keys: opts.sweepKeys,
      due: opts.sweepDue,
      owners,
      concurrency: opts.sweepConcurrency,
      batchSize: 100,
      keyOps: fmtS(opts.opMs),
      checkDuration: fmtS(opts.checkMs),
    },
    emulator: emulatorTiming(opts),
    unitType: 'rotateApiKey',
    subunits: { name: 'key in the account', count: opts.sweepKeys },
    // Per child ~5 events; a run rotates at most batchSize × batchesPerRun (10) before continuing as new.
    historyBound: {
      events: 50 + 6 * Math.min(opts.sweepDue, 100 * 10),
      why: '50 + 6 per rotation in a run',
    },
    floorReads: {
      perUnit: 3,
      why:
        'the rotation reads the key it replaces (owner, name, state now, not when the sweep listed it), lists the ' +
        "owner's keys for the new key's find-or-create (its token is shown once), and reads the new key after its " +
        'create (read-after-create)',
    },
    unit: 'rotation',
    prepare: async (emulator) => {
      const { serviceAccountIds } = await emulator.seed({
        serviceAccounts: Array.from({ length: owners }, (_, i) => ({ name: `sweep-sa-${i + 1}` })),
      });
      const now = Date.now();
      await emulator.seed({
        apiKeys: Array.from({ length: opts.sweepKeys }, (_, i) => ({
          displayName: `sweep-key-${i + 1}`,
          ownerId: serviceAccountIds[i % owners]!,
          ownerType: 'service-account' as const,
          // The first `due` keys (one per owner) expire within the 14-day lead time; the rest do not.
          expiryTime: new Date(now + (i < opts.sweepDue ? 7 : 300) * DAY_MS).toISOString(),
        })),
      });
    },
    start: async (client, taskQueue) => {
      await client.workflow.start('rotateExpiringKeys', {
        taskQueue,
        workflowId: `${workflowIds.rotateExpiringKeys()}/bench-${ctx.runId}`,
        args: [input],
      });
      return 1;
    },
  });
}
