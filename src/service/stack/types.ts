// What startStack is given (StackOptions) and gives back (Stack), and the files it keeps in the data folder.
import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { WorkerSettings } from '../../config';
import type { Emulator, EmulatorOptions } from '../../emulator';
import type { Logger } from '../../logger';
import type { ApprovalPolicy } from '../../policy/policy';
import type { OpsWorker } from '../../worker';
import { StackError } from '../dev-server';
import type { FrontDoorLimits } from '../../requests/front-door';

export type Env = Record<string, string | undefined>;

export interface StackOptions {
  dataDir: string;
  logger: Logger;
  /**
   * What the libraries read from the environment: TEMPORAL_* (connection), SECRET_SINK_*, PAYLOAD_CODEC_*,
   * EMULATOR_API_KEY and the front door's secrets (EVENTS_HMAC_SECRET, PORTAL_*, APPROVAL_POLICY*); default
   * process.env.
   */
  env?: Env;
  /** The worker's settings (OPS_API_*, TASK_QUEUE, ...), parsed once; default loadWorkerSettings(env). */
  workerSettings?: WorkerSettings;
  /** An existing Temporal frontend; when absent a dev server is started on `temporalPort`. */
  temporalAddress?: string;
  /** Default 7233; 0 = free ports for the server and its UI. */
  temporalPort?: number;
  /** Temporal Web UI for links when `temporalAddress` is given (the dev server's own UI otherwise). */
  temporalUiUrl?: string;
  /** Web UI of the embedded dev server; default true. */
  ui?: boolean;
  /** An existing Ops API (its key: workerSettings.OPS_API_KEY); when absent the emulator runs in-process. */
  opsApiUrl?: string;
  /** Default 7243; 0 = a free port. */
  emulatorPort?: number;
  emulatorOptions?: Partial<EmulatorOptions>;
  /**
   * Seed DEMO_USER (with one API key) into the emulator when its state file does not exist yet, so the
   * rotation and offboarding commands `npm start` prints work on a fresh data folder. Default false.
   */
  seedDemoUser?: boolean;
  /** The events endpoint; false = none. */
  events?: false | EventsEndpointOptions;
  /** Run a worker in this process; default true. */
  worker?: boolean;
  workerOverrides?: Partial<WorkerOptions>;
  /** host:port of the Prometheus endpoint. */
  metricsAddress?: string;
  /**
   * Whether generated credentials (emulator key, events secret, portal session secret and login token) may be made
   * and kept in `dataDir` when not given; default true (`npm start`). False (the front door of a fleet): every shared
   * setting must be given, and nothing is written to local disk.
   */
  files?: boolean;
  /** On stop, how long readiness fails before the events endpoint closes, so a load balancer notices; default 0. */
  drainMs?: number;
  /** Lease of the shared-settings record in Temporal (src/service/shared-settings.ts); default 2 min. */
  settingsLeaseMs?: number;
  /**
   * Aborting it (Ctrl-C during start-up) stops start-up before its next step; what has started is stopped and
   * startStack rejects with StartInterrupted.
   */
  signal?: AbortSignal;
}

/** Start-up was interrupted through `StackOptions.signal`; nothing is left running. */
export class StartInterrupted extends StackError {
  /** `cause`: the error a part stopped with while the interruption was under way (kept, and logged). */
  constructor(cause?: unknown) {
    super('start-up interrupted', cause === undefined ? undefined : { cause });
  }
}

export interface EventsEndpointOptions {
  host: string;
  /** 0 = a free port. */
  port: number;
  /** Default: generated once and kept in DATA_DIR/events-hmac-secret. */
  secret?: string;
  maxBodyBytes?: number;
  publicUrl?: string;
  /** The self-service portal at `/`; default on with its defaults; false = none. */
  portal?: false | PortalStackOptions;
  /** Who must approve what; default from APPROVAL_POLICY_FILE / APPROVAL_POLICY, else the built-in defaults. */
  policy?: ApprovalPolicy;
  /** Timeouts, connection cap and rate limits of the events endpoint and portal. */
  limits?: Partial<FrontDoorLimits>;
}

export interface PortalStackOptions {
  /**
   * Who may approve (lower-cased), or '*' for everyone signed in. Default: '*' when signing in is only by the
   * local login token, nobody (until configured) behind a proxy.
   */
  approvers?: readonly string[] | '*';
  /** Default X-Forwarded-Email. */
  trustedHeader?: string;
  /** Proxy addresses whose header is believed; default none. */
  trustedProxies?: string[];
  /** Default true. */
  tokenLogin?: boolean;
  /** Default: env PORTAL_SESSION_SECRET, else generated once into DATA_DIR/portal-session-secret (`files`). */
  sessionSecret?: string;
  /** Default: env PORTAL_LOGIN_TOKEN_SHA256, else DATA_DIR/portal-login-token.sha256, made on first start (`files`). */
  loginTokenSha256?: string;
}

export interface Stack {
  dataDir: string;
  temporal: { address: string; namespace: string; uiUrl?: string; devServerPid?: number };
  opsApi: {
    url: string;
    emulator?: Emulator;
    apiKeyFile?: string;
    generatedApiKey?: string;
    /** DEMO_USER while it exists in the emulator (only with `seedDemoUser`). */
    demoUser?: { id: string; email: string };
  };
  events?: { url: string; secretFile?: string; generatedSecret?: string; secret: string };
  portal?: {
    url: string;
    /** Where the login token's hash is (token login only). */
    loginTokenFile?: string;
    /** The login token, on the start that made it (printed once, then only its hash is kept). */
    generatedLoginToken?: string;
    approvers: readonly string[] | '*';
    trustedHeader: string;
    trustedProxies: string[];
  };
  metricsUrl?: string;
  client: Client;
  namespace: string;
  taskQueue: string;
  worker?: OpsWorker;
  /** Settles with the reason when a part stops on its own (worker failure, dev server exit). */
  failed: Promise<Error>;
  /** Readiness (`/readyz`) fails from now on while everything keeps answering; `stop` begins with it. */
  drain(): void;
  /**
   * Readiness fails (drain, for `drainMs`) → worker (in-flight tasks finish) → events endpoint (in-flight requests
   * finish) → emulator → dev server. Idempotent.
   */
  stop(): Promise<void>;
  /** Last resort (second Ctrl-C): kill the dev server child without waiting. */
  forceKill(): void;
}

/** The user `npm start` seeds into a fresh emulator, with one API key. */
export const DEMO_USER = { email: 'demo-user@example.com', apiKeyName: 'demo-user-laptop' } as const;

export const STACK_FILES = {
  emulatorKey: 'emulator-api-key',
  emulatorState: 'emulator-state.json',
  eventsSecret: 'events-hmac-secret',
  sessionSecret: 'portal-session-secret',
  secrets: 'secrets',
} as const;
