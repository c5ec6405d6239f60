// What every scenario uses: emulator timing, bounded concurrency, rounding, waiting for a task queue to go idle and
// counting the Actions of its runs.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Emulator, EmulatorOptions } from '../src/emulator';
import { FLEET_LIMITER } from '../src/shared/fleet-limits';
import { countActions, type ActionCounts } from './actions';
import type { BenchOptions } from './cli';
import { startWorker, type WorkerProcess, type WorkerSettings } from './infra';
import { largestEvent, round2, type Distribution, type LargestEvent } from './metrics';
import type { ScenarioContext } from './types';

export const REGION = 'aws-us-east-1';
export const DAY_MS = 86_400_000;
export const fmtS = (ms: number) => `${round2(ms / 1000)}s`;

export function emulatorTiming(opts: BenchOptions): EmulatorOptions {
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

/** Every run's billable Actions counted from its history (fetched from the server), a few at a time. */
export async function historyActionCounts(
  client: Client,
  runs: ReadonlyArray<{ workflowId: string; runId: string }>,
): Promise<
  Array<{ workflowId: string; runId: string; counts: ActionCounts; events: number; largest?: LargestEvent }>
> {
  return pool(runs, 20, async ({ workflowId, runId }) => {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const largest = largestEvent(history);
    return {
      workflowId,
      runId,
      counts: countActions(history),
      events: history.events?.length ?? 0,
      ...(largest ? { largest } : {}),
    };
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

/** The product's worker in a child process, serving `taskQueue` against the scenario's emulator. */
export async function startBenchWorker(
  ctx: ScenarioContext,
  emulator: Emulator,
  o: { name: string; taskQueue: string; logFile: string } & Partial<WorkerSettings>,
): Promise<WorkerProcess> {
  const { name, ...settings } = o;
  const secretsDir = path.join(ctx.outDir, 'secrets', name);
  await mkdir(secretsDir, { recursive: true });
  return startWorker({
    temporalAddress: ctx.server!.address,
    opsApiUrl: emulator.url,
    opsApiKey: emulator.apiKey,
    secretsDir,
    bundlePath: ctx.bundlePath!,
    maxActivities: ctx.opts.maxActivities,
    logLevel: ctx.opts.workerLogLevel,
    ...settings,
    logFile: path.join(ctx.outDir, settings.logFile),
  });
}
