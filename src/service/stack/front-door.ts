// The stack's last phase: the Temporal client every caller shares, and the front door on it — the events endpoint
// with the portal, one intake and one approval policy for both, joined to the other replicas' shared settings.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { connectClient, type ConnectedClient } from '../../client';
import type { Logger } from '../../logger';
import { createDirectory, registerPortal } from '../../portal';
import { httpMetrics, metricsOrNone } from '../../telemetry';
import { createOpsApiClient } from '../../worker';
import { keyFile } from '../data-folder';
import { StackError } from '../dev-server';
import { buildEventsServer } from '../events';
import { createIntake } from '../../requests/intake';
import { prepareFrontDoor, sharedValues, type FrontDoorSettings } from '../portal-setup';
import { temporalReadiness } from '../readiness';
import { publishSharedSettings } from '../shared-settings';
import type { Lifecycle } from './lifecycle';
import type { OpsApiPart } from './ops-api';
import type { TemporalPart } from './temporal';
import type { WorkerPart } from './worker';
import { STACK_FILES, type Env, type EventsEndpointOptions, type Stack, type StackOptions } from './types';

export interface FrontDoorPart {
  connected: ConnectedClient;
  readiness: ReturnType<typeof temporalReadiness>;
  events?: Stack['events'];
  portal?: Stack['portal'];
}

interface Context {
  env: Env;
  logger: Logger;
  life: Lifecycle;
  temporal: TemporalPart;
  opsApi: OpsApiPart;
  worker: WorkerPart | undefined;
}

type FrontDoorOptions = Pick<
  StackOptions,
  'dataDir' | 'files' | 'events' | 'metricsAddress' | 'settingsLeaseMs'
>;

export async function startFrontDoor(options: FrontDoorOptions, ctx: Context): Promise<FrontDoorPart> {
  const connected = await connectClient({ env: ctx.env, address: ctx.temporal.address });
  ctx.life.started(() => connected.close());
  const readiness = temporalReadiness(connected.client);
  if (!options.events) return { connected, readiness };
  const events = options.events;
  const files = options.files ?? true;
  const secretFile = path.join(options.dataDir, STACK_FILES.eventsSecret);
  const given = events.secret ?? ctx.env.EVENTS_HMAC_SECRET;
  const secret = given
    ? { value: given, generated: false }
    : await keyFile(secretFile, files ? undefined : 'EVENTS_HMAC_SECRET');
  const front = await prepareFrontDoor(events.portal === false ? undefined : (events.portal ?? {}), {
    env: ctx.env,
    dataDir: options.dataDir,
    files,
    logger: ctx.logger,
    ...(events.policy ? { policy: events.policy } : {}),
  });
  const app = await buildApp(events, front, secret.value, { ...ctx, connected, readiness, options });
  await joinReplicas(front, secret.value, { ...ctx, connected, readiness, options });
  const url = await listen(app, events, ctx.life);
  const portal = front.portal ? portalOf(front.portal, url) : undefined;
  return {
    connected,
    readiness,
    events: {
      url,
      secret: secret.value,
      ...(given ? {} : { secretFile }),
      ...(secret.generated ? { generatedSecret: secret.value } : {}),
    },
    ...(portal ? { portal } : {}),
  };
}

type AppContext = Context & {
  connected: ConnectedClient;
  readiness: FrontDoorPart['readiness'];
  options: FrontDoorOptions;
};

/** The events endpoint and the portal on it: one start path (the intake) and one policy for both. */
async function buildApp(
  events: EventsEndpointOptions,
  front: FrontDoorSettings,
  secret: string,
  ctx: AppContext,
): Promise<FastifyInstance> {
  const { client } = ctx.connected;
  const { logger, worker } = ctx;
  const taskQueue = ctx.opsApi.config.TASK_QUEUE;
  const uiUrl = ctx.temporal.uiUrl;
  const intake = createIntake({ client, taskQueue, logger, policy: front.policy });
  const onRequest = ctx.options.metricsAddress
    ? metricsOrNone(() => httpMetrics(), logger, 'HTTP request')
    : undefined;
  const live = () => !worker || worker.worker.getState() === 'RUNNING';
  const app = buildEventsServer({
    client,
    taskQueue,
    secret,
    intake,
    logger,
    ...(events.maxBodyBytes ? { maxBodyBytes: events.maxBodyBytes } : {}),
    ...(events.publicUrl ? { publicUrl: events.publicUrl } : {}),
    ...(events.limits ? { limits: events.limits } : {}),
    ...(uiUrl ? { uiUrl } : {}),
    ...(front.portal?.trustedProxies.length ? { trustProxy: front.portal.trustedProxies } : {}),
    ...(front.viewer ? { viewer: front.viewer } : {}),
    ...(front.portal ? { approvers: front.portal.approvers } : {}),
    health: () => ({ ok: live(), worker: worker?.worker.getState() ?? 'external' }),
    ...(onRequest ? { onRequest } : {}),
    ready: async () => (live() ? ctx.readiness.check() : { ok: false, reason: 'worker_stopped' }),
  });
  if (front.portal) {
    await registerPortal(app, {
      client,
      taskQueue,
      intake,
      // The service's own Ops API client (its key stays inside it) for the forms' pickers.
      directory: createDirectory(
        createOpsApiClient(ctx.opsApi.config, logger, { dialect: ctx.opsApi.dialect }),
        logger,
      ),
      logger,
      ...(uiUrl ? { uiUrl } : {}),
      approvers: front.portal.approvers,
      policy: front.policy,
      auth: front.portal.auth,
      ...(events.limits?.loginPerMinute ? { loginPerMinute: events.limits.loginPerMinute } : {}),
    });
  }
  return app;
}

/** Replicas must agree on what they share before this one answers anything. */
async function joinReplicas(front: FrontDoorSettings, secret: string, ctx: AppContext): Promise<void> {
  const record = await publishSharedSettings({
    client: ctx.connected.client,
    taskQueue: ctx.opsApi.config.TASK_QUEUE,
    values: sharedValues(secret, front),
    logger: ctx.logger,
    // Another replica's settings took over the record: the load balancer must take this one out.
    onMismatch: () => ctx.readiness.fail('shared_settings_mismatch'),
    ...(ctx.options.settingsLeaseMs ? { leaseMs: ctx.options.settingsLeaseMs } : {}),
  });
  // `npm start` with its own dev server: a restart with other settings need not wait for the lease.
  ctx.life.started(() => record.close({ release: ctx.temporal.devServer !== undefined }));
}

async function listen(app: FastifyInstance, events: EventsEndpointOptions, life: Lifecycle): Promise<string> {
  try {
    await app.listen({ host: events.host, port: events.port });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StackError(
      e.code === 'EADDRINUSE'
        ? `port ${events.port} on ${events.host} (events endpoint) is already in use: stop what is using it or set EVENTS_PORT`
        : `cannot start the events endpoint: ${e.message}`,
    );
  }
  life.started(() => app.close());
  const { port } = app.server.address() as { port: number };
  return `http://${events.host}:${port}`;
}

function portalOf(prepared: NonNullable<FrontDoorSettings['portal']>, url: string): Stack['portal'] {
  const { auth: _auth, ...setup } = prepared;
  return { url: `${url}/`, ...setup };
}
