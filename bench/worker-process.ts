// The benchmark's worker process: the product's createOpsWorker with its env configuration, plus the
// prebuilt workflow bundle and the cache/slot tuning the runner passes (BENCH_* variables). With
// BENCH_WAIT_DESIGNS=1 a second worker serves the heartbeating wait design's activity on its own task
// queue. Sends one IPC message when it polls; SIGTERM shuts it down gracefully.
import { DefaultLogger, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { loadWorkerConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createSecretSinkFromEnv } from '../src/secrets';
import { connectToTemporal, createOpsApiClient, createOpsWorker } from '../src/worker';
import { createHeartbeatWaitActivities } from './wait-designs/activities';
import { HEARTBEAT_TASK_QUEUE_SUFFIX } from './wait-designs/shared';

async function main(): Promise<void> {
  // WARN drops the SDK's INFO chatter but keeps what matters for cost: every async-operation poll is
  // logged as a failed attempt, as by the product's worker. ERROR shows what that logging costs.
  const level = (process.env.BENCH_SDK_LOG_LEVEL || 'WARN') as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
  const logger = createLogger({ name: 'bench-worker' });
  const config = loadWorkerConfig();
  const optionalInt = (name: string) => {
    const v = process.env[name];
    return v ? Number(v) : undefined;
  };
  const maxCachedWorkflows = optionalInt('BENCH_MAX_CACHED_WORKFLOWS');
  const maxConcurrentWorkflowTaskExecutions = optionalInt('BENCH_MAX_WORKFLOW_TASKS');
  const { connection, namespace } = await connectToTemporal();
  const secrets = createSecretSinkFromEnv();
  const worker = await createOpsWorker({
    connection,
    namespace,
    config,
    secrets,
    logger,
    overrides: {
      workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE! },
      workflowsPath: undefined,
      ...(maxCachedWorkflows ? { maxCachedWorkflows } : {}),
      ...(maxConcurrentWorkflowTaskExecutions ? { maxConcurrentWorkflowTaskExecutions } : {}),
    },
  });
  const heartbeatWorker =
    process.env.BENCH_WAIT_DESIGNS === '1'
      ? await Worker.create({
          connection,
          namespace,
          taskQueue: `${config.TASK_QUEUE}${HEARTBEAT_TASK_QUEUE_SUFFIX}`,
          activities: createHeartbeatWaitActivities(
            createActivities({ client: createOpsApiClient(config, logger), secrets }),
          ),
          maxConcurrentActivityTaskExecutions: config.MAX_CONCURRENT_ACTIVITIES,
        })
      : undefined;
  // The SDK's SIGTERM handler shuts down every worker of the process.
  const running = Promise.all([worker.run(), heartbeatWorker?.run()]);
  // Disconnect right away: an open IPC channel would keep the process alive after shutdown.
  process.send?.({ type: 'ready' }, () => process.disconnect?.());
  await running;
  // As the product's worker does: give the fleet slots back (a limiter another worker runs hears it at once).
  await worker.fleet?.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
