// The emulator's public face: startEmulator and the types and helpers its users need.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger';
import { registerAdminRoutes } from './admin';
import type { Emulator, EmulatorOptions } from './options';
import type { Runtime } from './runtime';
import { seeder } from './seed';
import { buildServer } from './server';
import { configurator, createRuntime, initialConfig, settleNow, snapshotter } from './setup';
import { acceptedCaHistory } from './store';
import { specRoutes } from './spec-loader';

export type { Clock } from './clock';
export { ManualClock, systemClock } from './clock';
export type { FaultRule, ListedFaultRule } from './faults';
export type { RequestLogEntry } from './runtime';
export type {
  AcceptedCaChange,
  EmulatorState,
  UserResource,
  ServiceAccountResource,
  ApiKeyResource,
} from './store';
export type { RateLimitConfig } from './rate-limit';
export { REALISM, REALISM_SWITCHES, parseRealismFlag } from './realism';
export type { RealismSwitch, RealismSettings, RealismParamsUpdate, UnmodelledLoss } from './realism';
export { REGIONS } from './regions';
export { formatProtoDuration, parseDurationMs } from './duration';

export type { Emulator, EmulatorConfigUpdate, EmulatorOptions, SeedInput, SeedResult } from './options';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const { rt, writer, closing } = await createRuntime(opts);
  const configure = configurator(rt);
  configure(initialConfig(opts));
  for (const rule of opts.faults ?? []) rt.faults.add(rule);
  const routes = specRoutes();
  const snapshot = snapshotter(rt);
  const seed = seeder(rt, routes);
  const app = buildServer(rt, routes);
  const caHistory = (namespace: string) => {
    settleNow(rt);
    return acceptedCaHistory(rt.store, namespace);
  };
  registerAdminRoutes(app, rt, { snapshot: async () => snapshot(), configure, seed, caHistory });
  const url = await listen(app, opts, rt.logger);
  return handle(rt, {
    url,
    apiKey: rt.apiKey,
    configure: (update) => {
      configure(update);
    },
    snapshot,
    acceptedCaHistory: caHistory,
    seed: (input) => seed(input),
    close: async () => {
      closing.abort();
      await app.close();
      await writer?.flush();
    },
  });
}

async function listen(app: FastifyInstance, opts: EmulatorOptions, logger: Logger): Promise<string> {
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  logger.info({ url }, 'ops api emulator listening');
  return url;
}

/** The handle: `rest`, and live views of the request log, the fault rules and the realism switches. */
function handle(
  rt: Runtime,
  rest: Omit<Emulator, 'requestLog' | 'clearRequestLog' | 'faults' | 'realism'>,
): Emulator {
  return {
    ...rest,
    get requestLog() {
      return rt.requestLog;
    },
    clearRequestLog: () => {
      rt.requestLog.length = 0;
    },
    faults: {
      add: (rule) => rt.faults.add(rule),
      remove: (id) => {
        rt.faults.remove(id);
      },
      clear: () => rt.faults.clear(),
      list: () => rt.faults.list(),
    },
    realism: {
      describe: () => rt.realism.describe(),
      losses: () => structuredClone(rt.realism.losses),
      clearLosses: () => {
        rt.realism.losses.length = 0;
      },
    },
  };
}
