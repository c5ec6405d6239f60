import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type BundleOptions,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from './activities';
import { dataConverterFromEnv } from './codec';
import { ConfigError, fleetLeaseSeconds, loadWorkerConfig, type WorkerConfig } from './config';
import { createFleetLimits, type FleetLimits } from './fleet';
import { createLogger, type Logger } from './logger';
import {
  MutationGate,
  OpsApiClient,
  RateLimiter,
  selectDialect,
  type Dialect,
  type RequestEvent,
} from './ops-api';
import { createSecretSinkFromEnv, type SecretSink } from './secrets';
import { installRuntime } from './telemetry';
import { onShutdownSignals } from './shutdown-signals';

export const workflowsPath = require.resolve('./workflows');

export interface OpsWorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  config: WorkerConfig;
  secrets: SecretSink;
  logger: Logger;
  /** Extra worker options (tests pass a prebuilt workflowBundle, for example). */
  overrides?: Partial<WorkerOptions>;
  /** Where PAYLOAD_CODEC_* are read from; default process.env. */
  env?: Record<string, string | undefined>;
  onOpsApiRequest?: (event: RequestEvent) => void;
  /** The fleet-wide limits; default: made from the config (OPS_API_FLEET_*). */
  fleet?: FleetLimits;
  /** Default: dialectOf(config). */
  dialect?: Dialect;
}

/** The prebuilt bundle when WORKFLOW_BUNDLE names one (checked: a wrong path is a configuration error), else the source. */
function workflowCode(config: WorkerConfig): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const codePath = config.WORKFLOW_BUNDLE;
  if (!codePath) return { workflowsPath };
  if (!existsSync(codePath)) {
    throw new ConfigError(
      `invalid configuration:\n  WORKFLOW_BUNDLE: no file at ${codePath} (npm run bundle-workflows)`,
    );
  }
  return { workflowBundle: { codePath: path.resolve(codePath) } };
}

/**
 * Bundles the workflow code into `file` for WORKFLOW_BUNDLE (`npm run bundle-workflows`); returns its size in bytes.
 * Renamed into place, so a worker starting meanwhile reads the old bundle or the new one, never half of one.
 */
export async function writeWorkflowBundle(
  file: string,
  options: Partial<BundleOptions> = {},
): Promise<number> {
  const { code } = await bundleWorkflowCode({ workflowsPath, ...options });
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, code);
  await rename(temp, file);
  return code.length;
}

/** The worker, with its fleet-wide limits (close them after it stopped, to give its slots back at once). */
export type OpsWorker = Worker & { readonly fleet?: FleetLimits };

/** A mutation slot comes back after this long at the latest (as MutationGate's default hold limit). */
export const FLEET_MUTATION_HOLD_LIMIT_MS = 15 * 60_000;

/** The one place the worker's dialect is chosen: as configured, else from the URL's host. */
export function dialectOf(config: WorkerConfig): Dialect {
  return selectDialect({
    baseUrl: config.OPS_API_URL,
    ...(config.OPS_API_DIALECT ? { dialect: config.OPS_API_DIALECT } : {}),
    apiVersion: config.OPS_API_VERSION,
  });
}

/** The fleet-wide caps this configuration asks for (0 = off). */
export function fleetCaps(
  config: WorkerConfig,
  dialect: Dialect = dialectOf(config),
): { requestsPerSecond: number; mutations: number } {
  // The dialect's documented limits by default; none for the given document (its emulator has none).
  const defaults = dialect.defaultFleetLimits;
  return {
    requestsPerSecond: config.OPS_API_FLEET_RATE_LIMIT ?? defaults?.requestsPerSecond ?? 0,
    mutations: config.OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS ?? defaults?.mutations ?? 0,
  };
}

export interface OpsApiClientOptions {
  /** Default: dialectOf(config). */
  dialect?: Dialect;
  onRequest?: (e: RequestEvent) => void;
  fleet?: FleetLimits;
}

/** The Ops API client every activity of this worker shares, with the per-worker caps (and the fleet's) applied. */
export function createOpsApiClient(config: WorkerConfig, logger: Logger, options: OpsApiClientOptions = {}) {
  const { fleet, onRequest } = options;
  const dialect = options.dialect ?? dialectOf(config);
  const limiter = config.OPS_API_RATE_LIMIT ? new RateLimiter(config.OPS_API_RATE_LIMIT) : undefined;
  // The API's documented cap on async operations in flight, unless configured (0: off).
  const maxMutations = config.OPS_API_MAX_CONCURRENT_MUTATIONS ?? dialect.defaultMaxConcurrentMutations ?? 0;
  const local = maxMutations > 0 ? new MutationGate(maxMutations) : undefined;
  const mutationGate = fleet ? fleet.mutationGate(local) : local;
  // This process's bucket first (the second line), then a slot of the fleet's rate.
  const beforeRequest =
    limiter || fleet?.beforeRequest
      ? async (operationId: Parameters<NonNullable<FleetLimits['beforeRequest']>>[0]) => {
          await limiter?.acquire();
          return fleet?.beforeRequest?.(operationId);
        }
      : undefined;
  return new OpsApiClient({
    baseUrl: config.OPS_API_URL,
    apiKey: config.OPS_API_KEY,
    dialect,
    timeoutMs: config.OPS_API_TIMEOUT_MS,
    ...(mutationGate ? { mutationGate } : {}),
    ...(beforeRequest ? { beforeRequest } : {}),
    afterRequest: (event) => {
      logger.debug(
        { operationId: event.operationId, status: event.status, durationMs: Math.round(event.durationMs) },
        'ops api request',
      );
      onRequest?.(event);
    },
  });
}

export async function createOpsWorker(deps: OpsWorkerDeps): Promise<OpsWorker> {
  const { config } = deps;
  const dialect = deps.dialect ?? dialectOf(config);
  const dataConverter = dataConverterFromEnv(deps.env);
  const caps = fleetCaps(config, dialect);
  // The worker's own connection, as a client: the fleet's limiter and the reconcile schedules are reached with it.
  const temporal = new Client({
    connection: deps.connection,
    ...(deps.namespace ? { namespace: deps.namespace } : {}),
    ...(dataConverter ? { dataConverter } : {}),
  });
  const fleet =
    deps.fleet ??
    (caps.requestsPerSecond > 0 || caps.mutations > 0
      ? createFleetLimits({
          // The limiter is a workflow of this task queue.
          client: temporal,
          taskQueue: config.TASK_QUEUE,
          caps,
          leaseMs: fleetLeaseSeconds(config) * 1000,
          requestTimeoutMs: config.OPS_API_TIMEOUT_MS,
          holdLimitMs: FLEET_MUTATION_HOLD_LIMIT_MS,
          logger: deps.logger,
        })
      : undefined);
  const worker = await Worker.create({
    connection: deps.connection,
    ...(deps.namespace ? { namespace: deps.namespace } : {}),
    taskQueue: config.TASK_QUEUE,
    ...(deps.overrides?.workflowBundle ? {} : workflowCode(config)),
    activities: createActivities({
      client: createOpsApiClient(config, deps.logger, {
        dialect,
        ...(deps.onOpsApiRequest ? { onRequest: deps.onOpsApiRequest } : {}),
        ...(fleet ? { fleet } : {}),
      }),
      secrets: deps.secrets,
      temporal,
      // Half the activity slots at most are held by waits between their polls; the rest stay for the work.
      maxWaitsInAttempt: Math.max(1, Math.floor(config.MAX_CONCURRENT_ACTIVITIES / 2)),
      ...(config.DRIFT_WEBHOOK_URL && config.DRIFT_WEBHOOK_HMAC_SECRET
        ? { driftWebhook: { url: config.DRIFT_WEBHOOK_URL, secret: config.DRIFT_WEBHOOK_HMAC_SECRET } }
        : {}),
      ...(config.EXPIRY_WEBHOOK_URL && config.EXPIRY_WEBHOOK_HMAC_SECRET
        ? { expiryWebhook: { url: config.EXPIRY_WEBHOOK_URL, secret: config.EXPIRY_WEBHOOK_HMAC_SECRET } }
        : {}),
    }),
    maxConcurrentActivityTaskExecutions: config.MAX_CONCURRENT_ACTIVITIES,
    ...(config.OPS_API_TASK_QUEUE_RATE_LIMIT
      ? { maxTaskQueueActivitiesPerSecond: config.OPS_API_TASK_QUEUE_RATE_LIMIT }
      : {}),
    ...(dataConverter ? { dataConverter } : {}),
    ...deps.overrides,
  });
  return fleet ? Object.assign(worker, { fleet }) : worker;
}

/** Connects with the @temporalio/envconfig conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...). */
export async function connectToTemporal(): Promise<{ connection: NativeConnection; namespace: string }> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  return { connection, namespace: namespace ?? 'default' };
}

async function main(): Promise<void> {
  const logger = createLogger({ name: 'worker' });
  let config: WorkerConfig;
  let secrets: SecretSink;
  try {
    config = loadWorkerConfig();
    secrets = createSecretSinkFromEnv();
    dataConverterFromEnv();
  } catch (err) {
    console.error(`worker: ${(err as Error).message}`);
    process.exit(2);
  }
  // SDK logs through pino; signals are ours: the SDK's own handler stops listening after the first signal, so
  // the duplicate SIGINT of a terminal Ctrl-C (see shutdown-signals.ts) would kill the process mid-drain.
  installRuntime({ logger });
  let worker: OpsWorker | undefined = undefined;
  let stopRequested = false;
  onShutdownSignals({
    stop: (signal) => {
      logger.info({ signal }, 'shutting down (in-flight tasks finish or are handed back; again to force)');
      stopRequested = true;
      if (worker?.getState() === 'RUNNING') worker.shutdown();
    },
    force: (signal) => {
      logger.warn({ signal }, 'forced exit');
      process.exit(130);
    },
  });
  const { connection, namespace } = await connectToTemporal();
  worker = await createOpsWorker({ connection, namespace, config, secrets, logger });
  const running = worker.run();
  if (stopRequested)
    worker.shutdown(); // The signal came while the worker was being created.
  else logger.info({ taskQueue: config.TASK_QUEUE, namespace, opsApi: config.OPS_API_URL }, 'worker started');
  await running;
  await worker.fleet?.close();
  await connection.close();
  logger.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
