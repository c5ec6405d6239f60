// `npm start`: the whole product on one machine — Temporal dev server (unless TEMPORAL_ADDRESS), Ops API emulator
// (unless OPS_API_URL), worker and events endpoint — with state in DATA_DIR so a restart resumes every run.
// `npm run service` (./service.ts): the events endpoint and portal alone, one replica of a fleet, against an external
// Temporal and Ops API, every shared setting from the environment and nothing on local disk.
import { ConfigError, loadWorkerSettings, type WorkerSettings } from '../config';
import { createLogger, type Logger } from '../logger';
import { loadApprovalPolicy } from '../policy/load';
import { onShutdownSignals } from '../shutdown-signals';
import { banner } from './banner';
import { frontDoorProblems, loadServiceConfig, portalStackOptions, type ServiceConfig } from './config';
import { SharedSettingsMismatch } from './shared-settings';
import { StackError, StartInterrupted, startStack, type Stack, type StackOptions } from './stack';

type Mode = 'all' | 'service';

/** Exit codes: 0 stopped by a signal, 1 a failure, 2 a configuration mistake (docs/running-locally.md). */
export async function main(mode: Mode = 'all'): Promise<number> {
  const command = mode === 'all' ? 'npm start' : 'npm run service';
  const loaded = loadConfiguration(mode);
  if (loaded instanceof ConfigError) {
    console.error(`${command}: ${loaded.message}`);
    return 2;
  }
  const logger = createLogger({ name: 'cloud-ops' });
  const signals = stopOnSignals(logger);
  let stack: Stack;
  try {
    stack = await startStack({ ...stackOptions(mode, loaded), logger, signal: signals.startUp });
  } catch (err) {
    if (!(err instanceof StackError || err instanceof ConfigError)) throw err;
    await flush(logger);
    if (err instanceof StartInterrupted) return 0;
    console.error(`${command}: ${err.message}`);
    // Settings that differ from the running replicas' are a configuration mistake too.
    return err instanceof ConfigError || err instanceof SharedSettingsMismatch ? 2 : 1;
  }
  signals.started(stack);
  if (signals.startUp.aborted) logger.info('stopping');
  else await announce(mode, stack, loaded.service, logger);
  return runUntilStopped(stack, signals.requested, logger);
}

interface Loaded {
  service: ServiceConfig;
  worker: WorkerSettings;
}

/** Every variable read and checked before anything starts; a mistake is a ConfigError naming each. */
function loadConfiguration(mode: Mode): Loaded | ConfigError {
  try {
    const service = loadServiceConfig();
    const worker = loadWorkerSettings();
    const problems = mode === 'service' ? frontDoorProblems(service, process.env) : [];
    // A policy that cannot be read is a configuration error before anything starts.
    loadApprovalPolicy(process.env, []);
    if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
    return { service, worker };
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

function stackOptions(mode: Mode, { service: config, worker }: Loaded): Omit<StackOptions, 'logger'> {
  return {
    dataDir: config.DATA_DIR,
    workerSettings: worker,
    ...(config.TEMPORAL_ADDRESS ? { temporalAddress: config.TEMPORAL_ADDRESS } : {}),
    ...(config.TEMPORAL_UI_URL ? { temporalUiUrl: config.TEMPORAL_UI_URL } : {}),
    temporalPort: config.TEMPORAL_PORT,
    ...(config.OPS_API_URL ? { opsApiUrl: config.OPS_API_URL } : {}),
    emulatorPort: config.EMULATOR_PORT,
    ...(mode === 'all' ? { seedDemoUser: true } : { worker: false, files: false }),
    drainMs: (config.DRAIN_SECONDS ?? (mode === 'all' ? 0 : 10)) * 1000,
    events: {
      host: config.EVENTS_HOST,
      port: config.EVENTS_PORT,
      maxBodyBytes: config.EVENTS_MAX_BODY_BYTES,
      ...(config.EVENTS_HMAC_SECRET ? { secret: config.EVENTS_HMAC_SECRET } : {}),
      ...(config.EVENTS_PUBLIC_URL ? { publicUrl: config.EVENTS_PUBLIC_URL } : {}),
      portal: portalStackOptions(config),
    },
    ...(config.METRICS_ADDRESS ? { metricsAddress: config.METRICS_ADDRESS } : {}),
  };
}

/**
 * Installed before anything starts, so that a signal during start-up stops what has started (at the next step)
 * instead of leaving the dev server behind. First signal: orderly stop. A later one: kill the dev server, leave.
 */
function stopOnSignals(logger: Logger) {
  let stack: Stack | undefined;
  const startUp = new AbortController();
  let stopRequested: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => (stopRequested = resolve));
  onShutdownSignals({
    stop: (signal) => {
      const what = stack ? 'shutting down' : 'stopping start-up';
      logger.info({ signal }, `${what} (press Ctrl-C again to force)`);
      startUp.abort();
      stopRequested();
    },
    force: (signal) => {
      logger.warn({ signal }, 'forced exit');
      stack?.forceKill();
      process.exit(130);
    },
  });
  return { startUp: startUp.signal, requested, started: (s: Stack) => void (stack = s) };
}

/** `npm start`'s banner, the last thing on the screen (the log lines before it flushed first); a replica's line. */
async function announce(mode: Mode, stack: Stack, config: ServiceConfig, logger: Logger): Promise<void> {
  if (mode === 'service') {
    logger.info(
      { url: stack.events?.url, namespace: stack.namespace, taskQueue: stack.taskQueue },
      'service ready: events endpoint and portal (no worker: run `npm run worker`)',
    );
    return;
  }
  await flush(logger);
  process.stdout.write(banner(stack, { temporalAddressGiven: Boolean(config.TEMPORAL_ADDRESS) }));
}

async function runUntilStopped(stack: Stack, requested: Promise<void>, logger: Logger): Promise<number> {
  const outcome = await Promise.race([requested.then(() => 'signal' as const), stack.failed]);
  if (outcome !== 'signal') logger.error(outcome.message);
  let code = outcome === 'signal' ? 0 : 1;
  try {
    await stack.stop();
  } catch (err) {
    logger.error({ err }, 'error while shutting down');
    code = 1;
  }
  await flush(logger);
  return code;
}

/** pino-pretty runs in a worker thread; give it a moment so the last lines are not lost at exit (or come late). */
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
