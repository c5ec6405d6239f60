// `npm start`: the whole product on one machine — Temporal dev server (unless TEMPORAL_ADDRESS), Ops API emulator
// (unless OPS_API_URL), worker and events endpoint — with state in DATA_DIR so a restart resumes every run.
// `npm run service` (./service.ts): the events endpoint and portal alone, one replica of a fleet, against an external
// Temporal and Ops API, every shared setting from the environment and nothing on local disk.
import { ConfigError } from '../config';
import { createLogger, type Logger } from '../logger';
import { onShutdownSignals } from '../shutdown-signals';
import { loadApprovalPolicy } from '../policy/load';
import { banner } from './banner';
import { frontDoorProblems, loadServiceConfig, portalStackOptions, type ServiceConfig } from './config';
import { StackError, StartInterrupted, startStack, type Stack } from './stack';

export async function main(mode: 'all' | 'service' = 'all'): Promise<number> {
  const command = mode === 'all' ? 'npm start' : 'npm run service';
  let config: ServiceConfig;
  try {
    config = loadServiceConfig();
    const problems = mode === 'service' ? frontDoorProblems(config, process.env) : [];
    // A policy that cannot be read is a configuration error before anything starts.
    loadApprovalPolicy(process.env, []);
    if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${command}: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ name: 'cloud-ops' });

  // Installed before anything starts, so that a signal during start-up stops what has started (at the next step)
  // instead of leaving the dev server behind. First signal: orderly stop. A later one: kill the dev server, leave.
  let stack: Stack | undefined;
  const startUp = new AbortController();
  let stopRequested: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  onShutdownSignals({
    stop: (signal) => {
      logger.info(
        { signal },
        stack
          ? 'shutting down (press Ctrl-C again to force)'
          : 'stopping start-up (press Ctrl-C again to force)',
      );
      startUp.abort();
      stopRequested();
    },
    force: (signal) => {
      logger.warn({ signal }, 'forced exit');
      stack?.forceKill();
      process.exit(130);
    },
  });

  try {
    stack = await startStack({
      dataDir: config.DATA_DIR,
      logger,
      ...(config.TEMPORAL_ADDRESS ? { temporalAddress: config.TEMPORAL_ADDRESS } : {}),
      ...(config.TEMPORAL_UI_URL ? { temporalUiUrl: config.TEMPORAL_UI_URL } : {}),
      temporalPort: config.TEMPORAL_PORT,
      ...(config.OPS_API_URL ? { opsApiUrl: config.OPS_API_URL } : {}),
      emulatorPort: config.EMULATOR_PORT,
      ...(mode === 'all' ? { seedDemoUser: true } : { worker: false, files: false }),
      drainMs: (config.DRAIN_SECONDS ?? (mode === 'all' ? 0 : 10)) * 1000,
      signal: startUp.signal,
      events: {
        host: config.EVENTS_HOST,
        port: config.EVENTS_PORT,
        maxBodyBytes: config.EVENTS_MAX_BODY_BYTES,
        ...(config.EVENTS_HMAC_SECRET ? { secret: config.EVENTS_HMAC_SECRET } : {}),
        ...(config.EVENTS_PUBLIC_URL ? { publicUrl: config.EVENTS_PUBLIC_URL } : {}),
        portal: portalStackOptions(config),
      },
      ...(config.METRICS_ADDRESS ? { metricsAddress: config.METRICS_ADDRESS } : {}),
    });
  } catch (err) {
    if (err instanceof StartInterrupted) {
      await flush(logger);
      return 0;
    }
    if (err instanceof StackError || err instanceof ConfigError) {
      await flush(logger);
      console.error(`${command}: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const running = stack;

  if (startUp.signal.aborted) {
    logger.info('stopping');
  } else if (mode === 'all') {
    process.stdout.write(banner(running, { temporalAddressGiven: Boolean(config.TEMPORAL_ADDRESS) }));
  } else {
    logger.info(
      { url: running.events?.url, namespace: running.namespace, taskQueue: running.taskQueue },
      'service ready: events endpoint and portal (no worker: run `npm run worker`)',
    );
  }
  const outcome = await Promise.race([stopSignal.then(() => 'signal' as const), running.failed]);
  if (outcome !== 'signal') logger.error(outcome.message);
  let code = outcome === 'signal' ? 0 : 1;
  try {
    await running.stop();
  } catch (err) {
    logger.error({ err }, 'error while shutting down');
    code = 1;
  }
  await flush(logger);
  return code;
}

/** pino-pretty runs in a worker thread; give it a moment so the last lines are not lost at exit. */
async function flush(logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  await new Promise((r) => setTimeout(r, 100));
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error('npm start:', err);
      process.exit(1);
    },
  );
}
