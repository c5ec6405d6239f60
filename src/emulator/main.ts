// CLI: `npm run emulator -- --port 7243 --api-key <key>`. Runs the Ops API emulator until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { createLogger } from '../logger';
import { onShutdownSignals } from '../shutdown-signals';
import { parseDurationMs } from './duration';
import type { EmulatorOptions } from './index';
import { parseRealismFlag, REALISM_SWITCHES } from './realism';

const USAGE = `Usage: npm run emulator -- [options]

Local, stateful emulator of the Temporal Cloud Ops API: the given document's routes
under /api/v1 and the real API's (Temporal's cloud-api HTTP gateway) under /cloud,
over one store.

Options:
  --port <port>            TCP port (default 7243; 0 = any free port)
  --host <host>            interface to bind (default 127.0.0.1)
  --api-key <key>          bearer key clients must send (default: random, printed;
                           also read from EMULATOR_API_KEY)
  --state-file <path>      persist state to this JSON file and reload it on start
  --async-duration <d>     duration of every async operation: ms ('1500') or '1.5s'
                           (default: namespaces 5s, everything else 1s)
  --check-duration <d>     checkDuration hint of getAsyncOperation (default 1s)
  --account-id <id>        account id, the suffix of namespace ids (default a1b2c)
  --realism <switches>     the real service's behaviours (src/emulator/realism.ts):
                           'on' / 'off' for all, or name=on|off|default,...
                           (default: on for /cloud, off for /api/v1; also read
                           from EMULATOR_REALISM). Switches: ${REALISM_SWITCHES.join(', ')}
  --read-after-create-lag <d>
                           how long a new namespace reads as PERMISSION_DENIED /
                           NOT_FOUND once created (switch readAfterCreateLag; default 60s)
  -h, --help               show this help
`;

class UsageError extends Error {}

function parseCli(argv: string[]): (EmulatorOptions & { help?: false }) | { help: true } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string' },
        'state-file': { type: 'string' },
        'async-duration': { type: 'string' },
        'check-duration': { type: 'string' },
        'account-id': { type: 'string' },
        realism: { type: 'string' },
        'read-after-create-lag': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };

  const port = Number(values.port ?? '7243');
  if (!/^\d+$/.test(values.port ?? '7243') || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  }
  const duration = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const ms = parseDurationMs(text);
    if (ms === undefined)
      throw new UsageError(`${flag} must be milliseconds or a duration like '5s', got '${text}'`);
    return ms;
  };
  const apiKey = values['api-key'] ?? (process.env.EMULATOR_API_KEY || undefined);
  if (apiKey !== undefined && (apiKey === '' || /\s/.test(apiKey))) {
    throw new UsageError('--api-key must be non-empty and contain no whitespace');
  }
  const accountId = values['account-id'];
  if (accountId !== undefined && !/^[a-z0-9-]{1,32}$/.test(accountId)) {
    throw new UsageError('--account-id must be 1-32 lowercase letters, digits or hyphens');
  }
  const realismText = values.realism ?? (process.env.EMULATOR_REALISM || undefined);
  let realism: EmulatorOptions['realism'];
  if (realismText !== undefined) {
    try {
      // `default` means "not given": the option holds only switches set on or off.
      realism = Object.fromEntries(
        Object.entries(parseRealismFlag(realismText)).filter(([, v]) => v !== null),
      ) as EmulatorOptions['realism'];
    } catch (error) {
      throw new UsageError(`--realism: ${(error as Error).message}`);
    }
  }
  const lagMs = duration('--read-after-create-lag', values['read-after-create-lag']);
  const asyncOperationDurationMs = duration('--async-duration', values['async-duration']);
  const checkDurationMs = duration('--check-duration', values['check-duration']);
  return {
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(values['state-file'] === undefined ? {} : { statePath: values['state-file'] }),
    ...(asyncOperationDurationMs === undefined ? {} : { asyncOperationDurationMs }),
    ...(checkDurationMs === undefined ? {} : { checkDurationMs }),
    ...(accountId === undefined ? {} : { accountId }),
    ...(realism === undefined ? {} : { realism }),
    ...(lagMs === undefined ? {} : { realismParams: { readAfterCreateLag: { lagMs } } }),
  };
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`emulator: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  // Loaded only now so that --help and flag errors answer instantly.
  const { startEmulator } = await import('./index.js');
  const { CLOUD_API_VERSION_HEADER, DEFAULT_CLOUD_API_VERSION } = await import('../shared/dialects.js');
  const keyGiven = options.apiKey !== undefined;
  const logger = createLogger({ name: 'ops-api-emulator' });
  const emulator = await startEmulator({ ...options, logger });
  // The key is printed once, on the operator's own terminal, and only when we made it up.
  process.stdout.write(
    `Temporal Cloud Ops API emulator listening on ${emulator.url}\n` +
      `  ${emulator.url}/api/v1/...  the given document (openapi/cloud-ops-api.yml)\n` +
      `  ${emulator.url}/cloud/...   the real Temporal Cloud API's HTTP gateway ` +
      `(header ${CLOUD_API_VERSION_HEADER}: ${DEFAULT_CLOUD_API_VERSION})\n` +
      `API key: ${keyGiven ? '(as given)' : emulator.apiKey}\n`,
  );

  onShutdownSignals({
    stop: (signal) => {
      logger.info({ signal }, 'shutting down');
      emulator.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while closing');
          process.exit(1);
        },
      );
    },
    force: () => process.exit(130),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
});
