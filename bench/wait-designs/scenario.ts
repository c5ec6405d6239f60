// The `waits` scenario: the same async operations waited on by the product's design and the two
// obvious alternatives at once, one phase per operation duration. Per design: Temporal Cloud Actions
// (from the histories, heartbeats from the server's metric), Ops API calls, history events, overhead.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { startEmulator, type Emulator } from '../../src/emulator';
import { OpsApiClient } from '../../src/ops-api';
import {
  addCounts,
  diffCounts,
  heartbeatActions,
  actionsFigures,
  totalActions,
  type ActionCounts,
} from '../actions';
import { settledActionMetric, type WorkerProcess } from '../infra';
import { fmtS, historyActionCounts, pool, roundDist, startBenchWorker, waitUntilIdle } from '../kit';
import { distribution, round2, waitFigures, type WaitFigure } from '../metrics';
import type { ScenarioContext, ScenarioResult, WaitDesignFigures, WorkflowCounts } from '../types';
import { HEARTBEAT_TIMEOUT_MS, WAIT_DESIGNS, type WaitDesign, type WaitDesignInput } from './shared';

/**
 * The designs of one phase, in groups run one after the other: the server counts heartbeats per namespace only, so
 * each group holds at most one design that heartbeats (ours does in its long waits), and a group's heartbeats are
 * that design's.
 */
const DESIGN_GROUPS: WaitDesign[][] = [['activityRetries', 'workflowLoop'], ['heartbeatActivity']];
const HEARTBEATING: ReadonlySet<WaitDesign> = new Set(['activityRetries', 'heartbeatActivity']);
const mean = (xs: number[]) => (xs.length ? round2(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
const secondsDist = (ms: number[]) => {
  const d = distribution(ms.map((x) => x / 1000));
  return d ? roundDist(d) : undefined;
};

/** What the phases add up. */
interface Totals {
  rows: WaitDesignFigures[];
  failures: string[];
  counts: WorkflowCounts;
  historyActions: ActionCounts;
  serverActions: ActionCounts;
}

interface Setup {
  ctx: ScenarioContext;
  emulator: Emulator;
  api: OpsApiClient;
  taskQueue: string;
}

export async function waitsScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { opts, server } = ctx;
  if (!server || !ctx.bundlePath) throw new Error('no Temporal dev server');
  const emulator = await startEmulator({ checkDurationMs: opts.checkMs });
  const taskQueue = `bench-waits-${ctx.runId}`;
  const worker = await startWaitsWorker(ctx, emulator, taskQueue);
  // The runner creates the operations (createUser: nothing else depends on it) and starts the waits.
  const api = new OpsApiClient({ baseUrl: emulator.url, apiKey: emulator.apiKey });
  const totals: Totals = {
    rows: [],
    failures: [],
    counts: { started: 0, completed: 0, failed: 0, running: 0, continuedAsNew: 0 },
    historyActions: {},
    serverActions: {},
  };
  try {
    worker.markStart();
    const t0 = Date.now();
    for (const [phase, durationMs] of opts.waitDurationsMs.entries()) {
      for (const designs of DESIGN_GROUPS)
        await runPhase({ ctx, emulator, api, taskQueue }, { phase, designs }, durationMs, totals);
    }
    const units = totals.counts.started;
    return {
      name: 'waits',
      status: 'ok',
      params: {
        perDesignAndDuration: opts.waitN,
        durations: opts.waitDurationsMs.map(fmtS).join(','),
        checkDuration: fmtS(opts.checkMs),
        minPollSeconds: 1,
        heartbeatTimeout: fmtS(HEARTBEAT_TIMEOUT_MS),
      },
      unit: 'wait',
      units,
      wallS: round2((Date.now() - t0) / 1000),
      workflows: totals.counts,
      actions: actionsFigures(totals.historyActions, totals.serverActions, units),
      worker: worker.usage(),
      waitDesigns: totals.rows,
      ...(totals.failures.length ? { failures: totals.failures } : {}),
    };
  } finally {
    await worker.stop();
    await emulator.close();
  }
}

function startWaitsWorker(
  ctx: ScenarioContext,
  emulator: Emulator,
  taskQueue: string,
): Promise<WorkerProcess> {
  return startBenchWorker(ctx, emulator, {
    name: 'waits',
    taskQueue,
    logFile: 'worker-waits.log',
    waitDesigns: true,
  });
}

interface StartedWait {
  design: WaitDesign;
  workflowId: string;
  runId: string;
  asyncOperationId: string;
}

/** One operation duration: waitN operations per design, waited on at once, then measured. */
async function runPhase(
  setup: Setup,
  { phase, designs }: { phase: number; designs: WaitDesign[] },
  durationMs: number,
  totals: Totals,
): Promise<void> {
  const { ctx, emulator, taskQueue } = setup;
  const server = ctx.server!;
  // Phases run one after the other, so the server's heartbeat count of a phase is that phase's.
  emulator.configure({ asyncOperationDurationMs: durationMs });
  emulator.clearRequestLog();
  const before = await server.actionMetric();
  const waits = await startWaits(setup, phase, designs);
  totals.counts.started += waits.length;
  ctx.log(`  waits: phase ${phase + 1}: ${waits.length} waits on ${fmtS(durationMs)} operations started`);
  const running = await waitUntilIdle(
    server.client,
    taskQueue,
    Date.now() + ctx.opts.timeoutMs,
    ctx.log,
    'waits',
  );
  if (running > 0)
    totals.failures.push(`${running} wait(s) of ${fmtS(durationMs)} still running after --timeout`);
  const phaseServer = diffCounts(await settledActionMetric(server), before);
  addCounts(totals.serverActions, phaseServer);

  const operations = emulator.snapshot().asyncOperations;
  const finishedAt = new Map(
    operations.map((op) => [op.id, op.finishedTime ? Date.parse(op.finishedTime) : NaN]),
  );
  const polled = new Map(
    waitFigures([...emulator.requestLog], operations).map((w) => [w.asyncOperationId, w]),
  );
  const described = await pool(waits, 20, (w) =>
    server.client.workflow.getHandle(w.workflowId, w.runId).describe(),
  );
  const counted = await historyActionCounts(server.client, waits);
  const phaseHistory: ActionCounts = {};
  for (const c of counted) addCounts(phaseHistory, c.counts);
  addCounts(totals.historyActions, phaseHistory);
  const phaseCounted = totalActions(phaseHistory) + heartbeatActions(phaseServer);
  if (phaseCounted !== totalActions(phaseServer))
    ctx.log(
      `  waits: phase ${phase + 1}: ${phaseCounted} Actions counted, ${totalActions(phaseServer)} on the server: ` +
        `${JSON.stringify(phaseHistory)} vs ${JSON.stringify(phaseServer)}`,
    );
  const measured = {
    waits,
    described,
    counted,
    polled,
    finishedAt,
    heartbeats: heartbeatActions(phaseServer),
  };
  for (const design of designs) totals.rows.push(designRow(ctx, design, durationMs, measured, totals));
}

async function startWaits(
  { ctx, api, taskQueue }: Setup,
  phase: number,
  designs: WaitDesign[],
): Promise<StartedWait[]> {
  const items = Array.from({ length: ctx.opts.waitN }, (_, i) =>
    designs.map((design) => ({ design, i })),
  ).flat();
  return pool(items, 20, async ({ design, i }) => {
    const { asyncOperationId } = await api.createUser({
      spec: {
        email: `wait-${phase}-${design.toLowerCase()}-${i}@bench-${ctx.runId}.example.com`,
        access: { accountAccess: { role: 'read' } },
      },
    });
    const workflowId = `bench-wait/${design}/${ctx.runId}/${phase}-${i}`;
    const input: WaitDesignInput = { asyncOperationId, wait: { minPollSeconds: 1 } };
    const handle = await ctx.server!.client.workflow.start(WAIT_DESIGNS[design], {
      taskQueue,
      workflowId,
      args: [input],
    });
    return { design, workflowId, runId: handle.firstExecutionRunId, asyncOperationId };
  });
}

interface Measured {
  waits: StartedWait[];
  described: WorkflowExecutionDescription[];
  counted: Array<{ counts: ActionCounts; events: number }>;
  polled: Map<string, WaitFigure>;
  finishedAt: Map<string, number>;
  /** The phase's recorded heartbeats (server count). */
  heartbeats: number;
}

/** One design's figures for one phase; its runs counted into the totals. */
function designRow(
  ctx: ScenarioContext,
  design: WaitDesign,
  durationMs: number,
  m: Measured,
  totals: Totals,
): WaitDesignFigures {
  const idx = m.waits.flatMap((w, k) => (w.design === design ? [k] : []));
  const completed = idx.filter((k) => m.described[k]!.status.name === 'COMPLETED').length;
  totals.counts.completed += completed;
  for (const k of idx) {
    const status = m.described[k]!.status.name;
    if (status === 'RUNNING') totals.counts.running++;
    else if (status !== 'COMPLETED') {
      totals.counts.failed++;
      if (totals.failures.length < 5) totals.failures.push(`${m.waits[k]!.workflowId}: ${status}`);
    }
  }
  const byType: ActionCounts = {};
  for (const k of idx) addCounts(byType, m.counted[k]!.counts);
  delete byType.start_workflow;
  // A phase runs one heartbeating design at most (DESIGN_GROUPS), so the phase's recorded heartbeats are its own.
  if (HEARTBEATING.has(design) && m.heartbeats > 0) byType.record_activity_heartbeat = m.heartbeats;
  const n = idx.length || 1;
  const figures = idx.flatMap((k) => {
    const f = m.polled.get(m.waits[k]!.asyncOperationId);
    return f ? [f] : [];
  });
  const closeOverheads = idx.flatMap((k) => {
    const closed = m.described[k]!.closeTime?.getTime();
    const finished = m.finishedAt.get(m.waits[k]!.asyncOperationId) ?? NaN;
    return closed !== undefined && Number.isFinite(finished) ? [closed - finished] : [];
  });
  const overheadS = secondsDist(figures.flatMap((f) => (f.overheadMs === undefined ? [] : [f.overheadMs])));
  const closeOverheadS = secondsDist(closeOverheads);
  return {
    design,
    workflowType: WAIT_DESIGNS[design],
    operationS: durationMs / 1000,
    checkS: ctx.opts.checkMs / 1000,
    waits: idx.length,
    completed,
    actionsPerWait: round2(totalActions(byType) / n),
    actionsByTypePerWait: Object.fromEntries(
      Object.entries(byType)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, round2(v / n)]),
    ),
    opsCallsPerWait: mean(figures.map((f) => f.polls)),
    minPollsPerWait: mean(figures.map((f) => f.minPolls)),
    historyEventsPerWait: mean(idx.map((k) => m.counted[k]!.events)),
    ...(overheadS ? { overheadS } : {}),
    ...(closeOverheadS ? { closeOverheadS } : {}),
  };
}
