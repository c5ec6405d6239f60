// Runs a starter CLI as a child process, as a user would, against a given Temporal address; or its `main` in-process
// against the test's client.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { StarterIO } from '../../src/starters/cli';

export const repoRoot = path.resolve(__dirname, '../..');

export interface StarterRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** process.env without anything that could point the child at another server, profile or codec. */
export function hermeticEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|PAYLOAD_CODEC_|TASK_QUEUE$)/.test(k)),
  );
  // A missing config file is fine for envconfig; a developer's ~/.config/temporalio profile is not.
  return { ...env, TEMPORAL_CONFIG_FILE: path.join(repoRoot, '.no-such-temporal.toml'), ...extra };
}

export function runStarter(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<StarterRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `src/starters/${name}.ts`, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The single JSON object a starter prints to stdout with --json. */
export function jsonOut(
  run: Pick<StarterRun, 'stdout' | 'stderr'>,
): Record<string, unknown> & { result?: Record<string, unknown> } {
  const lines = run.stdout.trim().split('\n');
  if (lines.length !== 1)
    throw new Error(`expected one JSON line on stdout, got:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

/** What a starter's `main` gets from the test when run in-process. */
export interface InProcessIO {
  /** The Temporal client its `connect` hands out (each call is reported to onConnect). */
  client: Client;
  env: Record<string, string>;
  onConnect?: () => void;
  /** Called with everything printed to stdout so far, after each write (to wait for a line while it runs). */
  onStdout?: (stdout: string) => void;
}

/** Runs a starter's `main` in-process with the test's client, its output captured; progress polls every 100 ms. */
export async function runMain<Code extends number>(
  main: (argv: readonly string[], io?: StarterIO) => Promise<Code>,
  argv: readonly string[],
  io: InProcessIO,
): Promise<{ code: Code; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: {
      write: (s: string) => {
        stdout += s;
        io.onStdout?.(stdout);
        return true;
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    env: io.env,
    connect: async () => {
      io.onConnect?.();
      return { client: io.client, namespace: 'default', address: 'test', close: async () => undefined };
    },
    pollIntervalMs: 100,
  });
  return { code, stdout, stderr };
}
