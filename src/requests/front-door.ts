// What the events endpoint and portal accept, bounded: how long a client may take to send its headers and body, how
// many connections are open at once, how long and how often a connection is kept alive, and how often one address
// may try to sign in or post events (@fastify/rate-limit, per replica). Slow or many clients cost a socket each for
// at most these times, so they never keep /healthz or a real request from being served.
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

export interface FrontDoorLimits {
  /** The whole request (headers and body) must arrive within this; default 30 s. */
  requestTimeoutMs: number;
  /** The headers must arrive within this; default 10 s. */
  headersTimeoutMs: number;
  /** An idle kept-alive connection is closed after this; default 5 s. */
  keepAliveTimeoutMs: number;
  /** Requests one kept-alive connection may carry; default 1000. */
  maxRequestsPerSocket: number;
  /** Open connections at once; more are refused until some close; default 4096. */
  maxConnections: number;
  /** Sign-in attempts per address per minute; default 10. */
  loginPerMinute: number;
  /** Event posts per address per minute; default 600. */
  eventsPerMinute: number;
}

/** Sign-in attempts one address may make per minute, unless the front door's limits say otherwise. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export const DEFAULT_FRONT_DOOR_LIMITS: FrontDoorLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerSocket: 1_000,
  maxConnections: 4_096,
  loginPerMinute: LOGIN_ATTEMPTS_PER_MINUTE,
  eventsPerMinute: 600,
};

/** Fastify's server options for these limits (Node checks the timeouts every second instead of every 30 s). */
export function serverOptions(limits: FrontDoorLimits): Partial<FastifyServerOptions> {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    // A socket with no bytes at all for this long goes too.
    connectionTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
  } as Partial<FastifyServerOptions>;
}

/** The connection cap and the rate limiter; routes opt in with `config.rateLimit` (see rateLimit()). */
export function applyFrontDoorLimits(app: FastifyInstance, limits: FrontDoorLimits): void {
  app.server.maxConnections = limits.maxConnections;
  void app.register(fastifyRateLimit, { global: false });
}

/** A route's rate limit: `max` per minute per client address (the proxy's X-Forwarded-For when trusted). */
export function rateLimit(max: number) {
  return { rateLimit: { max, timeWindow: 60_000 } };
}
