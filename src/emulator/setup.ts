// What startEmulator puts together before serving: the options checked, the clock (with its skew), the store
// (loaded from its state file), the run-time configuration and how it changes, and the snapshot.
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../logger';
import { systemClock, type Clock } from './clock';
import { parseRuntimeConfig, RuntimeConfig } from './config';
import { FaultEngine } from './faults';
import type { ConfigView, EmulatorOptions } from './options';
import { DEFAULT_PAGE_LIMITS, type PageLimits } from './pagination';
import { readState, StateWriter } from './persistence';
import { TokenBucket, type RateLimitConfig } from './rate-limit';
import { Realism, type RealismParamsUpdate } from './realism';
import { RealismRules } from './realism-rules';
import type { Runtime } from './runtime';
import { createStore, type EmulatorState } from './store';
import { sharedValidators } from './validator';

function apiKeyOf(opts: EmulatorOptions): string {
  const apiKey = opts.apiKey ?? randomBytes(24).toString('base64url');
  if (apiKey.length === 0 || /\s/.test(apiKey))
    throw new Error('apiKey must be non-empty and without whitespace');
  return apiKey;
}

function pageLimitsOf(opts: EmulatorOptions): PageLimits {
  const limits = {
    defaultPageSize: opts.defaultPageSize ?? DEFAULT_PAGE_LIMITS.defaultPageSize,
    maxPageSize: opts.maxPageSize ?? DEFAULT_PAGE_LIMITS.maxPageSize,
  };
  if (!(limits.defaultPageSize >= 1 && limits.maxPageSize >= limits.defaultPageSize)) {
    throw new Error('need 1 <= defaultPageSize <= maxPageSize');
  }
  return limits;
}

/** Every reading of time goes through the skew, so the clock-skew fault shifts all timestamps alike. */
function skewed(base: Clock, config: RuntimeConfig): Clock {
  return {
    now: () => {
      const now = base.now();
      return typeof now === 'number' ? now + config.clockSkewMs : now.then((ms) => ms + config.clockSkewMs);
    },
  };
}

/** The runtime the HTTP layer and the handle share, with the state file (if any) loaded and its writer. */
export async function createRuntime(
  opts: EmulatorOptions,
): Promise<{ rt: Runtime; writer: StateWriter | undefined; closing: AbortController }> {
  const apiKey = apiKeyOf(opts);
  const config = new RuntimeConfig();
  const realism = new Realism();
  const logger = (opts.logger ?? silentLogger).child({ component: 'ops-api-emulator' });
  const limits = pageLimitsOf(opts);
  const store = createStore(opts.accountId ?? 'a1b2c', (type) => config.timing(type));
  store.onUnmodelledLoss = (loss) => {
    realism.losses.push(loss);
    logger.warn(loss, 'a whole-spec update left out a field the real service would then clear');
  };
  const writer = opts.statePath ? new StateWriter(opts.statePath, () => store.toPersisted()) : undefined;
  if (opts.statePath) {
    const saved = await readState(opts.statePath);
    if (saved) store.load(saved);
  }
  const closing = new AbortController();
  const rt: Runtime = {
    store,
    faults: new FaultEngine(opts.faultSeed ?? 1),
    config,
    clock: skewed(opts.clock ?? systemClock, config),
    logger,
    limits,
    apiKey,
    requestLog: [],
    bucket: undefined,
    validators: sharedValidators(),
    realism,
    edgeSeed: opts.faultSeed ?? 1,
    persist: () => writer?.save() ?? Promise.resolve(),
    closing: closing.signal,
    realismRules: new RealismRules(store, realism),
  };
  return { rt, writer, closing };
}

/** configure(): applies a run-time update (checked: an ApiError-worthy `field` on a bad one), answers the whole. */
export function configurator(rt: Runtime): (input: unknown) => ConfigView {
  const { config, realism } = rt;
  let rateLimit: RateLimitConfig | null = null;
  return (input) => {
    const update = parseRuntimeConfig(input);
    if (update.asyncOperationDurationMs !== undefined) config.durations = update.asyncOperationDurationMs;
    if (update.checkDurationMs !== undefined) config.checkDurationMs = update.checkDurationMs;
    if (update.clockSkewMs !== undefined) config.clockSkewMs = update.clockSkewMs;
    if (update.operationIdReuse !== undefined) config.operationIdReuse = update.operationIdReuse;
    realism.set(update.realism, update.realismParams);
    if (update.rateLimit !== undefined) {
      rateLimit = update.rateLimit;
      rt.bucket = rateLimit ? new TokenBucket(rateLimit, rt.store.now) : undefined;
    }
    const switches = Object.entries(realism.describe());
    return {
      ...(config.durations === undefined ? {} : { asyncOperationDurationMs: config.durations }),
      checkDurationMs: config.checkDurationMs,
      rateLimit,
      clockSkewMs: config.clockSkewMs,
      operationIdReuse: config.operationIdReuse,
      realism: Object.fromEntries(
        switches.map(([name, s]) => [name, { cloud: s.cloud, openapi: s.openapi }]),
      ),
      realismParams: Object.fromEntries(switches.map(([name, s]) => [name, s.params])) as RealismParamsUpdate,
    };
  };
}

/** The options' part that is run-time configuration (what configure() takes), as given. */
export function initialConfig(opts: EmulatorOptions): Record<string, unknown> {
  const keys = [
    'asyncOperationDurationMs',
    'checkDurationMs',
    'rateLimit',
    'clockSkewMs',
    'operationIdReuse',
    'realism',
    'realismParams',
  ] as const;
  return Object.fromEntries(keys.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
}

/** Settles the store to the clock's now (to the last time seen if the clock is async). */
export function settleNow(rt: Runtime): void {
  const now = rt.clock.now();
  if (typeof now === 'number') rt.store.settle(now);
  else {
    now.catch(() => undefined);
    rt.store.settle(rt.store.now);
  }
}

/** A deep copy of the state, settled to the clock's now (to the last time seen if the clock is async). */
export function snapshotter(rt: Runtime): () => EmulatorState {
  return () => {
    settleNow(rt);
    return rt.store.snapshot();
  };
}
