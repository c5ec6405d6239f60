import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { dataConverterFromEnv } from './codec';
import { ConfigError, loadWorkerConfig, type WorkerConfig } from './config';
import { createLogger, type Logger } from './logger';
import { MutationGate, OpsApiClient, RateLimiter, selectDialect, type RequestEvent } from './ops-api';
import { createSecretSinkFromEnv, type SecretSink } from './secrets';
import { installRuntime } from './service/telemetry';
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
}

/** The Ops API client every activity of this worker shares, with the per-worker caps applied. */
export function createOpsApiClient(
  config: WorkerConfig,
  logger: Logger,
  onRequest?: (e: RequestEvent) => void,
) {
  const limiter = config.OPS_API_RATE_LIMIT ? new RateLimiter(config.OPS_API_RATE_LIMIT) : undefined;
  const dialect = selectDialect({
    baseUrl: config.OPS_API_URL,
    ...(config.OPS_API_DIALECT ? { dialect: config.OPS_API_DIALECT } : {}),
    apiVersion: config.OPS_API_VERSION,
  });
  // The API's documented cap on async operations in flight, unless configured (0: off).
  const maxMutations = config.OPS_API_MAX_CONCURRENT_MUTATIONS ?? dialect.defaultMaxConcurrentMutations ?? 0;
  return new OpsApiClient({
    baseUrl: config.OPS_API_URL,
    apiKey: config.OPS_API_KEY,
    dialect: dialect.name,
    apiVersion: config.OPS_API_VERSION,
    timeoutMs: config.OPS_API_TIMEOUT_MS,
    ...(maxMutations > 0 ? { mutationGate: new MutationGate(maxMutations) } : {}),
    ...(limiter ? { beforeRequest: () => limiter.acquire() } : {}),
    afterRequest: (event) => {
      logger.debug(
        { operationId: event.operationId, status: event.status, durationMs: Math.round(event.durationMs) },
        'ops api request',
      );
      onRequest?.(event);
    },
  });
}

export async function createOpsWorker(deps: OpsWorkerDeps): Promise<Worker> {
  const { config } = deps;
  const dataConverter = dataConverterFromEnv(deps.env);
  return Worker.create({
    connection: deps.connection,
    ...(deps.namespace ? { namespace: deps.namespace } : {}),
    taskQueue: config.TASK_QUEUE,
    ...(deps.overrides?.workflowBundle ? {} : { workflowsPath }),
    activities: createActivities({
      client: createOpsApiClient(config, deps.logger, deps.onOpsApiRequest),
      secrets: deps.secrets,
      ...(config.DRIFT_WEBHOOK_URL && config.DRIFT_WEBHOOK_HMAC_SECRET
        ? { driftWebhook: { url: config.DRIFT_WEBHOOK_URL, secret: config.DRIFT_WEBHOOK_HMAC_SECRET } }
        : {}),
    }),
    maxConcurrentActivityTaskExecutions: config.MAX_CONCURRENT_ACTIVITIES,
    ...(config.OPS_API_TASK_QUEUE_RATE_LIMIT
      ? { maxTaskQueueActivitiesPerSecond: config.OPS_API_TASK_QUEUE_RATE_LIMIT }
      : {}),
    ...(dataConverter ? { dataConverter } : {}),
    ...deps.overrides,
  });
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
  let worker: Worker | undefined = undefined;
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
  await connection.close();
  logger.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
