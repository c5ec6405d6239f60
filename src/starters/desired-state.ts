// What the desired-state commands (plan, apply, export, schedule-reconcile) share: the file flag, reading the
// file with every problem reported before anything connects, starting the run, and following it.
import type { Workflow } from '@temporalio/common';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ConnectedClient, StartOrAttachOptions, StartOrAttachResult } from '../client';
import { resultWithStatus } from '../client/status-poller';
import { ConfigError } from '../config';
import { DesiredStateError, loadDesiredState, type LoadedState } from '../desired-state/load';
import type { DesiredStateInput } from '../desired-state/schema';
import type { ReconcileInput, ReconcileStatus } from '../workflows/reconcile';
import { COMMON_FLAGS, ExitCode, loadClientModule, type FlagSpecs, type StarterIO } from './cli';

/** The shared flags of these commands: they always wait, and the workflow id follows from the file. */
export const DESIRED_STATE_COMMON_FLAGS = {
  json: COMMON_FLAGS.json,
  'task-queue': COMMON_FLAGS['task-queue'],
  help: COMMON_FLAGS.help,
} as const satisfies FlagSpecs;

export const fileFlag = {
  type: 'string',
  short: 'f',
  valueName: 'FILE',
  description: 'the desired-state file (YAML; see examples/cloud-ops.yaml)',
} as const;

export const defaultIO = (): StarterIO => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

/** How a command talks: `say` is a prefixed note on stderr, `show` the human output, `emit` the --json one. */
export interface Output {
  json: boolean;
  say(line: string): void;
  /** Human-readable output: stdout, or stderr with --json (stdout then carries one JSON object). */
  show(text: string): void;
  emit(doc: Record<string, unknown>): void;
}

export function output(name: string, argv: readonly string[], io: StarterIO): Output {
  const json = argv.includes('--json');
  return {
    json,
    say: (line) => io.stderr.write(`${name}: ${line}\n`),
    show: (text) => (json ? io.stderr : io.stdout).write(`${text}\n`),
    emit: (doc) => {
      if (json) io.stdout.write(`${JSON.stringify(doc)}\n`);
    },
  };
}

/** Reports flag problems as every starter does (the exit code is the command's). */
export function reportUsage(
  out: Output,
  io: StarterIO,
  problems: Array<{ flag: string; message: string }>,
): void {
  for (const p of problems) out.say(p.flag ? `${p.flag}: ${p.message}` : p.message);
  io.stderr.write('Run with --help for usage.\n');
  out.emit({ ok: false, error: { kind: 'usage', problems } });
}

/** The file, or undefined after reporting every problem in it (path and line): nothing has connected yet. */
export async function loadOrReport(file: string, out: Output): Promise<LoadedState | undefined> {
  try {
    return await loadDesiredState(file);
  } catch (err) {
    if (!(err instanceof DesiredStateError)) throw err;
    out.say(err.message);
    out.emit({ ok: false, file, error: { kind: 'file', message: err.message, problems: err.problems } });
    return undefined;
  }
}

/** The file's state as the workflow's input: without `$schema`, which only serves editors. */
export function desiredInput(loaded: LoadedState): DesiredStateInput {
  const { $schema: _editorsOnly, ...state } = loaded.state;
  return state;
}

export function reconcileInput(
  loaded: LoadedState,
  mode: ReconcileInput['mode'],
  extra: Omit<ReconcileInput, 'name' | 'desired' | 'mode'> = {},
): ReconcileInput {
  return { name: loaded.name, desired: desiredInput(loaded), mode, ...extra };
}

/** A client, or the exit code after saying why not (configuration: `usage`; unreachable: 3). */
export async function connectOrReport(
  io: StarterIO,
  out: Output,
  usage: ExitCode = ExitCode.Usage,
): Promise<ConnectedClient | ExitCode> {
  try {
    return await (io.connect ?? loadClientModule().connectClient)({ env: io.env });
  } catch (err) {
    const config = err instanceof ConfigError;
    out.say((err as Error).message);
    out.emit({ ok: false, error: { kind: config ? 'config' : 'temporal', message: (err as Error).message } });
    return config ? usage : ExitCode.Temporal;
  }
}

/**
 * Starts the run, or joins a running one started with the same input. A running one with other input (a
 * plan of another version of the file, say) is either waited out and the start tried again (`waitOut`:
 * reads, which take seconds), or returned as it is for the caller to refuse.
 */
export async function startOrJoin<W extends Workflow>(
  client: Client,
  workflow: W,
  options: StartOrAttachOptions<W>,
  out: Output,
  waitOut: boolean,
): Promise<StartOrAttachResult<W>> {
  const { startOrAttach } = loadClientModule();
  for (let attempt = 1; ; attempt++) {
    const outcome = await startOrAttach(client, workflow, options);
    if (outcome.started || outcome.existing?.sameArgs !== false || !waitOut || attempt >= 5) return outcome;
    out.say(
      `${options.workflowId} is running for another request (run ${outcome.runId}); waiting for it to finish, then starting this one`,
    );
    await outcome.handle.result().catch(() => undefined);
  }
}

/** How long without an answer to the status query before saying that no worker seems to be there. */
const NO_WORKER_HINT_MS = 5_000;

/**
 * Awaits the run's result while polling its status query, handing each answer to `onStatus`. Query
 * failures are expected (no worker yet, run closed) and ignored, but a run nobody answers for is named with
 * the task queue that has no worker.
 */
export async function follow<T>(
  handle: WorkflowHandle,
  onStatus: (status: ReconcileStatus) => void,
  o: { intervalMs: number; taskQueue: string; out: Output; client: Client },
): Promise<T> {
  const t0 = Date.now();
  let answered = false;
  let hinted = false;
  return resultWithStatus<T, ReconcileStatus>(handle, {
    client: o.client,
    query: 'status',
    intervalMs: o.intervalMs,
    onStatus(status) {
      answered = true;
      onStatus(status);
    },
    onError() {
      if (!answered && !hinted && Date.now() - t0 >= NO_WORKER_HINT_MS) {
        hinted = true;
        o.out.say(
          `no worker has picked ${handle.workflowId} up yet: is a worker polling task queue ${o.taskQueue} ` +
            '(`npm start` or `npm run worker`)? Still waiting.',
        );
      }
    },
  });
}

/** Quotes an argument for a copy-paste shell command when it needs it. */
export function shellArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
