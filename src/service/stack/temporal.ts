// The stack's first phase: Temporal — the embedded dev server (its database in the data folder), or the frontend
// at `temporalAddress` — and how to connect to it, read once from the TEMPORAL_* variables.
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { definedOnly } from '../../client';
import type { Logger } from '../../logger';
import { makePrivate } from '../data-folder';
import { DB_FILE, StackError, startDevServer, type DevServer } from '../dev-server';
import type { Lifecycle } from './lifecycle';
import type { Env, StackOptions } from './types';

export interface TemporalPart {
  address: string;
  namespace: string;
  /** The worker's connection: TLS, API key and so on from TEMPORAL_*, the address this phase chose. */
  connectionOptions: NativeConnectionOptions;
  /** The embedded dev server's Web UI, else StackOptions.temporalUiUrl. */
  uiUrl?: string;
  devServer?: DevServer;
}

type TemporalOptions = Pick<
  StackOptions,
  'dataDir' | 'temporalAddress' | 'temporalPort' | 'temporalUiUrl' | 'ui'
>;

export async function startTemporal(
  options: TemporalOptions,
  ctx: { env: Env; logger: Logger; life: Lifecycle },
): Promise<TemporalPart> {
  const devServer = options.temporalAddress ? undefined : await startOwnDevServer(options, ctx);
  const address = devServer?.address ?? options.temporalAddress!;
  const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars: definedOnly(ctx.env) });
  const uiUrl = devServer?.uiUrl ?? options.temporalUiUrl;
  return {
    address,
    namespace: namespace ?? 'default',
    connectionOptions: { ...connectionOptions, address },
    ...(uiUrl ? { uiUrl } : {}),
    ...(devServer ? { devServer } : {}),
  };
}

async function startOwnDevServer(
  options: TemporalOptions,
  { logger, life }: { logger: Logger; life: Lifecycle },
): Promise<DevServer> {
  const { dataDir } = options;
  const server = await startDevServer({
    dataDir,
    port: options.temporalPort ?? 7233,
    ui: options.ui ?? true,
    logger,
  });
  life.started(() => server.stop());
  // Every history is in it (emails, plans, comments): the server makes it 0644, we narrow it.
  const db = path.join(dataDir, DB_FILE);
  await makePrivate(['', '-wal', '-shm', '-journal'].map((suffix) => `${db}${suffix}`));
  void server.exited.then((code) =>
    life.fail(new StackError(`the Temporal dev server exited unexpectedly (code ${code})`)),
  );
  return server;
}
