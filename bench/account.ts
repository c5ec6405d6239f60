// The `account` scenario: one large account (issue 22's default: 1,000 namespaces, 5,000 users, 500 service
// accounts, 20,000 keys) under the real API's limits — the emulator's token bucket at the API's 80 requests/s,
// at most 10 async operations in flight — measured phase by phase: export, a no-change plan, an apply of ~1,000
// changes and 100 deletes, the key sweep, and a bulk offboarding started at once. Each phase gets a freshly seeded
// account, so each starts from the same state.
import { Client } from '@temporalio/client';
import path from 'node:path';
import { DirectoryPayloadStore, StoredPayloadCodec } from '../src/codec';
import type { Emulator } from '../src/emulator';
import { exportDesiredState } from '../src/desired-state/export';
import { readAccount } from '../src/activities/account';
import { OpsApiClient } from '../src/ops-api';
import type { RotateExpiringKeysInput } from '../src/shared/validation';
import type { DesiredStateInput } from '../src/desired-state/schema';
import { applyChanges, changedFile, seedAccount } from './account-seed';
import { OFFBOARD_KEYS, serviceAccountKeys, type AccountPhase, type AccountSizes } from './account-sizes';
import { emulatorTiming, fmtS } from './kit';
import { startOffboardings } from './scenarios';
import { round2 } from './metrics';
import type { ScenarioContext, ScenarioResult } from './types';
import { runWorkflowScenario, type WorkflowScenarioSpec } from './workflow-scenario';

/** The real API's documented limits: requests per second for one service account, async operations in flight. */
export const API_RATE = 80;
export const API_MUTATION_SLOTS = 10;
/** A history event over this fails the target (Temporal warns at 512 KB, refuses a payload over 2 MB). */
export const EVENT_BYTES_TARGET = 512 * 1024;

interface PhaseSpec {
  spec: Pick<WorkflowScenarioSpec, 'unitType' | 'unit' | 'historyBound' | 'subunits'> & {
    params?: Record<string, string | number>;
  };
  /** Targets of the issue: wall time ≤ factor × floor + slack; `chain`: async operations one unit makes in turn. */
  target: { factor: number; slackS: number; chain?: number };
  prepare?(emulator: Emulator, seeded: string[]): Promise<void>;
  start(client: Client, taskQueue: string): Promise<number>;
}

export async function accountScenario(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const sizes = ctx.opts.account;
  const storeDir = ctx.opts.inlinePayloads ? undefined : path.join(ctx.outDir, 'payloads');
  // The bench's client shares the worker's payload store: the plan's file goes in by reference, as a starter's would.
  const client = new Client({
    connection: ctx.server!.connection,
    ...(storeDir
      ? { dataConverter: { payloadCodecs: [new StoredPayloadCodec(new DirectoryPayloadStore(storeDir))] } }
      : {}),
  });
  const results: ScenarioResult[] = [];
  for (const phase of ctx.opts.accountPhases) {
    const label = `account: ${phase}`;
    ctx.log(`  ${label}`);
    try {
      results.push(await runPhase(ctx, phase, phaseSpec(ctx, phase, sizes, client), storeDir));
    } catch (err) {
      ctx.log(`  ${label}: crashed: ${(err as Error).stack ?? String(err)}`);
      results.push({ name: 'account', label, status: 'crashed', note: (err as Error).message, params: {} });
    }
  }
  return results;
}

async function runPhase(
  ctx: ScenarioContext,
  phase: AccountPhase,
  p: PhaseSpec,
  storeDir: string | undefined,
) {
  const { opts } = ctx;
  const sizes = opts.account;
  const result = await runWorkflowScenario(ctx, {
    ...p.spec,
    name: 'account',
    label: `account: ${phase}`,
    params: {
      namespaces: sizes.namespaces,
      users: sizes.users,
      serviceAccounts: sizes.serviceAccounts,
      keys: sizes.keys,
      emulatorRateLimit: API_RATE,
      mutationSlots: API_MUTATION_SLOTS,
      payloads: storeDir ? 'by reference over 128 KiB' : 'inline',
      ops: fmtS(opts.opMs),
      checkDuration: fmtS(opts.checkMs),
      ...p.spec.params,
    },
    emulator: {
      ...emulatorTiming(opts),
      rateLimit: { requestsPerSecond: API_RATE, burst: API_RATE },
    },
    // The worker's own bucket a little under the API's, as the throttled scenario runs it.
    cap: Math.floor(API_RATE * 0.9),
    mutationCap: API_MUTATION_SLOTS,
    workerEnv: {
      OPS_API_MAX_CONCURRENT_MUTATIONS: String(API_MUTATION_SLOTS),
      PAYLOAD_STORE_DIR: storeDir ?? '',
    },
    prepare: async (emulator) => {
      const offboarded = await seedAccount(emulator, sizes, ctx.runId);
      await p.prepare?.(emulator, offboarded);
    },
    start: p.start,
  });
  return { ...result, floor: floorOf(result, opts.opMs, p.target) };
}

/**
 * The least wall time the caps allow: every call at the API's rate, or every async operation 10 at a time (and
 * no less than one unit's operations one after the other), whichever is longer.
 */
export function floorOf(
  r: Pick<ScenarioResult, 'requests' | 'wallS'>,
  opMs: number,
  target: { factor: number; slackS: number; chain?: number },
): ScenarioResult['floor'] {
  const calls = r.requests?.calls ?? 0;
  const mutations = r.requests?.acceptedMutations ?? 0;
  const rateS = calls / API_RATE;
  const chain = mutations > 0 ? (target.chain ?? 1) : 0;
  const rounds = Math.ceil(mutations / API_MUTATION_SLOTS);
  const slotsS = (Math.max(rounds, chain) * opMs) / 1000;
  const s = round2(Math.max(rateS, slotsS));
  const op = `${opMs / 1000} s`;
  const why =
    slotsS <= rateS
      ? `${calls} calls ÷ ${API_RATE}/s`
      : rounds >= chain
        ? `${mutations} async operations ÷ ${API_MUTATION_SLOTS} slots × ${op}`
        : `${chain} async operations in turn × ${op}`;
  return {
    s,
    why,
    ratio: s > 0 ? round2((r.wallS ?? 0) / s) : NaN,
    targetFactor: target.factor,
    targetSlackS: target.slackS,
  };
}

function phaseSpec(
  ctx: ScenarioContext,
  phase: AccountPhase,
  sizes: AccountSizes,
  client: Client,
): PhaseSpec {
  const id = (what: string) => `bench-${what}-${ctx.runId}`;
  switch (phase) {
    case 'export':
      return {
        spec: {
          unitType: 'exportAccount',
          unit: 'export',
          historyBound: { events: 20, why: 'one activity' },
        },
        target: { factor: 1.5, slackS: 30 },
        start: async (_c, taskQueue) => {
          await client.workflow.start('exportAccount', { taskQueue, workflowId: id('export'), args: [{}] });
          return 1;
        },
      };
    case 'plan':
      return planPhase(ctx, client, id('plan'));
    case 'apply':
      return applyPhase(ctx, client, id('apply'));
    case 'sweep':
      return sweepPhase(ctx, sizes, client, id('sweep'));
    case 'offboard':
      return offboardPhase(sizes, client);
  }
}

/** The account's own export (read before the load starts, outside the request log). */
async function exportOf(emulator: Emulator): Promise<DesiredStateInput> {
  const ops = new OpsApiClient({ baseUrl: emulator.url, apiKey: emulator.apiKey });
  return exportDesiredState(await readAccount(ops), 'bench');
}

const kib = (value: unknown) => `${Math.round(JSON.stringify(value).length / 1024)} KiB`;

/** A no-change plan: the file is the account's own export. */
function planPhase(ctx: ScenarioContext, client: Client, workflowId: string): PhaseSpec {
  let desired: DesiredStateInput | undefined;
  return {
    spec: { unitType: 'reconcile', unit: 'plan', historyBound: { events: 30, why: 'one plan activity' } },
    target: { factor: 1.5, slackS: 30 },
    prepare: async (emulator) => {
      desired = await exportOf(emulator);
      ctx.log(`  account: plan: the file is ${kib(desired)} of JSON`);
    },
    start: async (_c, taskQueue) => {
      await client.workflow.start('reconcile', {
        taskQueue,
        workflowId,
        args: [{ name: 'bench', desired: desired!, mode: 'plan' }],
      });
      return 1;
    },
  };
}

/** An apply of ~1,000 changes and 100 deletes, approved in advance, as many at once as there are slots. */
function applyPhase(ctx: ScenarioContext, client: Client, workflowId: string): PhaseSpec {
  const sizes = ctx.opts.account;
  const changes = applyChanges(sizes);
  let desired: DesiredStateInput | undefined;
  return {
    spec: {
      unitType: 'reconcile',
      unit: 'apply',
      params: { ...changes, concurrency: API_MUTATION_SLOTS },
      // Per change an activity and its wait (3 events each) and workflow tasks, in one history.
      historyBound: { events: 100 + 10 * (1000 + changes.deletes), why: '100 + 10 per change' },
    },
    // Namespaces, then accounts, then keys and users, then deletes: three operations in turn at least.
    target: { factor: 1.3, slackS: 0, chain: 3 },
    prepare: async (emulator) => {
      desired = changedFile(await exportOf(emulator), sizes, ctx.runId);
      ctx.log(`  account: apply: the file is ${kib(desired)} of JSON`);
    },
    start: async (_c, taskQueue) => {
      const input = {
        name: 'bench',
        desired: desired!,
        mode: 'apply',
        autoApprove: true,
        concurrency: API_MUTATION_SLOTS,
      };
      await client.workflow.start('reconcile', { taskQueue, workflowId, args: [input] });
      return 1;
    },
  };
}

function sweepPhase(
  ctx: ScenarioContext,
  sizes: AccountSizes,
  client: Client,
  workflowId: string,
): PhaseSpec {
  const input: RotateExpiringKeysInput = {
    leadDays: 14,
    expiryDays: 90,
    gracePeriod: '0',
    concurrency: ctx.opts.sweepConcurrency,
    batchSize: 100,
    pageSize: 1000,
  };
  return {
    spec: {
      unitType: 'rotateApiKey',
      unit: 'rotation',
      subunits: { name: 'key in the account', count: serviceAccountKeys(sizes) },
      params: { due: sizes.due, concurrency: ctx.opts.sweepConcurrency },
      historyBound: { events: 50 + 6 * Math.min(sizes.due, 100 * 10), why: '50 + 6 per rotation in a run' },
    },
    // A rotation creates the new key, then deletes the old one.
    target: { factor: 1.3, slackS: 0, chain: 2 },
    start: async (_c, taskQueue) => {
      await client.workflow.start('rotateExpiringKeys', { taskQueue, workflowId, args: [input] });
      return 1;
    },
  };
}

function offboardPhase(sizes: AccountSizes, client: Client): PhaseSpec {
  let emails: string[] = [];
  return {
    spec: {
      unitType: 'offboardUser',
      unit: 'user',
      subunits: { name: 'offboarded key', count: sizes.offboard * OFFBOARD_KEYS },
      params: { offboard: sizes.offboard, keysPerUser: OFFBOARD_KEYS },
      historyBound: { events: 50 + 10 * OFFBOARD_KEYS, why: '50 + 10 per key' },
    },
    // The user's keys, then the user.
    target: { factor: 1.3, slackS: 0, chain: 2 },
    prepare: async (_emulator, offboarded) => {
      emails = offboarded;
    },
    start: (_c, taskQueue) => startOffboardings(client, taskQueue, emails),
  };
}
