// The baseline: what a hand-written script does, judged with the same request-log figures.
import { setTimeout as sleep } from 'node:timers/promises';
import ky from 'ky';
import { startEmulator } from '../src/emulator';
import { DAY_MS, emulatorTiming, fmtS, REGION, roundDist } from './kit';
import { distribution, requestFigures, round2 } from './metrics';
import type { ScenarioContext, ScenarioResult } from './types';

type Api = ReturnType<typeof ky.create>;

/** One provisioning as a script would write it: create, poll every `pollMs` until fulfilled, next. */
async function provisionOnce(api: Api, name: string, pollMs: number): Promise<void> {
  /** POSTs a create and polls its async operation until fulfilled. */
  const create = async <T>(path: string, spec: object): Promise<T> => {
    const made = await api.post(path, { json: { spec } }).json<T & { asyncOperationId: string }>();
    for (;;) {
      const op = await api.get(`async-operations/${made.asyncOperationId}`).json<{ state: string }>();
      if (op.state === 'fulfilled') return made;
      if (!['pending', 'in_progress'].includes(op.state)) throw new Error(`operation ${op.state}`);
      await sleep(pollMs);
    }
  };
  const ns = await create<{ namespace: string }>('namespaces', { name, region: REGION, retentionDays: 7 });
  const sa = await create<{ serviceAccountId: string }>('service-accounts', {
    name: `${name}-sa`,
    access: { namespaceAccesses: { [ns.namespace]: { permission: 'write' } } },
  });
  await create('api-keys', {
    displayName: `${name}-key`,
    ownerId: sa.serviceAccountId,
    ownerType: 'service-account',
    expiryTime: new Date(Date.now() + 90 * DAY_MS).toISOString(),
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
    const latencies: number[] = [];
    const t0 = Date.now();
    for (let i = 1; i <= opts.baselineN; i++) {
      const started = Date.now();
      await provisionOnce(api, `b${ctx.runId}-${String(i).padStart(5, '0')}`, opts.baselinePollMs);
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
