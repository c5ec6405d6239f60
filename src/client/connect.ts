import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { dataConverterFromEnv } from '../codec';
import { ConfigError } from '../config';

type Env = Record<string, string | undefined>;

export interface ConnectClientOptions {
  /** Default process.env. */
  env?: Env;
  /** envconfig profile; default TEMPORAL_PROFILE or "default". */
  profile?: string;
  /** How long to wait for the server before giving up; default 10 s (the SDK's default). */
  connectTimeoutMs?: number;
  /** Instead of TEMPORAL_ADDRESS (the stack's own dev server, say). */
  address?: string;
}

export interface ConnectedClient {
  client: Client;
  namespace: string;
  /** host:port actually dialled, for messages. */
  address: string;
  close(): Promise<void>;
}

/** The server could not be reached (or refused us) while connecting. */
export class TemporalConnectError extends Error {
  override readonly name = 'TemporalConnectError';
  constructor(
    readonly address: string,
    readonly timeoutMs: number,
    cause: unknown,
    message = `could not connect to Temporal at ${address} within ${timeoutMs / 1000} s: ${messageOf(cause)}`,
  ) {
    super(message, { cause });
  }
}

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/**
 * A client configured the way the worker is: @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE / config file) plus the payload codec from
 * PAYLOAD_CODEC_* — without the same codec the worker could not read what we start, nor we its results.
 *
 * Throws ConfigError for bad configuration (nothing was dialled) and TemporalConnectError when the
 * server cannot be reached.
 */
export async function connectClient(options: ConnectClientOptions = {}): Promise<ConnectedClient> {
  const env = options.env ?? process.env;
  let config: ReturnType<typeof loadClientConnectConfig>;
  let dataConverter: ReturnType<typeof dataConverterFromEnv>;
  try {
    config = loadClientConnectConfig({
      overrideEnvVars: definedOnly(env),
      ...(options.profile ? { profile: options.profile } : {}),
    });
    dataConverter = dataConverterFromEnv(env);
  } catch (err) {
    throw new ConfigError(`invalid Temporal client configuration: ${messageOf(err)}`, { cause: err });
  }

  const { apiKey, tls, metadata } = config.connectionOptions;
  const address = options.address ?? config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const refused = await refusal(address);
  if (refused) {
    throw new TemporalConnectError(
      address,
      timeoutMs,
      refused,
      `could not connect to Temporal at ${address}: ${refused.code === 'ENOTFOUND' ? 'no such host' : 'nothing is listening there'} ` +
        `(${refused.code}); is Temporal running (\`npm start\`), and is TEMPORAL_ADDRESS right?`,
    );
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address,
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(tls !== undefined ? { tls } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
      connectTimeout: timeoutMs,
    });
  } catch (err) {
    throw new TemporalConnectError(address, timeoutMs, err);
  }
  const namespace = config.namespace ?? 'default';
  const client = new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}) });
  return { client, namespace, address, close: () => connection.close() };
}

/** The variables that are set, as envconfig's overrides want them. */
export function definedOnly(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // The SDK wraps gRPC errors as "Failed to connect to Temporal server" with the useful part in the cause.
  const cause =
    err.cause instanceof Error && err.cause.message !== err.message ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/** Answers that need no waiting: nothing listens, or no such host (or network). */
const DEFINITE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
/** How long the plain TCP look may take before gRPC is left to find out. */
const PROBE_MS = 1_000;

/**
 * Why nothing can be reached at `address`, found with a plain TCP connect before gRPC's: gRPC retries a refused
 * connection until its deadline, where the refusal is a definite answer at once. Anything else (it answers, it is
 * slow, a proxy stands between, an address gRPC resolves its own way) is left to gRPC.
 */
async function refusal(address: string): Promise<NodeJS.ErrnoException | undefined> {
  const proxied = ['grpc_proxy', 'https_proxy', 'http_proxy'].some(
    (v) => process.env[v] || process.env[v.toUpperCase()],
  );
  const hostPort = /^(?:\[([^\]]+)\]|([^:/\s]+)):(\d+)$/.exec(address);
  if (proxied || !hostPort) return undefined;
  const host = hostPort[1] ?? hostPort[2]!;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(hostPort[3]), timeout: PROBE_MS });
    const done = (err?: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(err && DEFINITE.has(err.code ?? '') ? err : undefined);
    };
    socket.once('connect', () => done());
    socket.once('timeout', () => done());
    socket.once('error', done);
  });
}
