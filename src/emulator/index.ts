import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ValidateFunction } from 'ajv/dist/2020';
import { silentLogger, type Logger } from '../logger';
import type {
  CreateApiKeyRequest,
  CreateServiceAccountRequest,
  CreateUserRequest,
  NamespaceSpec,
  OperationId,
  Unmodelled,
} from '../ops-api/types';
import { registerAdminRoutes } from './admin';
import { systemClock, type Clock } from './clock';
import { parseRuntimeConfig, RuntimeConfig, type RuntimeConfigInput } from './config';
import { ApiError } from './errors';
import { FaultEngine, type FaultRule, type ListedFaultRule } from './faults';
import { DEFAULT_PAGE_LIMITS } from './pagination';
import { readState, StateWriter } from './persistence';
import { TokenBucket, type RateLimitConfig } from './rate-limit';
import { Realism, type RealismParamsUpdate, type RealismSettings, type UnmodelledLoss } from './realism';
import { RealismRules } from './realism-rules';
import { buildServer, type RequestLogEntry, type Runtime } from './server';
import { specRoutes } from './spec-loader';
import { Store, type EmulatorState } from './store';
import { seedUnmodelled } from './unmodelled-fields';
import { sharedValidators, validationError } from './validator';

export type { Clock } from './clock';
export { ManualClock, systemClock } from './clock';
export type { FaultRule, ListedFaultRule } from './faults';
export type { RequestLogEntry } from './server';
export type { EmulatorState, UserResource, ServiceAccountResource, ApiKeyResource } from './store';
export type { RateLimitConfig } from './rate-limit';
export { REALISM, REALISM_SWITCHES, parseRealismFlag } from './realism';
export type { RealismSwitch, RealismSettings, RealismParamsUpdate, UnmodelledLoss } from './realism';
export { REGIONS } from './regions';
export { formatProtoDuration, parseDurationMs } from './duration';

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /** The bearer key every request must carry; default random (see `Emulator.apiKey`). */
  apiKey?: string;
  /** Default: Date.now. Awaited on every request. */
  clock?: Clock;
  /** Default 'a1b2c'; namespace ids are `${name}.${accountId}`. */
  accountId?: string;
  /** One duration for every operation, or per operationType ('*' = the rest); default namespaces 5000, others 1000. */
  asyncOperationDurationMs?: number | Partial<Record<string, number>>;
  /** The `checkDuration` hint of getAsyncOperation; default 1000. */
  checkDurationMs?: number;
  faults?: FaultRule[];
  /** Seed of the fault rules' PRNGs when a rule has none of its own, and of the edge's answers; default 1. */
  faultSeed?: number;
  /** Token bucket over all Ops API requests; off by default. */
  rateLimit?: RateLimitConfig;
  /** The clock-skew fault: the emulator's clock runs this many ms ahead (negative: behind) of `clock`. */
  clockSkewMs?: number;
  /** `replay` (default) or `refuse` a mutation repeated under an async operation id it already used. */
  operationIdReuse?: 'replay' | 'refuse';
  /** JSON persistence: loaded at start, written atomically after each mutation. */
  statePath?: string;
  /** Default silentLogger. */
  logger?: Logger;
  /** Default 100. */
  defaultPageSize?: number;
  /** Default 1000; larger requested sizes are clamped. */
  maxPageSize?: number;
  /**
   * The real service's behaviours (realism.ts), by switch: `true` / `false` on both dialects; a switch not
   * given is on for the /cloud routes and off for /api/v1.
   */
  realism?: RealismSettings;
  /** Parameters of the realism switches (e.g. `{ edgeAnswers: { every: 5 } }`). */
  realismParams?: RealismParamsUpdate;
}

export type EmulatorConfigUpdate = Pick<
  EmulatorOptions,
  'asyncOperationDurationMs' | 'checkDurationMs' | 'clockSkewMs' | 'operationIdReuse' | 'realismParams'
> & {
  /** `null` turns the rate limiter off. */
  rateLimit?: RateLimitConfig | null;
  /** `null` puts a realism switch back to its default. */
  realism?: Partial<Record<keyof RealismSettings, boolean | null>>;
};

/** The configuration as it now stands (what `POST /_emulator/config` answers). */
type ConfigView = Omit<RuntimeConfigInput, 'realism'> & {
  realism: Record<string, { cloud: boolean; openapi: boolean }>;
};

/** What to seed; a spec's `preserved` holds real-API fields the domain does not model (kept as sent). */
export interface SeedInput {
  namespaces?: NamespaceSpec[];
  users?: (CreateUserRequest['spec'] & Unmodelled)[];
  serviceAccounts?: (CreateServiceAccountRequest['spec'] & Unmodelled)[];
  apiKeys?: (CreateApiKeyRequest['spec'] & Unmodelled)[];
}

export interface SeedResult {
  namespaceIds: string[];
  userIds: string[];
  serviceAccountIds: string[];
  /** The only place a seeded key's token is ever visible. */
  apiKeys: Array<{ keyId: string; token: string }>;
}

export interface Emulator {
  url: string;
  apiKey: string;
  /** Every Ops API request (including rejected ones), excluding /_emulator/*. Live, read-only view. */
  readonly requestLog: readonly RequestLogEntry[];
  clearRequestLog(): void;
  faults: {
    add(rule: FaultRule): string;
    remove(id: string): void;
    clear(): void;
    list(): ListedFaultRule[];
  };
  configure(opts: EmulatorConfigUpdate): void;
  /** The realism switches: where each is on, its parameters, and the unmodelled fields updates lost so far. */
  realism: {
    describe(): ReturnType<Realism['describe']>;
    /** Every loss `unmodelledFields` saw (a whole-spec update that left a kept field out). Tests expect none. */
    losses(): UnmodelledLoss[];
    clearLosses(): void;
  };
  /** Deep copy of the state, settled to the clock's now (to the last time seen if the clock is async). */
  snapshot(): EmulatorState;
  /** Inserts already-active resources directly (no async operation), validated like the API; all or nothing. */
  seed(input: SeedInput): Promise<SeedResult>;
  close(): Promise<void>;
}

const SEED_LISTS = [
  ['namespaces', 'createNamespace'],
  ['users', 'createUser'],
  ['serviceAccounts', 'createServiceAccount'],
  ['apiKeys', 'createApiKey'],
] as const satisfies ReadonlyArray<readonly [keyof SeedInput, OperationId]>;

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const host = opts.host ?? '127.0.0.1';
  const apiKey = opts.apiKey ?? randomBytes(24).toString('base64url');
  if (apiKey.length === 0 || /\s/.test(apiKey))
    throw new Error('apiKey must be non-empty and without whitespace');
  const config = new RuntimeConfig();
  const realism = new Realism();
  const baseClock = opts.clock ?? systemClock;
  // Every reading of time goes through the skew, so the fault shifts all timestamps alike.
  const clock: Clock = {
    now: () => {
      const now = baseClock.now();
      return typeof now === 'number' ? now + config.clockSkewMs : now.then((ms) => ms + config.clockSkewMs);
    },
  };
  const logger = (opts.logger ?? silentLogger).child({ component: 'ops-api-emulator' });
  const limits = {
    defaultPageSize: opts.defaultPageSize ?? DEFAULT_PAGE_LIMITS.defaultPageSize,
    maxPageSize: opts.maxPageSize ?? DEFAULT_PAGE_LIMITS.maxPageSize,
  };
  if (!(limits.defaultPageSize >= 1 && limits.maxPageSize >= limits.defaultPageSize)) {
    throw new Error('need 1 <= defaultPageSize <= maxPageSize');
  }

  const store = new Store(opts.accountId ?? 'a1b2c', (type) => config.timing(type));
  store.onUnmodelledLoss = (loss) => {
    realism.losses.push(loss);
    logger.warn(loss, 'a whole-spec update left out a field the real service would then clear');
  };
  const writer = opts.statePath ? new StateWriter(opts.statePath, () => store.toPersisted()) : undefined;
  if (opts.statePath) {
    const saved = await readState(opts.statePath);
    if (saved) store.load(saved);
  }

  const routes = specRoutes();
  const validators = sharedValidators();
  const faults = new FaultEngine(opts.faultSeed ?? 1);
  const closing = new AbortController();
  const rt: Runtime = {
    store,
    faults,
    config,
    clock,
    logger,
    limits,
    apiKey,
    requestLog: [],
    bucket: undefined,
    validators,
    realism,
    edgeSeed: opts.faultSeed ?? 1,
    persist: () => writer?.save() ?? Promise.resolve(),
    closing: closing.signal,
    realismRules: new RealismRules(store, realism),
  };

  let rateLimit: RateLimitConfig | null = null;
  const configure = (input: unknown): ConfigView => {
    const update = parseRuntimeConfig(input);
    if (update.asyncOperationDurationMs !== undefined) config.durations = update.asyncOperationDurationMs;
    if (update.checkDurationMs !== undefined) config.checkDurationMs = update.checkDurationMs;
    if (update.clockSkewMs !== undefined) config.clockSkewMs = update.clockSkewMs;
    if (update.operationIdReuse !== undefined) config.operationIdReuse = update.operationIdReuse;
    realism.set(update.realism, update.realismParams);
    if (update.rateLimit !== undefined) {
      rateLimit = update.rateLimit;
      rt.bucket = rateLimit ? new TokenBucket(rateLimit, store.now) : undefined;
    }
    return {
      ...(config.durations === undefined ? {} : { asyncOperationDurationMs: config.durations }),
      checkDurationMs: config.checkDurationMs,
      rateLimit,
      clockSkewMs: config.clockSkewMs,
      operationIdReuse: config.operationIdReuse,
      realism: Object.fromEntries(
        Object.entries(realism.describe()).map(([name, s]) => [name, { cloud: s.cloud, openapi: s.openapi }]),
      ),
      realismParams: Object.fromEntries(
        Object.entries(realism.describe()).map(([name, s]) => [name, s.params]),
      ) as RealismParamsUpdate,
    };
  };
  configure({
    ...(opts.asyncOperationDurationMs === undefined
      ? {}
      : { asyncOperationDurationMs: opts.asyncOperationDurationMs }),
    ...(opts.checkDurationMs === undefined ? {} : { checkDurationMs: opts.checkDurationMs }),
    ...(opts.rateLimit === undefined ? {} : { rateLimit: opts.rateLimit }),
    ...(opts.clockSkewMs === undefined ? {} : { clockSkewMs: opts.clockSkewMs }),
    ...(opts.operationIdReuse === undefined ? {} : { operationIdReuse: opts.operationIdReuse }),
    ...(opts.realism === undefined ? {} : { realism: opts.realism }),
    ...(opts.realismParams === undefined ? {} : { realismParams: opts.realismParams }),
  });
  for (const rule of opts.faults ?? []) faults.add(rule);

  const snapshot = (): EmulatorState => {
    const now = clock.now();
    if (typeof now === 'number') store.settle(now);
    else {
      now.catch(() => undefined);
      store.settle(store.now);
    }
    return store.snapshot();
  };

  // seed() validates each item with the very schema its create operation uses over HTTP.
  const seedValidators = new Map<OperationId, ValidateFunction>();
  for (const route of routes) {
    if (route.schema.body)
      seedValidators.set(route.operationId, validators.compile(route.schema.body, 'body'));
  }
  const seed = async (input: unknown): Promise<SeedResult> => {
    if (typeof input !== 'object' || input === null)
      throw new ApiError('invalid_argument', 'seed input must be an object', 'seed');
    const now = store.advanceTo(await clock.now());
    store.settle(now);
    const result: SeedResult = { namespaceIds: [], userIds: [], serviceAccountIds: [], apiKeys: [] };
    store.transaction(() => {
      for (const [list, operationId] of SEED_LISTS) {
        const items: unknown = (input as Record<string, unknown>)[list];
        if (items === undefined) continue;
        if (!Array.isArray(items)) throw new ApiError('invalid_argument', `${list} must be an array`, list);
        items.forEach((item: unknown, i) => {
          try {
            // A spec may carry `preserved`: real-API fields the domain does not model (unmodelled-fields.ts).
            const { spec, unmodelled: kept } = seedUnmodelled(list, item);
            const validate = seedValidators.get(operationId)!;
            if (!validate({ spec })) throw validationError(validate.errors ?? [], 'body');
            if (list === 'namespaces')
              result.namespaceIds.push(store.seedNamespace(spec as NamespaceSpec, now, kept));
            else if (list === 'users')
              result.userIds.push(store.seedUser(spec as CreateUserRequest['spec'], now, kept));
            else if (list === 'serviceAccounts') {
              result.serviceAccountIds.push(
                store.seedServiceAccount(spec as CreateServiceAccountRequest['spec'], now, kept),
              );
            } else result.apiKeys.push(store.seedApiKey(spec as CreateApiKeyRequest['spec'], now, kept));
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            const field = `${list}.${i}${error.field ? `.${error.field}` : ''}`;
            throw new ApiError(error.code, `seed ${list}[${i}]: ${error.message}`, field, error.status);
          }
        });
      }
    });
    await rt.persist();
    return result;
  };

  const app = buildServer(rt, routes);
  registerAdminRoutes(app, rt, { snapshot: async () => snapshot(), configure, seed });
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info({ url: `http://${urlHost}:${address.port}` }, 'ops api emulator listening');

  return {
    url: `http://${urlHost}:${address.port}`,
    apiKey,
    get requestLog() {
      return rt.requestLog;
    },
    clearRequestLog: () => {
      rt.requestLog.length = 0;
    },
    faults: {
      add: (rule) => faults.add(rule),
      remove: (id) => {
        faults.remove(id);
      },
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
    configure: (update) => {
      configure(update);
    },
    realism: {
      describe: () => realism.describe(),
      losses: () => structuredClone(realism.losses),
      clearLosses: () => {
        realism.losses.length = 0;
      },
    },
    snapshot,
    seed: (input) => seed(input),
    close: async () => {
      closing.abort();
      await app.close();
      await writer?.flush();
    },
  };
}
