// Everything `npm start` runs, in one process: a Temporal dev server (child process) unless TEMPORAL_ADDRESS is
// given, the Ops API emulator unless OPS_API_URL is given, the worker and the events endpoint. Also used in-process
// by `npm run demo` and the tests.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { connectClient, type ConnectedClient } from '../client';
import { loadWorkerConfig } from '../config';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator';
import type { Logger } from '../logger';
import type { RequestEvent } from '../ops-api';
import type { ApprovalPolicy } from '../policy/policy';
import { createDirectory, registerPortal } from '../portal';
import { createSecretSinkFromEnv } from '../secrets';
import { createOpsApiClient, createOpsWorker, type OpsWorker } from '../worker';
import { startDevServer, StackError, assertPortFree, DB_FILE, type DevServer } from './dev-server';
import { buildEventsServer } from './events';
import { createIntake } from '../requests/intake';
import { temporalReadiness } from './readiness';
import { ensurePrivateFolder, keyFile, makePrivate } from './data-folder';
import type { FrontDoorLimits } from '../requests/front-door';
import { prepareFrontDoor, sharedValues } from './portal-setup';
import { publishSharedSettings } from './shared-settings';
import { httpMetrics, installRuntime, opsApiMetrics, type HttpRequestEvent } from './telemetry';

export { StackError } from './dev-server';

type Env = Record<string, string | undefined>;

export interface StackOptions {
  dataDir: string;
  logger: Logger;
  /** Worker/client configuration (OPS_API_*, TASK_QUEUE, TEMPORAL_*, SECRET_SINK_*, ...); default process.env. */
  env?: Env;
  /** An existing Temporal frontend; when absent a dev server is started on `temporalPort`. */
  temporalAddress?: string;
  /** Default 7233; 0 = free ports for the server and its UI. */
  temporalPort?: number;
  /** Temporal Web UI for links when `temporalAddress` is given (the dev server's own UI otherwise). */
  temporalUiUrl?: string;
  /** Web UI of the embedded dev server; default true. */
  ui?: boolean;
  /** An existing Ops API; when absent the emulator runs in-process (key: env OPS_API_KEY). */
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
  constructor() {
    super('start-up interrupted');
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

export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger, dataDir } = options;
  const env = options.env ?? process.env;
  const files = options.files ?? true;
  if (files) await ensurePrivateFolder(dataDir);
  // Fail fast, before anything starts, when a port we are about to use is taken.
  if (options.events) {
    await assertPortFree(options.events.host, options.events.port, 'the events endpoint', 'EVENTS_PORT');
  }
  if (!options.opsApiUrl) {
    await assertPortFree('127.0.0.1', options.emulatorPort ?? 7243, 'the Ops API emulator', 'EMULATOR_PORT');
  }
  const runWorker = options.worker ?? true;
  // Before any native connection exists: the runtime can only be configured once per process.
  if (runWorker || options.metricsAddress) {
    if (
      !installRuntime({
        logger,
        ...(options.metricsAddress ? { metricsAddress: options.metricsAddress } : {}),
      })
    )
      logger.debug('SDK runtime already installed; using it as is');
  }

  // What has been started, to undo in reverse order if a later part fails.
  const undo: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const fn of undo.reverse()) await fn().catch(() => undefined);
  };
  let failedReason: (err: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (failedReason = resolve));
  let stopping = false;
  const interrupted = () => {
    if (options.signal?.aborted) throw new StartInterrupted();
  };

  try {
    interrupted();
    // ---------------------------------------------------------------- Temporal
    let devServer: DevServer | undefined;
    let address = options.temporalAddress;
    if (!address) {
      devServer = await startDevServer({
        dataDir,
        port: options.temporalPort ?? 7233,
        ui: options.ui ?? true,
        logger,
      });
      address = devServer.address;
      // Every history is in it (emails, plans, comments): the server makes it 0644, we narrow it.
      const db = path.join(dataDir, DB_FILE);
      await makePrivate(['', '-wal', '-shm', '-journal'].map((suffix) => `${db}${suffix}`));
      const server = devServer;
      undo.push(() => server.stop());
      void server.exited.then((code) => {
        if (!stopping)
          failedReason(new StackError(`the Temporal dev server exited unexpectedly (code ${code})`));
      });
    }
    const temporalEnv: Env = { ...env, TEMPORAL_ADDRESS: address };

    // ---------------------------------------------------------------- Ops API
    interrupted();
    let emulator: Emulator | undefined;
    let opsApiUrl = options.opsApiUrl;
    let opsApiKey = env.OPS_API_KEY;
    let apiKeyFile: string | undefined;
    let generatedApiKey: string | undefined;
    let demoUser: Stack['opsApi']['demoUser'];
    if (!opsApiUrl) {
      apiKeyFile = path.join(dataDir, STACK_FILES.emulatorKey);
      const key = env.EMULATOR_API_KEY
        ? { value: env.EMULATOR_API_KEY, generated: false }
        : await keyFile(apiKeyFile, files ? undefined : 'EMULATOR_API_KEY');
      if (key.generated) generatedApiKey = key.value;
      const port = options.emulatorPort ?? 7243;
      const statePath = path.join(dataDir, STACK_FILES.emulatorState);
      const fresh = !(await exists(statePath));
      emulator = await startEmulator({
        port,
        apiKey: key.value,
        statePath,
        logger,
        ...options.emulatorOptions,
      });
      const started = emulator;
      undo.push(() => started.close());
      opsApiUrl = emulator.url;
      opsApiKey = emulator.apiKey;
      if (options.seedDemoUser) {
        if (fresh) await seedDemoUser(emulator);
        const user = emulator
          .snapshot()
          .users.find((u) => u.spec.email === DEMO_USER.email && u.state === 'active');
        if (user) demoUser = { id: user.id, email: DEMO_USER.email };
      }
    }

    // ---------------------------------------------------------------- worker
    interrupted();
    const workerEnv: Env = {
      ...temporalEnv,
      OPS_API_URL: opsApiUrl,
      OPS_API_KEY: opsApiKey,
      SECRET_SINK_DIR: env.SECRET_SINK_DIR || path.join(dataDir, STACK_FILES.secrets),
    };
    const config = loadWorkerConfig(workerEnv);
    let worker: OpsWorker | undefined;
    let stopWorker: (() => Promise<void>) | undefined;
    let namespace = loadClientConnectConfig({ overrideEnvVars: defined(temporalEnv) }).namespace ?? 'default';
    if (runWorker) {
      const { connectionOptions, namespace: ns } = loadClientConnectConfig({
        overrideEnvVars: defined(temporalEnv),
      });
      namespace = ns ?? 'default';
      const connection = await NativeConnection.connect(connectionOptions);
      undo.push(() => connection.close());
      let onOpsApiRequest: ((e: RequestEvent) => void) | undefined;
      try {
        onOpsApiRequest = opsApiMetrics();
      } catch (err) {
        logger.warn({ err }, 'Ops API metrics unavailable');
      }
      interrupted(); // Creating the worker bundles the workflows: seconds.
      worker = await createOpsWorker({
        connection,
        namespace,
        config,
        secrets: createSecretSinkFromEnv(workerEnv),
        logger: logger.child({ component: 'worker' }),
        env: workerEnv,
        ...(onOpsApiRequest ? { onOpsApiRequest } : {}),
        overrides: {
          // Let in-flight Ops API calls (≤ 20 s client timeout) finish instead of cancelling them at once.
          shutdownGraceTime: '25s',
          ...options.workerOverrides,
        },
      });
      const running = worker.run();
      running.then(
        () => {
          if (!stopping) failedReason(new StackError('the worker stopped unexpectedly'));
        },
        (err: unknown) => {
          if (!stopping) failedReason(new StackError(`the worker failed: ${(err as Error).message}`));
        },
      );
      const started = worker;
      stopWorker = async () => {
        if (started.getState() === 'RUNNING') started.shutdown();
        await running.catch(() => undefined);
        await started.fleet?.close();
      };
      undo.push(stopWorker);
      logger.info({ taskQueue: config.TASK_QUEUE, namespace, opsApi: opsApiUrl }, 'worker started');
    }

    // ---------------------------------------------------------------- client + events endpoint
    interrupted();
    const connected: ConnectedClient = await connectClient({ env: temporalEnv });
    const clientConnection = connected;
    undo.push(() => clientConnection.close());

    let events: Stack['events'];
    let portal: Stack['portal'];
    const readiness = temporalReadiness(connected.client);
    let requestMetrics: ((e: HttpRequestEvent) => void) | undefined;
    if (options.metricsAddress) {
      try {
        requestMetrics = httpMetrics();
      } catch (err) {
        logger.warn({ err }, 'HTTP request metrics unavailable');
      }
    }
    if (options.events) {
      const secretFile = path.join(dataDir, STACK_FILES.eventsSecret);
      const given = options.events.secret ?? env.EVENTS_HMAC_SECRET;
      const secret = given
        ? { value: given, generated: false }
        : await keyFile(secretFile, files ? undefined : 'EVENTS_HMAC_SECRET');
      const uiUrl = devServer?.uiUrl ?? options.temporalUiUrl;
      const portalOptions = options.events.portal === false ? undefined : (options.events.portal ?? {});
      const front = await prepareFrontDoor(portalOptions, {
        env,
        dataDir,
        files,
        logger,
        ...(options.events.policy ? { policy: options.events.policy } : {}),
      });
      // One start path for signed events and the portal, with one policy.
      const intake = createIntake({
        client: connected.client,
        taskQueue: config.TASK_QUEUE,
        logger,
        policy: front.policy,
      });
      const app = buildEventsServer({
        client: connected.client,
        taskQueue: config.TASK_QUEUE,
        secret: secret.value,
        intake,
        logger,
        ...(options.events.maxBodyBytes ? { maxBodyBytes: options.events.maxBodyBytes } : {}),
        ...(options.events.publicUrl ? { publicUrl: options.events.publicUrl } : {}),
        ...(options.events.limits ? { limits: options.events.limits } : {}),
        ...(uiUrl ? { uiUrl } : {}),
        ...(front.portal?.trustedProxies.length ? { trustProxy: front.portal.trustedProxies } : {}),
        ...(front.viewer ? { viewer: front.viewer } : {}),
        ...(front.portal ? { approvers: front.portal.approvers } : {}),
        health: () => ({
          ok: !worker || worker.getState() === 'RUNNING',
          worker: worker?.getState() ?? 'external',
        }),
        ...(requestMetrics ? { onRequest: requestMetrics } : {}),
        ready: async () => {
          const live = !worker || worker.getState() === 'RUNNING';
          return live ? readiness.check() : { ok: false, reason: 'worker_stopped' };
        },
      });
      if (front.portal) {
        await registerPortal(app, {
          client: connected.client,
          taskQueue: config.TASK_QUEUE,
          intake,
          // The service's own Ops API client (its key stays inside it) for the forms' pickers.
          directory: createDirectory(createOpsApiClient(config, logger), logger),
          logger,
          ...(uiUrl ? { uiUrl } : {}),
          approvers: front.portal.approvers,
          policy: front.policy,
          auth: front.portal.auth,
          ...(options.events.limits?.loginPerMinute
            ? { loginPerMinute: options.events.limits.loginPerMinute }
            : {}),
        });
      }
      const shared = sharedValues(secret.value, front);
      // Replicas must agree on what they share before this one answers anything.
      const record = await publishSharedSettings({
        client: connected.client,
        taskQueue: config.TASK_QUEUE,
        values: shared,
        logger,
        // Another replica's settings took over the record: the load balancer must take this one out.
        onMismatch: () => readiness.fail('shared_settings_mismatch'),
        ...(options.settingsLeaseMs ? { leaseMs: options.settingsLeaseMs } : {}),
      });
      // `npm start` with its own dev server: a restart with other settings need not wait for the lease.
      undo.push(() => record.close({ release: devServer !== undefined }));
      try {
        await app.listen({ host: options.events.host, port: options.events.port });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new StackError(
          e.code === 'EADDRINUSE'
            ? `port ${options.events.port} on ${options.events.host} (events endpoint) is already in use: stop what is using it or set EVENTS_PORT`
            : `cannot start the events endpoint: ${e.message}`,
        );
      }
      undo.push(() => app.close());
      const { port } = app.server.address() as { port: number };
      const url = `http://${options.events.host}:${port}`;
      events = {
        url,
        secret: secret.value,
        ...(given ? {} : { secretFile }),
        ...(secret.generated ? { generatedSecret: secret.value } : {}),
      };
      if (front.portal) {
        const { auth: _auth, ...setup } = front.portal;
        portal = { url: `${url}/`, ...setup };
      }
    }

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping = true;
      stopped ??= (async () => {
        // Readiness fails first, so a load balancer stops sending requests while this replica still answers them.
        readiness.drain();
        if (events && options.drainMs) {
          logger.info({ ms: options.drainMs }, 'draining: readiness fails, requests are still answered');
          await new Promise((r) => setTimeout(r, options.drainMs));
        }
        // The worker drains next (while Temporal and the Ops API are still there to finish in-flight tasks);
        // then the rest in reverse start order: events endpoint (in-flight requests finish; new ones get 503),
        // client, emulator, dev server last.
        if (stopWorker) {
          logger.info('stopping worker (in-flight tasks finish or are handed back)');
          await stopWorker();
        }
        for (const fn of [...undo].reverse()) {
          await fn().catch((err: unknown) => logger.warn({ err }, 'error while stopping'));
        }
        logger.info('stopped');
      })();
      return stopped;
    };

    return {
      dataDir,
      temporal: {
        address,
        namespace,
        ...(devServer?.uiUrl ? { uiUrl: devServer.uiUrl } : {}),
        ...(devServer ? { devServerPid: devServer.pid } : {}),
      },
      opsApi: {
        url: opsApiUrl,
        ...(emulator ? { emulator } : {}),
        ...(apiKeyFile ? { apiKeyFile } : {}),
        ...(generatedApiKey ? { generatedApiKey } : {}),
        ...(demoUser ? { demoUser } : {}),
      },
      ...(events ? { events } : {}),
      ...(portal ? { portal } : {}),
      ...(options.metricsAddress ? { metricsUrl: `http://${options.metricsAddress}/metrics` } : {}),
      client: clientConnection.client,
      namespace,
      taskQueue: config.TASK_QUEUE,
      ...(worker ? { worker } : {}),
      failed,
      drain: () => readiness.drain(),
      stop,
      forceKill: () => devServer?.kill(),
    };
  } catch (err) {
    stopping = true;
    await cleanUp();
    throw err;
  }
}

/** DEMO_USER as a developer with one API key (its token is not kept: nothing here needs it). */
async function seedDemoUser(emulator: Emulator): Promise<void> {
  const { userIds } = await emulator.seed({
    users: [{ email: DEMO_USER.email, access: { accountAccess: { role: 'developer' } } }],
  });
  await emulator.seed({
    apiKeys: [
      {
        displayName: DEMO_USER.apiKeyName,
        ownerId: userIds[0]!,
        ownerType: 'user',
        expiryTime: new Date(Date.now() + 90 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    ],
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function defined(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
