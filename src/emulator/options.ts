// The emulator's public types: how it is started, configured at run time and seeded, and the handle it returns.
import type {
  CustomRoleSpec,
  UserGroupSpec,
  CreateApiKeyRequest,
  CreateServiceAccountRequest,
  CreateUserRequest,
  NamespaceSpec,
  Unmodelled,
} from '../ops-api/types';
import type { Logger } from '../logger';
import type { Clock } from './clock';
import type { RuntimeConfigInput } from './config';
import type { FaultRule, ListedFaultRule } from './faults';
import type { RateLimitConfig } from './rate-limit';
import type { Realism, RealismParamsUpdate, RealismSettings, UnmodelledLoss } from './realism';
import type { RequestLogEntry } from './runtime';
import type { AcceptedCaChange, EmulatorState } from './store';

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
export type ConfigView = Omit<RuntimeConfigInput, 'realism'> & {
  realism: Record<string, { cloud: boolean; openapi: boolean }>;
};

/** What to seed; a spec's `preserved` holds real-API fields the domain does not model (kept as sent). */
export interface SeedInput {
  namespaces?: NamespaceSpec[];
  users?: (CreateUserRequest['spec'] & Unmodelled)[];
  serviceAccounts?: (CreateServiceAccountRequest['spec'] & Unmodelled)[];
  apiKeys?: (CreateApiKeyRequest['spec'] & Unmodelled)[];
  customRoles?: CustomRoleSpec[];
  /** Any type of group (SCIM and Google ones included), with its members by email (seeded users). */
  userGroups?: (UserGroupSpec & { memberEmails?: string[] })[];
}

export interface SeedResult {
  namespaceIds: string[];
  userIds: string[];
  serviceAccountIds: string[];
  /** The only place a seeded key's token is ever visible. */
  apiKeys: Array<{ keyId: string; token: string }>;
  customRoleIds: string[];
  userGroupIds: string[];
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
  /**
   * Every accepted-CA bundle the namespace (by id) has had, oldest first, each from when it took effect: which CAs
   * it accepted over time. Throws a not-found ApiError for a namespace that is not there.
   */
  acceptedCaHistory(namespace: string): AcceptedCaChange[];
  /** Inserts already-active resources directly (no async operation), validated like the API; all or nothing. */
  seed(input: SeedInput): Promise<SeedResult>;
  close(): Promise<void>;
}
