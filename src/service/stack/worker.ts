// The stack's third phase: the worker in this process, on its own native connection, with Ops API metrics when the
// runtime has a meter.
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from '../../logger';
import { createSecretSinkFromEnv } from '../../secrets';
import { metricsOrNone, opsApiMetrics } from '../../telemetry';
import { createOpsWorker, type OpsWorker } from '../../worker';
import { StackError } from '../dev-server';
import type { Lifecycle } from './lifecycle';
import type { OpsApiPart } from './ops-api';
import type { TemporalPart } from './temporal';
import { STACK_FILES, type Env, type StackOptions } from './types';

export interface WorkerPart {
  worker: OpsWorker;
  /** In-flight tasks finish (or are handed back), then the fleet slots go back. Idempotent. */
  stop(): Promise<void>;
}

export async function startWorker(
  options: Pick<StackOptions, 'dataDir' | 'workerOverrides'>,
  ctx: { env: Env; logger: Logger; life: Lifecycle; temporal: TemporalPart; opsApi: OpsApiPart },
): Promise<WorkerPart> {
  const { env, logger, life, temporal, opsApi } = ctx;
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  life.started(() => connection.close());
  const onOpsApiRequest = metricsOrNone(() => opsApiMetrics(), logger, 'Ops API');
  life.check(); // Creating the worker bundles the workflows: seconds.
  const worker = await createOpsWorker({
    connection,
    namespace: temporal.namespace,
    config: opsApi.config,
    dialect: opsApi.dialect,
    secrets: createSecretSinkFromEnv({
      ...env,
      SECRET_SINK_DIR: env.SECRET_SINK_DIR || path.join(options.dataDir, STACK_FILES.secrets),
    }),
    logger: logger.child({ component: 'worker' }),
    env,
    ...(onOpsApiRequest ? { onOpsApiRequest } : {}),
    overrides: {
      // Let in-flight Ops API calls (≤ 20 s client timeout) finish instead of cancelling them at once.
      shutdownGraceTime: '25s',
      ...options.workerOverrides,
    },
  });
  const running = worker.run();
  running.then(
    () => life.fail(new StackError('the worker stopped unexpectedly')),
    (err: unknown) => life.fail(new StackError(`the worker failed: ${(err as Error).message}`)),
  );
  const stop = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
    await worker.fleet?.close();
  };
  life.started(stop);
  logger.info(
    { taskQueue: opsApi.config.TASK_QUEUE, namespace: temporal.namespace, opsApi: opsApi.config.OPS_API_URL },
    'worker started',
  );
  return { worker, stop };
}
