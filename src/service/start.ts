// `npm start`: the whole product on one machine — Temporal dev server (unless TEMPORAL_ADDRESS), Ops API emulator
// (unless OPS_API_URL), worker and events endpoint — with state in DATA_DIR so a restart resumes every run.
import path from 'node:path';
import { ConfigError } from '../config';
import { createLogger, type Logger } from '../logger';
import { onShutdownSignals } from '../shutdown-signals';
import { loadServiceConfig, type ServiceConfig } from './config';
import { StackError, startStack, type Stack } from './stack';

export async function main(): Promise<number> {
  let config: ServiceConfig;
  try {
    config = loadServiceConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`npm start: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ name: 'cloud-ops' });

  // Installed before anything starts, so that a signal during start-up stops what has started instead of
  // leaving the dev server behind. First signal: orderly stop. A later one: kill the dev server and leave.
  let stack: Stack | undefined;
  let signalled = false;
  let stopRequested: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  onShutdownSignals({
    stop: (signal) => {
      logger.info(
        { signal },
        stack ? 'shutting down (press Ctrl-C again to force)' : 'shutting down once start-up has finished',
      );
      signalled = true;
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
      temporalPort: config.TEMPORAL_PORT,
      ...(config.OPS_API_URL ? { opsApiUrl: config.OPS_API_URL } : {}),
      emulatorPort: config.EMULATOR_PORT,
      events: {
        host: config.EVENTS_HOST,
        port: config.EVENTS_PORT,
        maxBodyBytes: config.EVENTS_MAX_BODY_BYTES,
        ...(config.EVENTS_HMAC_SECRET ? { secret: config.EVENTS_HMAC_SECRET } : {}),
        ...(config.EVENTS_PUBLIC_URL ? { publicUrl: config.EVENTS_PUBLIC_URL } : {}),
      },
      ...(config.METRICS_ADDRESS ? { metricsAddress: config.METRICS_ADDRESS } : {}),
    });
  } catch (err) {
    if (err instanceof StackError || err instanceof ConfigError) {
      await flush(logger);
      console.error(`npm start: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const running = stack;

  if (!signalled) {
    process.stdout.write(banner(running, config));
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

function banner(stack: Stack, config: ServiceConfig): string {
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  const data = rel(stack.dataDir);
  const lines: string[] = ['', 'Temporal Cloud Ops is running.', ''];
  lines.push(`  Temporal         ${stack.temporal.address} (namespace ${stack.namespace})`);
  if (stack.temporal.uiUrl) lines.push(`  Temporal Web UI  ${stack.temporal.uiUrl}`);
  lines.push(`  Ops API          ${stack.opsApi.url}${stack.opsApi.emulator ? ' (emulator)' : ''}`);
  if (stack.events) lines.push(`  Events endpoint  ${stack.events.url}/events`);
  if (stack.metricsUrl) lines.push(`  Metrics          ${stack.metricsUrl}`);
  lines.push(`  Data folder      ${data}`, '');

  if (stack.opsApi.generatedApiKey) {
    lines.push(
      `  Emulator API key (generated; kept in ${rel(stack.opsApi.apiKeyFile!)}): ${stack.opsApi.generatedApiKey}`,
    );
  } else if (stack.opsApi.apiKeyFile) {
    lines.push(`  Emulator API key: in ${rel(stack.opsApi.apiKeyFile)}`);
  }
  const secretFile = stack.events?.secretFile ? rel(stack.events.secretFile) : undefined;
  if (stack.events?.generatedSecret) {
    lines.push(`  Events HMAC secret (generated; kept in ${secretFile}): ${stack.events.generatedSecret}`);
  } else if (secretFile) {
    lines.push(`  Events HMAC secret: in ${secretFile}`);
  }

  const env = config.TEMPORAL_ADDRESS ? '' : `TEMPORAL_ADDRESS=${stack.temporal.address} `;
  lines.push(
    '',
    'Start workflows from another terminal:',
    '',
    `  ${env}npm run provision-namespace -- --name demo-ns --region aws-us-east-1 --retention-days 7 \\`,
    '      --service-account --api-key --wait',
    `  ${env}npm run rotate-api-key -- --owner-type service-account --owner-id <serviceAccountId> --grace 1m --wait`,
    `  ${env}npm run offboard-user -- --email someone@example.com --dry-run --wait`,
    `  ${env}npm run decommission-namespace -- --name demo-ns --delete-service-accounts --wait`,
  );
  if (stack.events) {
    const secret = secretFile ? `$(cat ${secretFile})` : "'<EVENTS_HMAC_SECRET>'";
    lines.push(
      '',
      'Or send a signed event:',
      '',
      `  SECRET=${secret}`,
      `  BODY='{"id":"evt-1","type":"namespace.requested","data":{"name":"demo-ns","region":"aws-us-east-1","retentionDays":7,"serviceAccount":{},"apiKey":{}}}'`,
      '  TS=$(date +%s)',
      `  SIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
      `  curl -sS ${stack.events.url}/events -H 'Content-Type: application/json' \\`,
      `      -H "X-Signature-Timestamp: $TS" -H "X-Signature-256: sha256=$SIG" -d "$BODY"`,
      `  curl -sS ${stack.events.url}/requests/provision-namespace%2Fdemo-ns`,
      '',
      '  Event types: namespace.requested, namespace.decommission.requested, apikey.rotation.requested,',
      '  user.offboarding.requested (data = the workflow input, as for the starters).',
    );
  }
  lines.push('', 'Ctrl-C stops everything (twice to force). Restarting resumes every run where it was.', '');
  return `${lines.join('\n')}\n`;
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
