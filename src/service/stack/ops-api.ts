// The stack's second phase: the Ops API — the emulator in this process (its state and key in the data folder), or
// the one at `opsApiUrl` — as the worker's typed configuration, its dialect chosen here once.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, type WorkerConfig, type WorkerSettings } from '../../config';
import { startEmulator, type Emulator } from '../../emulator';
import type { Logger } from '../../logger';
import type { Dialect } from '../../ops-api';
import { dialectOf } from '../../worker';
import { keyFile } from '../data-folder';
import type { Lifecycle } from './lifecycle';
import { DEMO_USER, STACK_FILES, type Env, type Stack, type StackOptions } from './types';

export interface OpsApiPart {
  /** The worker's whole configuration: the settings with the Ops API's URL and key. */
  config: WorkerConfig;
  dialect: Dialect;
  emulator?: Emulator;
  /** Where the emulator's generated key is kept. */
  apiKeyFile?: string;
  generatedApiKey?: string;
  demoUser?: Stack['opsApi']['demoUser'];
}

type OpsApiOptions = Pick<
  StackOptions,
  'dataDir' | 'opsApiUrl' | 'emulatorPort' | 'emulatorOptions' | 'seedDemoUser' | 'files'
>;

export async function startOpsApi(
  options: OpsApiOptions,
  ctx: { env: Env; settings: WorkerSettings; logger: Logger; life: Lifecycle },
): Promise<OpsApiPart> {
  if (options.opsApiUrl)
    return withDialect(workerConfig(ctx.settings, options.opsApiUrl, ctx.settings.OPS_API_KEY));
  const apiKeyFile = path.join(options.dataDir, STACK_FILES.emulatorKey);
  const key = ctx.env.EMULATOR_API_KEY
    ? { value: ctx.env.EMULATOR_API_KEY, generated: false }
    : await keyFile(apiKeyFile, options.files === false ? 'EMULATOR_API_KEY' : undefined);
  const statePath = path.join(options.dataDir, STACK_FILES.emulatorState);
  const fresh = !(await exists(statePath));
  const emulator = await startEmulator({
    port: options.emulatorPort ?? 7243,
    apiKey: key.value,
    statePath,
    logger: quietRequests(ctx.logger),
    ...options.emulatorOptions,
  });
  ctx.life.started(() => emulator.close());
  const demoUser = options.seedDemoUser ? await demoUserOf(emulator, fresh) : undefined;
  return {
    ...withDialect(workerConfig(ctx.settings, emulator.url, emulator.apiKey)),
    emulator,
    apiKeyFile,
    ...(key.generated ? { generatedApiKey: key.value } : {}),
    ...(demoUser ? { demoUser } : {}),
  };
}

/** The settings completed with where the Ops API is; the key must have been given for an external one. */
function workerConfig(settings: WorkerSettings, url: string, apiKey: string | undefined): WorkerConfig {
  if (!apiKey) {
    throw new ConfigError(
      'invalid configuration:\n  OPS_API_KEY: is required (the Ops API key, sent as a Bearer token)',
    );
  }
  return { ...settings, OPS_API_URL: url, OPS_API_KEY: apiKey };
}

function withDialect(config: WorkerConfig): { config: WorkerConfig; dialect: Dialect } {
  return { config, dialect: dialectOf(config) };
}

/**
 * The emulator logs every request at info; beside `npm start`'s banner that buries what matters, so in the stack its
 * lines show from LOG_LEVEL=debug on (its warnings always).
 */
function quietRequests(logger: Logger): Logger {
  return logger.isLevelEnabled('debug') ? logger : logger.child({}, { level: 'warn' });
}

/**
 * DEMO_USER (developer, one API key) while it exists: seeded into a fresh emulator (its state file did not exist), so
 * the rotation and offboarding commands `npm start` prints work on a fresh data folder.
 */
async function demoUserOf(emulator: Emulator, fresh: boolean): Promise<Stack['opsApi']['demoUser']> {
  if (fresh) {
    const { userIds } = await emulator.seed({
      users: [{ email: DEMO_USER.email, access: { accountAccess: { role: 'developer' } } }],
    });
    await emulator.seed({
      apiKeys: [
        {
          displayName: DEMO_USER.apiKeyName,
          ownerId: userIds[0]!,
          ownerType: 'user',
          expiryTime: new Date(Date.now() + 90 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    });
  }
  const user = emulator
    .snapshot()
    .users.find((u) => u.spec.email === DEMO_USER.email && u.state === 'active');
  return user ? { id: user.id, email: DEMO_USER.email } : undefined;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
