// One workflow scenario: a fresh emulator (its request log and operations are its own), fresh worker children on
// their own task queue, the load started, and the result judged from what the emulator saw and what Temporal's
// visibility reports.
import type { Client } from '@temporalio/client';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator';
import { FLEET_LIMITER } from '../src/shared/fleet-limits';
import { actionsFigures, addCounts, diffCounts, type ActionCounts } from './actions';
import type { ScenarioName } from './cli';
import { settledActionMetric, type WorkerProcess, type WorkerUsage } from './infra';
import { fmtS, historyActionCounts, roundDist, startBenchWorker, waitUntilIdle } from './kit';
import { distribution, operationIntervals, peakConcurrent, requestFigures, round2 } from './metrics';
import type { ScenarioContext, ScenarioResult, WorkflowCounts } from './types';

export interface WorkflowScenarioSpec {
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
  /** Reads per unit no correct run can skip (finding what to act on, read-after-create), for the calls floor. */
  floorReads?: { perUnit: number; why: string };
  unit: string;
  prepare(emulator: Emulator): Promise<void>;
  /** Starts the top-level workflows on `taskQueue`; returns how many. */
  start(client: Client, taskQueue: string): Promise<number>;
}

export async function runWorkflowScenario(
  ctx: ScenarioContext,
  spec: WorkflowScenarioSpec,
): Promise<ScenarioResult> {
  const { opts, server } = ctx;
  if (!server || !ctx.bundlePath) throw new Error('no Temporal dev server');
  const emulator = await startEmulator(spec.emulator);
  // One task queue per run: the fleet's runs (1 and N workers) must not share a limiter.
  // One per phase too (account): a phase's runs must not count in the next one's.
  const phase = spec.label && spec.name === 'account' ? `-${spec.label.replace(/^account: /, '')}` : '';
  const taskQueue = `bench-${spec.name}${phase}${spec.workers ? `-${spec.workers}` : ''}-${ctx.runId}`;
  const workers = await startWorkers(ctx, spec, taskQueue, emulator);
  try {
    await spec.prepare(emulator);
    emulator.clearRequestLog();
    for (const w of workers) w.markStart();
    const serverActionsBefore = await server.actionMetric();
    const t0 = Date.now();
    const started = await spec.start(server.client, taskQueue);
    ctx.log(`  ${spec.name}: ${started} workflow(s) started in ${fmtS(Date.now() - t0)}; waiting`);
    const running = await waitUntilIdle(server.client, taskQueue, t0 + opts.timeoutMs, ctx.log, spec.name);
    const usage = combinedUsage(workers);
    const serverActions = diffCounts(await settledActionMetric(server), serverActionsBefore);
    const runs = await listRuns(server.client, taskQueue, spec.unitType, started, t0);
    const failures = await failureNotes(server.client, runs.failed);
    if (running > 0) failures.push(`${running} workflow(s) still running after --timeout`);
    const { historyActions, limiterActions, largestEvent } = await actionsOf(
      server.client,
      runs.all,
      taskQueue,
    );
    return resultOf(spec, {
      log: [...emulator.requestLog],
      operations: emulator.snapshot().asyncOperations,
      runs,
      wallS: round2((runs.lastClose - t0) / 1000),
      usage,
      workers: workers.length,
      actions: actionsFigures(historyActions, serverActions, runs.units, spec.subunits),
      limiterActions,
      largestEvent,
      failures,
    });
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await emulator.close();
  }
}

function startWorkers(
  ctx: ScenarioContext,
  spec: WorkflowScenarioSpec,
  taskQueue: string,
  emulator: Emulator,
): Promise<WorkerProcess[]> {
  const { opts } = ctx;
  const count = spec.workers ?? 1;
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startBenchWorker(ctx, emulator, {
        name: spec.name,
        taskQueue,
        logFile: `worker-${spec.name}-${count}-${i + 1}.log`,
        ...(spec.cap ? { rateLimit: spec.cap } : {}),
        ...(opts.maxCachedWorkflows ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
        ...(opts.maxWorkflowTasks ? { maxWorkflowTasks: opts.maxWorkflowTasks } : {}),
        ...(spec.workerEnv ? { env: spec.workerEnv } : {}),
      }),
    ),
  );
}

/** With several workers: the sum of their CPU, the largest RSS. */
function combinedUsage(workers: WorkerProcess[]): WorkerUsage {
  const usages = workers.map((w) => w.usage());
  return {
    peakRssMiB: Math.max(...usages.map((u) => u.peakRssMiB)),
    cpuSeconds: round2(usages.reduce((sum, u) => sum + u.cpuSeconds, 0)),
    cpuSecondsTotal: round2(usages.reduce((sum, u) => sum + u.cpuSecondsTotal, 0)),
  };
}

type RunId = { workflowId: string; runId: string };

interface Runs {
  counts: WorkflowCounts;
  all: RunId[];
  failed: RunId[];
  longest?: ScenarioResult['longestHistory'];
  lastClose: number;
  unitLatencies: number[];
  units: number;
}

/** Every run on the task queue, from visibility: counted by status, the units' latencies, the longest history. */
async function listRuns(client: Client, taskQueue: string, unitType: string, started: number, t0: number) {
  const runs: Runs = {
    counts: { started, completed: 0, failed: 0, running: 0, continuedAsNew: 0 },
    all: [],
    failed: [],
    lastClose: t0,
    unitLatencies: [],
    units: 0,
  };
  for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
    runs.all.push({ workflowId: wf.workflowId, runId: wf.runId });
    // The fleet limiter runs as long as its workers: its Actions are counted, but it is not part of the work.
    if (wf.type === FLEET_LIMITER.workflowType) continue;
    const status = wf.status.name;
    if (status === 'COMPLETED') runs.counts.completed++;
    else if (status === 'CONTINUED_AS_NEW') runs.counts.continuedAsNew++;
    else if (status === 'RUNNING') runs.counts.running++;
    else {
      runs.counts.failed++;
      runs.failed.push({ workflowId: wf.workflowId, runId: wf.runId });
    }
    if (wf.closeTime) runs.lastClose = Math.max(runs.lastClose, wf.closeTime.getTime());
    if (!runs.longest || wf.historyLength > runs.longest.events)
      runs.longest = { events: wf.historyLength, workflowId: wf.workflowId, type: wf.type };
    if (wf.type === unitType) {
      runs.units++;
      if (wf.closeTime) runs.unitLatencies.push((wf.closeTime.getTime() - wf.startTime.getTime()) / 1000);
    }
  }
  return runs;
}

/** Why the first few failed runs failed. */
function failureNotes(client: Client, failed: RunId[]): Promise<string[]> {
  return Promise.all(
    failed.slice(0, 5).map(async ({ workflowId, runId }) => {
      try {
        await client.workflow.getHandle(workflowId, runId).result();
        return `${workflowId}: completed on second look`;
      } catch (err) {
        const cause = (err as { cause?: Error }).cause;
        return `${workflowId}: ${cause?.message ?? (err as Error).message}`;
      }
    }),
  );
}

/** The Actions the histories record, how many of them are the fleet limiter's, and the largest event. */
async function actionsOf(client: Client, runs: RunId[], taskQueue: string) {
  const historyActions: ActionCounts = {};
  let limiterActions = 0;
  let largestEvent: ScenarioResult['largestEvent'];
  for (const { workflowId, counts, largest } of await historyActionCounts(client, runs)) {
    addCounts(historyActions, counts);
    if (workflowId === FLEET_LIMITER.workflowId(taskQueue))
      limiterActions += Object.values(counts).reduce((sum, n) => sum + n, 0);
    if (largest && (!largestEvent || largest.bytes > largestEvent.bytes))
      largestEvent = { ...largest, workflowId };
  }
  return { historyActions, limiterActions, largestEvent };
}

function resultOf(
  spec: WorkflowScenarioSpec,
  m: {
    log: Parameters<typeof requestFigures>[0];
    operations: Parameters<typeof requestFigures>[1];
    runs: Runs;
    wallS: number;
    usage: WorkerUsage;
    workers: number;
    actions: ScenarioResult['actions'];
    limiterActions: number;
    largestEvent: ScenarioResult['largestEvent'];
    failures: string[];
  },
): ScenarioResult {
  const { waits, ...requests } = requestFigures(m.log, m.operations);
  const minPolls = waits.reduce((s, w) => s + (Number.isFinite(w.minPolls) ? w.minPolls : w.polls), 0);
  const { counts, units, longest } = m.runs;
  const closed = counts.completed + counts.failed + counts.continuedAsNew;
  const perUnit = (n: number) => (units ? round2(n / units) : 0);
  return {
    name: spec.name,
    status: 'ok',
    params: spec.params,
    unit: spec.unit,
    units,
    wallS: m.wallS,
    workflows: counts,
    workflowsPerSecond: m.wallS > 0 ? round2(closed / m.wallS) : 0,
    ...(m.runs.unitLatencies.length ? { unitLatencyS: roundDist(distribution(m.runs.unitLatencies)!) } : {}),
    callsPerUnit: perUnit(m.log.length),
    floorCallsPerUnit: round2(
      perUnit(requests.acceptedMutations + minPolls) + (spec.floorReads?.perUnit ?? 0),
    ),
    ...(spec.floorReads ? { floorReads: spec.floorReads } : {}),
    ...(spec.label ? { label: spec.label } : {}),
    ...((spec.reportedCap ?? spec.cap) ? { capPerSecond: spec.reportedCap ?? spec.cap } : {}),
    workers: m.workers,
    ...(spec.mutationCap ? { mutationCap: spec.mutationCap } : {}),
    peakInFlight: peakConcurrent(operationIntervals(m.operations)),
    ...(spec.workerEnv ? { limiterActionsPerUnit: perUnit(m.limiterActions) } : {}),
    requests,
    worker: m.usage,
    ...(longest ? { longestHistory: longest } : {}),
    ...(m.largestEvent ? { largestEvent: m.largestEvent } : {}),
    historyBound: spec.historyBound,
    actions: m.actions,
    ...(m.failures.length ? { failures: m.failures } : {}),
  };
}
