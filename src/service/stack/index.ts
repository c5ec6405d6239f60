// The composition root of `npm start`, `npm run service` and `npm run demo`, in phases: Temporal → Ops API → worker →
// front door (docs/layout.md, "The stack"). Each phase registers its own undo; a failed start undoes what started.
import { loadWorkerSettings } from '../../config';
import { installRuntime } from '../../telemetry';
import { ensurePrivateFolder } from '../data-folder';
import { assertPortFree } from '../dev-server';
import { startFrontDoor, type FrontDoorPart } from './front-door';
import { Lifecycle } from './lifecycle';
import { startOpsApi, type OpsApiPart } from './ops-api';
import { startTemporal, type TemporalPart } from './temporal';
import { startWorker, type WorkerPart } from './worker';
import { StartInterrupted, type Stack, type StackOptions } from './types';

export * from './types';
export { StackError } from '../dev-server';

export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const env = options.env ?? process.env;
  const settings = options.workerSettings ?? loadWorkerSettings(env);
  await prepare(options);
  const life = new Lifecycle(options.signal);
  try {
    life.check();
    const temporal = await startTemporal(options, { env, logger, life });
    life.check();
    const opsApi = await startOpsApi(options, { env, settings, logger, life });
    life.check();
    const ctx = { env, logger, life, temporal, opsApi };
    const worker = (options.worker ?? true) ? await startWorker(options, ctx) : undefined;
    life.check();
    const front = await startFrontDoor(options, { ...ctx, worker });
    return assemble(options, life, { temporal, opsApi, worker, front });
  } catch (err) {
    await life.stopAll(logger);
    // Ctrl-C reaches the whole process group: a part that died of it (the dev server mid-start) is the interruption.
    // The part's error is kept and logged, in case it was a failure of its own that the stop request met.
    if (options.signal?.aborted && !(err instanceof StartInterrupted)) {
      logger.info({ err }, 'start-up interrupted; a part had stopped with an error');
      throw new StartInterrupted(err);
    }
    throw err;
  }
}

/** Before anything starts: the data folder, ports that must be free, and the process's SDK runtime. */
async function prepare(options: StackOptions): Promise<void> {
  if (options.files ?? true) await ensurePrivateFolder(options.dataDir);
  if (options.events) {
    await assertPortFree(options.events.host, options.events.port, 'the events endpoint', 'EVENTS_PORT');
  }
  if (!options.opsApiUrl) {
    await assertPortFree('127.0.0.1', options.emulatorPort ?? 7243, 'the Ops API emulator', 'EMULATOR_PORT');
  }
  // Before any native connection exists: the runtime can only be configured once per process.
  if ((options.worker ?? true) || options.metricsAddress) {
    const metrics = options.metricsAddress ? { metricsAddress: options.metricsAddress } : {};
    if (!installRuntime({ logger: options.logger, ...metrics }))
      options.logger.debug('SDK runtime already installed; using it as is');
  }
}

interface Parts {
  temporal: TemporalPart;
  opsApi: OpsApiPart;
  worker: WorkerPart | undefined;
  front: FrontDoorPart;
}

function assemble(options: StackOptions, life: Lifecycle, parts: Parts): Stack {
  const { temporal, opsApi, worker, front } = parts;
  const { devServer } = temporal;
  return {
    dataDir: options.dataDir,
    temporal: {
      address: temporal.address,
      namespace: temporal.namespace,
      ...(devServer?.uiUrl ? { uiUrl: devServer.uiUrl } : {}),
      ...(devServer ? { devServerPid: devServer.pid } : {}),
    },
    opsApi: {
      url: opsApi.config.OPS_API_URL,
      ...(opsApi.emulator ? { emulator: opsApi.emulator } : {}),
      ...(opsApi.apiKeyFile ? { apiKeyFile: opsApi.apiKeyFile } : {}),
      ...(opsApi.generatedApiKey ? { generatedApiKey: opsApi.generatedApiKey } : {}),
      ...(opsApi.demoUser ? { demoUser: opsApi.demoUser } : {}),
    },
    ...(front.events ? { events: front.events } : {}),
    ...(front.portal ? { portal: front.portal } : {}),
    ...(options.metricsAddress ? { metricsUrl: `http://${options.metricsAddress}/metrics` } : {}),
    client: front.connected.client,
    namespace: temporal.namespace,
    taskQueue: opsApi.config.TASK_QUEUE,
    ...(worker ? { worker: worker.worker } : {}),
    failed: life.failed,
    drain: () => front.readiness.drain(),
    stop: stopper(options, life, parts),
    forceKill: () => devServer?.kill(),
  };
}

/**
 * Readiness fails first (for `drainMs`), so a load balancer stops sending requests while this replica still answers;
 * then the worker drains while Temporal and the Ops API are still there; then the rest in reverse start order.
 */
function stopper(options: StackOptions, life: Lifecycle, parts: Parts): () => Promise<void> {
  const { logger, drainMs } = options;
  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= (async () => {
      life.stopping();
      parts.front.readiness.drain();
      if (parts.front.events && drainMs) {
        logger.info({ ms: drainMs }, 'draining: readiness fails, requests are still answered');
        await new Promise((r) => setTimeout(r, drainMs));
      }
      if (parts.worker) {
        logger.info('stopping worker (in-flight tasks finish or are handed back)');
        await parts.worker.stop();
      }
      await life.stopAll(logger);
      logger.info('stopped');
    })());
}
