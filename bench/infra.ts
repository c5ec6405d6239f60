// What the benchmark runs against: a `temporal server start-dev` child process, the worker in a child
// process of its own (so its RSS and CPU are its own), and a registry that kills every child on exit,
// error or Ctrl-C.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { resolveTemporalBinary } from '../src/temporal-binaries';
import { diffCounts, parseActionMetric, type ActionCounts } from './actions';

const children = new Set<ChildProcess>();

/** Kills every child still alive (SIGKILL after a grace period). Idempotent. */
export async function killChildren(graceMs = 3000): Promise<void> {
  const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of alive) c.kill('SIGTERM');
  await Promise.race([Promise.all(alive.map((c) => exited(c))), sleep(graceMs)]);
  for (const c of alive) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

// A synchronous last resort: if the runner dies without its cleanup, no dev server is left behind.
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface DevServer {
  address: string;
  pid: number;
  client: Client;
  connection: Connection;
  /** The server's own `action` counter for namespace `default`, by action_type (cumulative). */
  actionMetric(): Promise<ActionCounts>;
  stop(): Promise<void>;
}

/** In-memory dev server on free loopback ports, flags as in test/helpers/temporal.ts. */
export async function startDevServer(logFile: string): Promise<DevServer> {
  const binary = await resolveTemporalBinary('cli');
  if (!binary) throw new Error('no temporal CLI found (see src/temporal-binaries.ts; try `npm test` once)');
  const port = await freePort();
  const metricsPort = await freePort();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(await freePort()),
    '--metrics-port',
    String(metricsPort),
    '--headless',
    '--log-level',
    'error',
    // One task-queue partition: polls and tasks always meet, no forwarding delays between partitions.
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
  ];
  const fd = openSync(logFile, 'a');
  const child = track(spawn(binary.path, args, { stdio: ['ignore', fd, fd] }));
  closeSync(fd);
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dev server exited with ${child.exitCode}; see ${logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      const client = new Client({ connection, namespace: 'default' });
      return {
        address,
        pid: child.pid!,
        client,
        connection,
        actionMetric: async () => {
          const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
          if (!res.ok) throw new Error(`dev server metrics: HTTP ${res.status}`);
          return parseActionMetric(await res.text(), 'default');
        },
        stop: async () => {
          await connection.close().catch(() => undefined);
          child.kill('SIGTERM');
          await Promise.race([exited(child), sleep(5000)]);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`dev server not ready after 60 s: ${(err as Error).message}`);
      await sleep(250);
    }
  }
}

/**
 * The server's `action` counter once it has stopped moving. The server reports its metrics in batches
 * (about once a second), so a read right after the last workflow closed can miss the last Actions.
 */
export async function settledActionMetric(server: DevServer, maxMs = 15_000): Promise<ActionCounts> {
  const deadline = Date.now() + maxMs;
  let last = await server.actionMetric();
  for (;;) {
    await sleep(1500);
    const next = await server.actionMetric();
    if (Object.keys(diffCounts(next, last)).length === 0 || Date.now() > deadline) return next;
    last = next;
  }
}

/**
 * Bundles the workflows once per run, so each worker child starts in seconds instead of re-bundling: the
 * product's, plus the bench-only wait designs (bench/workflows.ts).
 */
export async function bundleWorkflows(outDir: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const file = path.join(outDir, 'workflow-bundle.js');
  await writeFile(file, code);
  return file;
}

export interface WorkerUsage {
  /** Peak resident set size (VmHWM), MiB. */
  peakRssMiB: number;
  /** user + system CPU seconds since the worker was ready. */
  cpuSeconds: number;
  /** user + system CPU seconds including start-up. */
  cpuSecondsTotal: number;
}

export interface WorkerProcess {
  pid: number;
  /** Resets the CPU baseline (call just before the load starts). */
  markStart(): void;
  usage(): WorkerUsage;
  stop(): Promise<void>;
}

export interface WorkerSettings {
  temporalAddress: string;
  taskQueue: string;
  opsApiUrl: string;
  opsApiKey: string;
  secretsDir: string;
  bundlePath: string;
  logFile: string;
  maxActivities: number;
  rateLimit?: number;
  maxCachedWorkflows?: number;
  maxWorkflowTasks?: number;
  logLevel: string;
  /** Also serve the heartbeating wait design's activity (bench/wait-designs). */
  waitDesigns?: boolean;
  /** More of the worker's own variables (the fleet scenario's OPS_API_FLEET_*). */
  env?: Record<string, string>;
}

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts CPU time in these ticks.

function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function peakRssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** The product's worker (createOpsWorker) in a child process, configured through its own env variables. */
export async function startWorker(s: WorkerSettings): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: s.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: s.taskQueue,
    OPS_API_URL: s.opsApiUrl,
    OPS_API_KEY: s.opsApiKey,
    MAX_CONCURRENT_ACTIVITIES: String(s.maxActivities),
    SECRET_SINK: 'file',
    SECRET_SINK_DIR: s.secretsDir,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    BENCH_WORKFLOW_BUNDLE: s.bundlePath,
    ...(s.rateLimit ? { OPS_API_RATE_LIMIT: String(s.rateLimit) } : { OPS_API_RATE_LIMIT: '' }),
    // The emulator has no cap on async operations in flight: the bench measures the product, not the
    // real API's limit (the cloud dialect's default cap), unless asked to.
    OPS_API_MAX_CONCURRENT_MUTATIONS: process.env.OPS_API_MAX_CONCURRENT_MUTATIONS || '0',
    BENCH_MAX_CACHED_WORKFLOWS: s.maxCachedWorkflows ? String(s.maxCachedWorkflows) : '',
    BENCH_SDK_LOG_LEVEL: s.logLevel,
    BENCH_MAX_WORKFLOW_TASKS: s.maxWorkflowTasks ? String(s.maxWorkflowTasks) : '',
    BENCH_WAIT_DESIGNS: s.waitDesigns ? '1' : '',
    ...s.env,
  };
  const fd = openSync(s.logFile, 'a');
  // fork() runs `node --import tsx` directly: one process, so /proc/<pid> is the worker itself.
  const child = track(
    fork(path.join(__dirname, 'worker-process.ts'), [], {
      env,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', fd, fd, 'ipc'],
    }),
  );
  closeSync(fd);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready after 60 s; see ${s.logFile}`)),
      60_000,
    );
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready; see ${s.logFile}`));
    });
  });
  const pid = child.pid!;
  let cpuAtStart = cpuSecondsOf(pid);
  let last: WorkerUsage | undefined;
  const usage = (): WorkerUsage => {
    if (child.exitCode !== null || child.signalCode !== null) {
      if (last) return last;
      throw new Error('worker has exited');
    }
    const total = cpuSecondsOf(pid);
    last = {
      peakRssMiB: peakRssMiBOf(pid),
      cpuSeconds: Math.round((total - cpuAtStart) * 100) / 100,
      cpuSecondsTotal: Math.round(total * 100) / 100,
    };
    return last;
  };
  return {
    pid,
    markStart: () => {
      cpuAtStart = cpuSecondsOf(pid);
    },
    usage,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited(child), sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
