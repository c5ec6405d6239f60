// The benchmark scenarios. Each workflow scenario gets a fresh emulator (so its request log and
// operations are its own), a fresh worker child on its own task queue, and is judged from what the
// emulator saw and what Temporal's visibility reports.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import ky from 'ky';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator';
import { workflowIds } from '../src/catalog';
import type {
  OffboardUserInput,
  ProvisionNamespaceInput,
  RotateExpiringKeysInput,
} from '../src/shared/validation';
import {
  actionsFigures,
  addCounts,
  countActions,
  diffCounts,
  type ActionCounts,
  type ActionsFigures,
} from './actions';
import type { BenchOptions, ScenarioName } from './cli';
import { settledActionMetric, startWorker, type DevServer, type WorkerUsage } from './infra';
import type { WaitDesignFigures } from './wait-designs/scenario';
import {
  distribution,
  operationIntervals,
  peakConcurrent,
  requestFigures,
  round2,
  type Distribution,
  type RequestFigures,
} from './metrics';
import { FLEET_LIMITER } from '../src/shared/fleet-limits';

export interface ScenarioContext {
  opts: BenchOptions;
  server: DevServer | undefined;
  bundlePath: string | undefined;
  outDir: string;
  runId: string;
  log(message: string): void;
}

export interface WorkflowCounts {
  started: number;
  completed: number;
  failed: number;
  /** Still running when the scenario gave up (counted as not completed). */
  running: number;
  continuedAsNew: number;
}

export interface ScenarioResult {
  name: ScenarioName;
  /** The report's column name when a scenario has more than one (fleet: one per worker count). */
  label?: string;
  status: 'ok' | 'skipped' | 'crashed';
  note?: string;
  params: Record<string, string | number>;
  /** What one unit of work is (a provisioning, a user, a rotation), for per-unit figures. */
  unit?: string;
  units?: number;
  wallS?: number;
  workflows?: WorkflowCounts;
  workflowsPerSecond?: number;
  /** Start to close of each unit's workflow (s). */
  unitLatencyS?: Distribution;
  callsPerUnit?: number;
  /** Accepted mutations + ⌈d/c⌉+1 polls per wait, per unit: the calls the hints cannot avoid. */
  floorCallsPerUnit?: number;
  /** The worker's OPS_API_RATE_LIMIT (fleet: OPS_API_FLEET_RATE_LIMIT), when set. */
  capPerSecond?: number;
  /** Worker processes on the task queue. */
  workers?: number;
  /** fleet: OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS. */
  mutationCap?: number;
  /** Most async operations in flight at once, as the emulator ran them. */
  peakInFlight?: number;
  /** fleet: the limiter workflow's Actions (in the totals too), per unit. */
  limiterActionsPerUnit?: number;
  requests?: Omit<RequestFigures, 'waits'>;
  worker?: WorkerUsage;
  longestHistory?: { events: number; workflowId: string; type: string };
  /** What the longest history may reach given the workflow's steps (independent of poll counts). */
  historyBound?: { events: number; why: string };
  /** Temporal Cloud Actions of the whole scenario, per unit of work. */
  actions?: ActionsFigures;
  /** The waits scenario: one row per wait design and operation duration. */
  waitDesigns?: WaitDesignFigures[];
  failures?: string[];
}

const REGION = 'aws-us-east-1';
const DAY_MS = 86_400_000;
export const fmtS = (ms: number) => `${round2(ms / 1000)}s`;

function emulatorTiming(opts: BenchOptions): EmulatorOptions {
  return {
    asyncOperationDurationMs: { createNamespace: opts.activationMs, '*': opts.opMs },
    checkDurationMs: opts.checkMs,
  };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

interface WorkflowScenarioSpec {
  name: ScenarioName;
  params: Record<string, string | number>;
  emulator: EmulatorOptions;
  /** The worker's Ops API cap (OPS_API_RATE_LIMIT). */
  cap?: number;
  /** Worker processes on the task queue (default 1), and variables for each. */
  workers?: number;
  workerEnv?: Record<string, string>;
  /** Replaces the result's capPerSecond (fleet: the fleet-wide rate). */
  reportedCap?: number;
  mutationCap?: number;
  label?: string;
  /** Workflow type whose runs are the units of work. */
  unitType: string;
  /** What a unit is made of, for a second per-thing figure (an offboarded user's keys). */
  subunits?: { name: string; count: number };
  historyBound: { events: number; why: string };
  unit: string;
  prepare(emulator: Emulator): Promise<void>;
  /** Starts the top-level workflows on `taskQueue`; returns how many. */
  start(client: Client, taskQueue: string): Promise<number>;
}

async function runWorkflowScenario(
  ctx: ScenarioContext,
  spec: WorkflowScenarioSpec,
): Promise<ScenarioResult> {
  const { opts, server } = ctx;
  if (!server || !ctx.bundlePath) throw new Error('no Temporal dev server');
  const emulator = await startEmulator(spec.emulator);
  // One task queue per run: the fleet's runs (1 and N workers) must not share a limiter.
  const taskQueue = `bench-${spec.name}${spec.workers ? `-${spec.workers}` : ''}-${ctx.runId}`;
  const secretsDir = path.join(ctx.outDir, 'secrets', spec.name);
  await mkdir(secretsDir, { recursive: true });
  const workerCount = spec.workers ?? 1;
  const workers = await Promise.all(
    Array.from({ length: workerCount }, (_, i) =>
      startWorker({
        temporalAddress: server.address,
        taskQueue,
        opsApiUrl: emulator.url,
        opsApiKey: emulator.apiKey,
        secretsDir,
        bundlePath: ctx.bundlePath!,
        logFile: path.join(ctx.outDir, `worker-${spec.name}-${workerCount}-${i + 1}.log`),
        maxActivities: opts.maxActivities,
        logLevel: opts.workerLogLevel,
        ...(spec.cap ? { rateLimit: spec.cap } : {}),
        ...(opts.maxCachedWorkflows ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
        ...(opts.maxWorkflowTasks ? { maxWorkflowTasks: opts.maxWorkflowTasks } : {}),
        ...(spec.workerEnv ? { env: spec.workerEnv } : {}),
      }),
    ),
  );
  try {
    await spec.prepare(emulator);
    emulator.clearRequestLog();
    for (const w of workers) w.markStart();
    const serverActionsBefore = await server.actionMetric();
    const t0 = Date.now();
    const started = await spec.start(server.client, taskQueue);
    ctx.log(`  ${spec.name}: ${started} workflow(s) started in ${fmtS(Date.now() - t0)}; waiting`);
    const running = await waitUntilIdle(server.client, taskQueue, t0 + opts.timeoutMs, ctx.log, spec.name);
    // With several workers: the sum of their CPU, the largest RSS.
    const usages = workers.map((w) => w.usage());
    const usage: WorkerUsage = {
      peakRssMiB: Math.max(...usages.map((u) => u.peakRssMiB)),
      cpuSeconds: round2(usages.reduce((sum, u) => sum + u.cpuSeconds, 0)),
      cpuSecondsTotal: round2(usages.reduce((sum, u) => sum + u.cpuSecondsTotal, 0)),
    };
    const serverActions = diffCounts(await settledActionMetric(server), serverActionsBefore);
    const log = [...emulator.requestLog];
    const operations = emulator.snapshot().asyncOperations;

    const counts: WorkflowCounts = { started, completed: 0, failed: 0, running: 0, continuedAsNew: 0 };
    let longest: ScenarioResult['longestHistory'];
    let lastClose = t0;
    const unitLatencies: number[] = [];
    const failed: Array<{ workflowId: string; runId: string }> = [];
    const runs: Array<{ workflowId: string; runId: string }> = [];
    let units = 0;
    for await (const wf of server.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
      runs.push({ workflowId: wf.workflowId, runId: wf.runId });
      // The fleet limiter runs as long as its workers: its Actions are counted, but it is not part of the work.
      if (wf.type === FLEET_LIMITER.workflowType) continue;
      const status = wf.status.name;
      if (status === 'COMPLETED') counts.completed++;
      else if (status === 'CONTINUED_AS_NEW') counts.continuedAsNew++;
      else if (status === 'RUNNING') counts.running++;
      else {
        counts.failed++;
        failed.push({ workflowId: wf.workflowId, runId: wf.runId });
      }
      if (wf.closeTime) lastClose = Math.max(lastClose, wf.closeTime.getTime());
      if (!longest || wf.historyLength > longest.events)
        longest = { events: wf.historyLength, workflowId: wf.workflowId, type: wf.type };
      if (wf.type === spec.unitType) {
        units++;
        if (wf.closeTime) unitLatencies.push((wf.closeTime.getTime() - wf.startTime.getTime()) / 1000);
      }
    }
    const failures = await Promise.all(
      failed.slice(0, 5).map(async ({ workflowId, runId }) => {
        try {
          await server.client.workflow.getHandle(workflowId, runId).result();
          return `${workflowId}: completed on second look`;
        } catch (err) {
          const cause = (err as { cause?: Error }).cause;
          return `${workflowId}: ${cause?.message ?? (err as Error).message}`;
        }
      }),
    );
    if (running > 0) failures.push(`${running} workflow(s) still running after --timeout`);
    const historyActions: ActionCounts = {};
    let limiterActions = 0;
    for (const { workflowId, counts } of await historyActionCounts(server.client, runs)) {
      addCounts(historyActions, counts);
      if (workflowId === FLEET_LIMITER.workflowId(taskQueue))
        limiterActions += Object.values(counts).reduce((sum, n) => sum + n, 0);
    }

    const figures = requestFigures(log, operations);
    const { waits, ...requests } = figures;
    const minPolls = waits.reduce((s, w) => s + (Number.isFinite(w.minPolls) ? w.minPolls : w.polls), 0);
    const wallS = round2((lastClose - t0) / 1000);
    const closed = counts.completed + counts.failed + counts.continuedAsNew;
    return {
      name: spec.name,
      status: 'ok',
      params: spec.params,
      unit: spec.unit,
      units,
      wallS,
      workflows: counts,
      workflowsPerSecond: wallS > 0 ? round2(closed / wallS) : 0,
      ...(unitLatencies.length ? { unitLatencyS: roundDist(distribution(unitLatencies)!) } : {}),
      callsPerUnit: units ? round2(log.length / units) : 0,
      floorCallsPerUnit: units ? round2((requests.acceptedMutations + minPolls) / units) : 0,
      ...(spec.label ? { label: spec.label } : {}),
      ...((spec.reportedCap ?? spec.cap) ? { capPerSecond: spec.reportedCap ?? spec.cap } : {}),
      workers: workerCount,
      ...(spec.mutationCap ? { mutationCap: spec.mutationCap } : {}),
      peakInFlight: peakConcurrent(operationIntervals(operations)),
      ...(spec.workerEnv ? { limiterActionsPerUnit: units ? round2(limiterActions / units) : 0 } : {}),
      requests,
      worker: usage,
      ...(longest ? { longestHistory: longest } : {}),
      historyBound: spec.historyBound,
      actions: actionsFigures(historyActions, serverActions, units, spec.subunits),
      ...(failures.length ? { failures } : {}),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await emulator.close();
  }
}

/** Every run's billable Actions counted from its history (fetched from the server), a few at a time. */
export async function historyActionCounts(
  client: Client,
  runs: ReadonlyArray<{ workflowId: string; runId: string }>,
): Promise<Array<{ workflowId: string; runId: string; counts: ActionCounts; events: number }>> {
  return pool(runs, 20, async ({ workflowId, runId }) => {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    return { workflowId, runId, counts: countActions(history), events: history.events?.length ?? 0 };
  });
}

export function roundDist(d: Distribution): Distribution {
  return { count: d.count, p50: round2(d.p50), p95: round2(d.p95), max: round2(d.max), mean: round2(d.mean) };
}

/**
 * Waits until visibility shows nothing running on the task queue (twice in a row, so a child that is
 * about to start is not missed). Returns how many were still running at the deadline.
 */
export async function waitUntilIdle(
  client: Client,
  taskQueue: string,
  deadline: number,
  log: (m: string) => void,
  name: string,
): Promise<number> {
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running" AND WorkflowType != "${FLEET_LIMITER.workflowType}"`;
  let idle = 0;
  let lastReport = Date.now();
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count === 0 && ++idle >= 2) return 0;
    if (count > 0) idle = 0;
    if (Date.now() > deadline) return count;
    if (Date.now() - lastReport > 15_000) {
      log(`  ${name}: ${count} still running`);
      lastReport = Date.now();
    }
    await sleep(count === 0 ? 500 : 1000);
  }
}

// ---------------------------------------------------------------- scenarios

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
        unit: 'provisioning',
        prepare: async () => undefined,
        start: startProvisionings(`f${workers}${ctx.runId}`, opts.n),
      }),
    );
  }
  return results;
}

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
    start: async (client, taskQueue) => {
      await pool(emails, 50, (email) => {
        const input: OffboardUserInput = { email };
        return client.workflow.start('offboardUser', {
          taskQueue,
          workflowId: workflowIds.offboardUser(email),
          args: [input],
        });
      });
      return emails.length;
    },
  });
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

/**
 * What a hand-written script does: the same provisioning steps, one after another, with ky and a
 * fixed 1-second poll. Judged with the same request-log figures.
 */
export async function baselineScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { opts } = ctx;
  const emulator = await startEmulator(emulatorTiming(opts));
  try {
    const api = ky.create({
      prefixUrl: `${emulator.url}/api/v1`,
      headers: { authorization: `Bearer ${emulator.apiKey}` },
      retry: 0,
    });
    const waitFor = async (asyncOperationId: string) => {
      for (;;) {
        const op = await api.get(`async-operations/${asyncOperationId}`).json<{ state: string }>();
        if (op.state === 'fulfilled') return;
        if (!['pending', 'in_progress'].includes(op.state)) throw new Error(`operation ${op.state}`);
        await sleep(opts.baselinePollMs);
      }
    };
    const latencies: number[] = [];
    const t0 = Date.now();
    for (let i = 1; i <= opts.baselineN; i++) {
      const started = Date.now();
      const name = `b${ctx.runId}-${String(i).padStart(5, '0')}`;
      const ns = await api
        .post('namespaces', { json: { spec: { name, region: REGION, retentionDays: 7 } } })
        .json<{ namespace: string; asyncOperationId: string }>();
      await waitFor(ns.asyncOperationId);
      const sa = await api
        .post('service-accounts', {
          json: {
            spec: {
              name: `${name}-sa`,
              access: { namespaceAccesses: { [ns.namespace]: { permission: 'write' } } },
            },
          },
        })
        .json<{ serviceAccountId: string; asyncOperationId: string }>();
      await waitFor(sa.asyncOperationId);
      const key = await api
        .post('api-keys', {
          json: {
            spec: {
              displayName: `${name}-key`,
              ownerId: sa.serviceAccountId,
              ownerType: 'service-account',
              expiryTime: new Date(Date.now() + 90 * DAY_MS).toISOString(),
            },
          },
        })
        .json<{ keyId: string; asyncOperationId: string }>();
      await waitFor(key.asyncOperationId);
      latencies.push((Date.now() - started) / 1000);
    }
    const wallS = round2((Date.now() - t0) / 1000);
    const { waits, ...requests } = requestFigures(
      [...emulator.requestLog],
      emulator.snapshot().asyncOperations,
    );
    const minPolls = waits.reduce((s, w) => s + w.minPolls, 0);
    return {
      name: 'baseline',
      status: 'ok',
      params: {
        n: opts.baselineN,
        activation: fmtS(opts.activationMs),
        checkDuration: fmtS(opts.checkMs),
        otherOps: fmtS(opts.opMs),
        poll: fmtS(opts.baselinePollMs),
        style: 'sequential ky script',
      },
      unit: 'provisioning',
      units: opts.baselineN,
      wallS,
      workflows: {
        started: opts.baselineN,
        completed: opts.baselineN,
        failed: 0,
        running: 0,
        continuedAsNew: 0,
      },
      workflowsPerSecond: round2(opts.baselineN / wallS),
      unitLatencyS: roundDist(distribution(latencies)!),
      callsPerUnit: round2(requests.calls / opts.baselineN),
      floorCallsPerUnit: round2((requests.acceptedMutations + minPolls) / opts.baselineN),
      requests,
    };
  } finally {
    await emulator.close();
  }
}
