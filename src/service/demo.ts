// `npm run demo`: starts a throw-away stack (dev server, emulator with short operations, worker, events endpoint)
// on free ports, then drives every workflow through signed events, and a desired-state file through plan and
// apply, and checks the outcome in the emulator.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadWorkerSettings } from '../config';
import { createLogger } from '../logger';
import { DIALECTS, type DialectName } from '../ops-api/dialects';
import { onShutdownSignals } from '../shutdown-signals';
import { desiredStateDemo } from './demo/desired-state';
import { offboardDemo, provisionDemo, rotateDemo } from './demo/workflows';
import { startStack, StackError, StartInterrupted, type Stack } from './stack';

export { desiredStateDemo } from './demo/desired-state';
export { sendEvent, waitForRequest } from './demo/requests';

const out = (line = '') => process.stdout.write(`${line}\n`);

class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

/** `--dialect openapi|cloud` (default: OPS_API_DIALECT, else openapi): how the worker talks to the emulator. */
export function demoDialect(argv: string[], env: NodeJS.ProcessEnv = process.env): DialectName {
  const { values } = parseArgs({ args: argv, options: { dialect: { type: 'string' } }, strict: true });
  const dialect = values.dialect ?? (env.OPS_API_DIALECT || 'openapi');
  if (!(DIALECTS as readonly string[]).includes(dialect)) {
    throw new DemoUsageError(`--dialect: must be one of ${DIALECTS.join(', ')}, not "${dialect}"`);
  }
  return dialect as DialectName;
}

export async function runDemo(dialect: DialectName = 'openapi'): Promise<boolean> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cloud-ops-demo-'));
  out(
    `Starting a throw-away stack (Temporal dev server, Ops API emulator, worker speaking the ${dialect} dialect, events endpoint)...`,
  );
  if (dialect === 'cloud') {
    out(
      "As the real service does, the emulator's edge answers a 502 or a 429 now and then: the worker logs each as a warning and retries.",
    );
  }
  const stack = await startDemoStack(dataDir, dialect);
  out(`Temporal Web UI: ${stack.temporal.uiUrl}`);
  out();
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    out(`  ${ok ? '✔' : '✘'} ${what}`);
    if (!ok) failures.push(what);
  };
  try {
    const provisioned = await provisionDemo(stack, check);
    out();
    await rotateDemo(stack, check, provisioned);
    out();
    await offboardDemo(stack, check);
    out();
    await desiredStateDemo(stack, check);
  } catch (err) {
    failures.push((err as Error).message);
    out(`  ✘ ${(err as Error).message}`);
  } finally {
    await stack.stop();
  }
  out();
  if (failures.length === 0) {
    out('Demo succeeded.');
    await rm(dataDir, { recursive: true, force: true });
  } else {
    out(`Demo FAILED: ${failures.join('; ')} (state kept in ${dataDir})`);
  }
  return failures.length === 0;
}

/** The demo's stack; Ctrl-C stops it (its dev server lives in a temporary folder no later start would clean up). */
async function startDemoStack(dataDir: string, dialect: DialectName): Promise<Stack> {
  // Quiet unless asked: the demo prints its own progress.
  const logger = createLogger({ name: 'demo', level: process.env.LOG_LEVEL ?? 'warn' });
  // The demo is self-contained: external servers configured in the shell are ignored.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|OPS_API_|SECRET_SINK|PAYLOAD_CODEC)/.test(k)),
  );
  let started: Stack | undefined = undefined;
  const startUp = new AbortController();
  const interrupt = async () => {
    await started?.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  onShutdownSignals({
    stop: () => {
      out('Interrupted: stopping the stack...');
      startUp.abort();
      if (started) void interrupt();
    },
    force: () => {
      started?.forceKill();
      process.exit(130);
    },
  });
  try {
    started = await startStack({
      dataDir,
      logger,
      env,
      workerSettings: { ...loadWorkerSettings(env), OPS_API_DIALECT: dialect },
      temporalPort: 0,
      emulatorPort: 0,
      // Short operations so the demo takes seconds, not minutes; in the cloud dialect a new namespace still reads
      // PERMISSION_DENIED / NOT_FOUND for a moment, as on the real service (docs/real-service.md).
      emulatorOptions: {
        asyncOperationDurationMs: 1_500,
        checkDurationMs: 250,
        realismParams: { readAfterCreateLag: { lagMs: 3_000 } },
      },
      events: { host: '127.0.0.1', port: 0 },
      signal: startUp.signal,
    });
    return started;
  } catch (err) {
    if (err instanceof StartInterrupted) await interrupt();
    throw err;
  }
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runDemo(demoDialect(process.argv.slice(2))))
    .then(
      (ok) => process.exit(ok ? 0 : 1),
      (err: unknown) => {
        const usage =
          err instanceof DemoUsageError ||
          (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
        console.error(`demo: ${err instanceof StackError || usage ? (err as Error).message : String(err)}`);
        process.exit(usage ? 2 : 1);
      },
    );
}
