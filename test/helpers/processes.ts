// `npm run <script>` as a user runs it, and the process tree under it (Linux /proc), to check that signals sent
// to npm stop everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleFileOnce } from './temporal';

export const repoRoot = path.resolve(__dirname, '../..');

export interface NpmRun {
  child: ChildProcess;
  /** npm's pid (also its process group's id: npm runs as the leader of a new group, as in a terminal). */
  pid: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const npmRuns: NpmRun[] = [];

/**
 * Spawns `npm run <script> -- <args>` in its own process group, stdout and stderr collected together. Its environment
 * is this process's PATH and HOME plus `env`: nothing else of the test's leaks in.
 */
export function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv = {}): NpmRun {
  const child = spawn('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const run = { child, pid: child.pid!, output: () => output, exited };
  npmRuns.push(run);
  return run;
}

/** Resolves once `pattern` shows up in the output; rejects if the process exits first or after `timeoutMs`. */
export async function waitForOutput(
  run: NpmRun,
  pattern: RegExp,
  timeoutMs = 90_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = run.output().match(pattern);
    if (match) return match;
    if (run.child.exitCode !== null || run.child.signalCode !== null)
      throw new Error(`npm exited before printing ${pattern}:\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs / 1000} s:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** npm's exit, or 'still running' after `ms` (so a signal that went nowhere fails fast, not at jest's timeout). */
export function exitWithin(
  run: NpmRun,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>(
    (resolve) => (timer = setTimeout(() => resolve('still running'), ms)),
  );
  return Promise.race([run.exited, late]).finally(() => clearTimeout(timer));
}

/** Every process below `pid` (children, their children, ...), including detached ones. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Clean-up after a failed test: SIGKILL npm and everything below it (detached children included) while npm
 * still runs (once it has exited, its pid may belong to someone else).
 */
export function killTree(run: NpmRun): void {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  for (const pid of [...descendants(run.pid), run.pid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to `ms` for every pid to be gone; returns "pid command line" of those still alive. */
export async function survivors(pids: number[], ms = 5_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive).map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
    } catch {
      return `${pid}`;
    }
  });
}

const workerProcesses: ChildProcess[] = [];

/** The run's workflow bundle for a process that starts a worker (`WORKFLOW_BUNDLE`), so it does not bundle anew. */
export async function prebuilt(): Promise<{ WORKFLOW_BUNDLE?: string }> {
  const file = await bundleFileOnce(path.join(repoRoot, 'src/workflows'));
  return file ? { WORKFLOW_BUNDLE: file } : {};
}

/** `tsx src/worker.ts` as its own process (JSON logs at info; PATH and `env` only); resolves once it polls. */
export async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...(await prebuilt()),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workerProcesses.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"worker started"')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before starting:\n${output}`)));
  });
  return child;
}

/** SIGKILLs what this file started (npm runs with their trees, worker processes) that still runs: after a failure. */
export function killLeftovers(): void {
  for (const run of npmRuns) killTree(run);
  for (const child of workerProcesses)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** SIGKILLs `child` and waits until it is gone. */
export async function sigkill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
