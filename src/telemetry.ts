// The SDK runtime of a process (`npm start`, `npm run worker`): SDK, workflow and activity logs into pino (with workflowId,
// activityType, ... from the SDK's log metadata), optional Prometheus metrics, and Ops API call counters.
import type { LogLevel, LogMetadata, Logger as SdkLogger, MetricMeter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from './logger';

/** What an Ops API call's metrics need of its outcome (the client's RequestEvent). */
export interface OpsApiCallEvent {
  operationId: string;
  /** Undefined when no HTTP status came back. */
  status: number | undefined;
  durationMs: number;
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's Logger interface over pino. */
export function sdkLogger(logger: Logger): SdkLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const { sdkComponent, ...rest } = meta ?? {};
    logger[LEVELS[level]]({ ...(sdkComponent ? { sdk: sdkComponent } : {}), ...rest }, message);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

export interface RuntimeSetup {
  logger: Logger;
  /** host:port for the Prometheus scrape endpoint (`/metrics`). */
  metricsAddress?: string;
}

/**
 * Installs the process-wide SDK runtime. Signals are left to the caller (`shutdownSignals: []`) so that
 * shutdown happens in the stack's order rather than the SDK's. Returns false when a runtime was already
 * installed (e.g. by a test harness); the existing one is then used as is.
 */
export function installRuntime(setup: RuntimeSetup): boolean {
  try {
    Runtime.install({
      logger: sdkLogger(setup.logger.child({ component: 'worker' })),
      shutdownSignals: [],
      telemetryOptions: {
        logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
        ...(setup.metricsAddress ? { metrics: { prometheus: { bindAddress: setup.metricsAddress } } } : {}),
      },
    });
    return true;
  } catch (err) {
    if ((err as Error).name === 'IllegalStateError') return false;
    throw err;
  }
}

/** A meter's counters, or undefined (said once in the log) where the runtime has no meter (a test's runtime). */
export function metricsOrNone<T>(make: () => T, logger: Logger, what: string): T | undefined {
  try {
    return make();
  } catch (err) {
    logger.warn({ err }, `${what} metrics unavailable`);
    return undefined;
  }
}

/** Counts every Ops API call by operationId and status (`error` when no HTTP status came back). */
export function opsApiMetrics(
  meter: MetricMeter = Runtime.instance().metricMeter,
): (e: OpsApiCallEvent) => void {
  const calls = meter.createCounter('ops_api_requests', 'requests', 'Temporal Cloud Ops API requests');
  const duration = meter.createHistogram(
    'ops_api_request_duration',
    'float',
    'ms',
    'Temporal Cloud Ops API request duration',
  );
  return (e) => {
    const tags = { operation_id: e.operationId, status: e.status === undefined ? 'error' : String(e.status) };
    calls.add(1, tags);
    duration.record(e.durationMs, tags);
  };
}

/** One answered HTTP request of the events endpoint or portal. */
export interface HttpRequestEvent {
  /** The route pattern (`/requests/*`), never the URL: ids would make a series per request. */
  route: string;
  method: string;
  status: number;
  durationMs: number;
}

/** Counts the service's HTTP answers by route, method and status (what a load balancer's view lacks). */
export function httpMetrics(
  meter: MetricMeter = Runtime.instance().metricMeter,
): (e: HttpRequestEvent) => void {
  const calls = meter.createCounter(
    'service_http_requests',
    'requests',
    'Events endpoint and portal requests',
  );
  const duration = meter.createHistogram(
    'service_http_request_duration',
    'float',
    'ms',
    'Events endpoint and portal request duration',
  );
  return (e) => {
    const tags = { route: e.route, method: e.method, status: String(e.status) };
    calls.add(1, tags);
    duration.record(e.durationMs, tags);
  };
}
