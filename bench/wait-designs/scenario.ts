// The `waits` scenario: the same async operations waited on by the product's design and the two
// obvious alternatives at once, one phase per operation duration. Per design: Temporal Cloud Actions
// (from the histories, heartbeats from the server's metric), Ops API calls, history events, overhead.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../src/emulator';
import { OpsApiClient } from '../../src/ops-api';
import {
  addCounts,
  diffCounts,
  heartbeatActions,
  actionsFigures,
  totalActions,
  type ActionCounts,
} from '../actions';
import { settledActionMetric, startWorker } from '../infra';
import { distribution, round2, waitFigures, type Distribution } from '../metrics';
import {
  fmtS,
  historyActionCounts,
  pool,
  roundDist,
  waitUntilIdle,
  type ScenarioContext,
  type ScenarioResult,
  type WorkflowCounts,
} from '../scenarios';
import { HEARTBEAT_TIMEOUT_MS, WAIT_DESIGNS, type WaitDesign, type WaitDesignInput } from './shared';

export interface WaitDesignFigures {
  design: WaitDesign;
  workflowType: string;
  operationS: number;
  checkS: number;
  waits: number;
  completed: number;
  /**
   * Billable Actions per wait, without the wrapper workflow's own start (one per wait in every design;
   * in the product the wait is a step of a bigger workflow). Heartbeats are the server's count.
   */
  actionsPerWait: number;
  actionsByTypePerWait: ActionCounts;
  /** getAsyncOperation calls per wait, and the ⌈d/c⌉ + 1 the hint allows. */
  opsCallsPerWait: number;
  minPollsPerWait: number;
  /** Events in the wrapper workflow's history (the same fixed wrapper around each design). */
  historyEventsPerWait: number;
  /** From the operation's finishedTime to the poll that saw it (s). */
  overheadS?: Distribution;
  /** From the operation's finishedTime to the wrapper workflow's close (s). */
  closeOverheadS?: Distribution;
}

const DESIGNS = Object.keys(WAIT_DESIGNS) as WaitDesign[];
const mean = (xs: number[]) => (xs.length ? round2(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
const secondsDist = (ms: number[]) => {
  const d = distribution(ms.map((x) => x / 1000));
  return d ? roundDist(d) : undefined;
};

export async function waitsScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { opts, server } = ctx;
  if (!server || !ctx.bundlePath) throw new Error('no Temporal dev server');
  const emulator = await startEmulator({ checkDurationMs: opts.checkMs });
  const taskQueue = `bench-waits-${ctx.runId}`;
  const secretsDir = path.join(ctx.outDir, 'secrets', 'waits');
  await mkdir(secretsDir, { recursive: true });
  const worker = await startWorker({
    temporalAddress: server.address,
    taskQueue,
    opsApiUrl: emulator.url,
    opsApiKey: emulator.apiKey,
    secretsDir,
    bundlePath: ctx.bundlePath,
    logFile: path.join(ctx.outDir, 'worker-waits.log'),
    maxActivities: opts.maxActivities,
    logLevel: opts.workerLogLevel,
    waitDesigns: true,
  });
  // The runner creates the operations (createUser: nothing else depends on it) and starts the waits.
  const api = new OpsApiClient({ baseUrl: emulator.url, apiKey: emulator.apiKey });
  const input = (asyncOperationId: string): WaitDesignInput => ({
    asyncOperationId,
    wait: { minPollSeconds: 1 },
  });
  const rows: WaitDesignFigures[] = [];
  const failures: string[] = [];
  const counts: WorkflowCounts = { started: 0, completed: 0, failed: 0, running: 0, continuedAsNew: 0 };
  const historyActions: ActionCounts = {};
  const serverActions: ActionCounts = {};
  try {
    worker.markStart();
    const t0 = Date.now();
    for (const [phase, durationMs] of opts.waitDurationsMs.entries()) {
      // Phases run one after the other, so the server's heartbeat count of a phase is that phase's.
      emulator.configure({ asyncOperationDurationMs: durationMs });
      emulator.clearRequestLog();
      const before = await server.actionMetric();
      const items = Array.from({ length: opts.waitN }, (_, i) =>
        DESIGNS.map((design) => ({ design, i })),
      ).flat();
      const waits = await pool(items, 20, async ({ design, i }) => {
        const { asyncOperationId } = await api.createUser({
          spec: {
            email: `wait-${phase}-${design.toLowerCase()}-${i}@bench-${ctx.runId}.example.com`,
            access: { accountAccess: { role: 'read' } },
          },
        });
        const workflowId = `bench-wait/${design}/${ctx.runId}/${phase}-${i}`;
        const handle = await server.client.workflow.start(WAIT_DESIGNS[design], {
          taskQueue,
          workflowId,
          args: [input(asyncOperationId)],
        });
        return { design, workflowId, runId: handle.firstExecutionRunId, asyncOperationId };
      });
      counts.started += waits.length;
      ctx.log(`  waits: phase ${phase + 1}: ${waits.length} waits on ${fmtS(durationMs)} operations started`);
      const running = await waitUntilIdle(
        server.client,
        taskQueue,
        Date.now() + opts.timeoutMs,
        ctx.log,
        'waits',
      );
      if (running > 0)
        failures.push(`${running} wait(s) of ${fmtS(durationMs)} still running after --timeout`);
      const phaseServer = diffCounts(await settledActionMetric(server), before);
      addCounts(serverActions, phaseServer);

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
      addCounts(historyActions, phaseHistory);
      const phaseCounted = totalActions(phaseHistory) + heartbeatActions(phaseServer);
      if (phaseCounted !== totalActions(phaseServer))
        ctx.log(
          `  waits: phase ${phase + 1}: ${phaseCounted} Actions counted, ${totalActions(phaseServer)} on the server: ` +
            `${JSON.stringify(phaseHistory)} vs ${JSON.stringify(phaseServer)}`,
        );

      for (const design of DESIGNS) {
        const idx = waits.flatMap((w, k) => (w.design === design ? [k] : []));
        const completed = idx.filter((k) => described[k]!.status.name === 'COMPLETED').length;
        counts.completed += completed;
        for (const k of idx) {
          const status = described[k]!.status.name;
          if (status === 'RUNNING') counts.running++;
          else if (status !== 'COMPLETED') {
            counts.failed++;
            if (failures.length < 5) failures.push(`${waits[k]!.workflowId}: ${status}`);
          }
        }
        const byType: ActionCounts = {};
        for (const k of idx) addCounts(byType, counted[k]!.counts);
        delete byType.start_workflow;
        // Only this design heartbeats (the others' activities never do), so the phase's recorded
        // heartbeats are all its own.
        if (design === 'heartbeatActivity') {
          const heartbeats = heartbeatActions(phaseServer);
          if (heartbeats > 0) byType.record_activity_heartbeat = heartbeats;
        }
        const n = idx.length || 1;
        const figures = idx.flatMap((k) => {
          const f = polled.get(waits[k]!.asyncOperationId);
          return f ? [f] : [];
        });
        const closeOverheads = idx.flatMap((k) => {
          const closed = described[k]!.closeTime?.getTime();
          const finished = finishedAt.get(waits[k]!.asyncOperationId) ?? NaN;
          return closed !== undefined && Number.isFinite(finished) ? [closed - finished] : [];
        });
        const overheadS = secondsDist(
          figures.flatMap((f) => (f.overheadMs === undefined ? [] : [f.overheadMs])),
        );
        const closeOverheadS = secondsDist(closeOverheads);
        rows.push({
          design,
          workflowType: WAIT_DESIGNS[design],
          operationS: durationMs / 1000,
          checkS: opts.checkMs / 1000,
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
          historyEventsPerWait: mean(idx.map((k) => counted[k]!.events)),
          ...(overheadS ? { overheadS } : {}),
          ...(closeOverheadS ? { closeOverheadS } : {}),
        });
      }
    }
    const units = counts.started;
    const wallS = round2((Date.now() - t0) / 1000);
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
      wallS,
      workflows: counts,
      actions: actionsFigures(historyActions, serverActions, units),
      worker: worker.usage(),
      waitDesigns: rows,
      ...(failures.length ? { failures } : {}),
    };
  } finally {
    await worker.stop();
    await emulator.close();
  }
}
