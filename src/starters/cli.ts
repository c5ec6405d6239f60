// The shell every command shares: exit codes, output (notes on stderr, one JSON object with --json), connecting to
// Temporal, and how a failed run or an unreachable Temporal is reported. No stack traces.
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
// Types only: @temporalio/client (gRPC) takes about a second to load, so --help and flag errors skip it.
import type { Client, WorkflowExecutionStatusName, WorkflowFailedError } from '@temporalio/client';
import type { ConnectClientOptions, ConnectedClient } from '../client';
import { ConfigError } from '../config';
import { DEFAULT_TASK_QUEUE } from '../shared/workflow-ids';
import type { FlagProblem } from './flags';

export const ExitCode = {
  Ok: 0,
  /** The workflow failed, was terminated, cancelled or timed out. */
  WorkflowFailed: 1,
  /**
   * Bad flags or configuration (nothing was sent anywhere), or the workflow id is held by a run with
   * different input (nothing was started).
   */
  Usage: 2,
  /** Temporal could not be reached or refused a call. */
  Temporal: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface StarterIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  /** Default connectClient; tests and embedders may hand in their own client. */
  connect?: (options: ConnectClientOptions) => Promise<ConnectedClient>;
  /** Progress poll interval; default 1000 ms. */
  pollIntervalMs?: number;
}

export const defaultIO = (): StarterIO => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

/** The task queue of the worker: --task-queue, else $TASK_QUEUE, else the default. */
export function taskQueueOf(values: { 'task-queue'?: string | undefined }, env: StarterIO['env']): string {
  return values['task-queue'] ?? (env.TASK_QUEUE || DEFAULT_TASK_QUEUE);
}

/** How a command talks. */
export interface Output {
  json: boolean;
  /** A note on stderr, prefixed with the command's name. */
  say(line: string): void;
  /** A line on stderr as it is (a failure's causes). */
  aside(line: string): void;
  /** Human-readable output: stdout, or stderr with --json (stdout then carries one JSON object). */
  show(text: string): void;
  /** The JSON object of --json (nothing without it). */
  emit(doc: Record<string, unknown>): void;
  /** The outcome on stdout: `doc` with --json, `text` without. */
  report(doc: Record<string, unknown>, text: string): void;
}

export function output(name: string, argv: readonly string[], io: StarterIO): Output {
  const json = argv.includes('--json');
  const emit = (doc: Record<string, unknown>) => {
    if (json) io.stdout.write(`${JSON.stringify(doc)}\n`);
  };
  return {
    json,
    say: (line) => io.stderr.write(`${name}: ${line}\n`),
    aside: (line) => io.stderr.write(`${line}\n`),
    show: (text) => (json ? io.stderr : io.stdout).write(`${text}\n`),
    emit,
    report: (doc, text) => (json ? emit(doc) : io.stdout.write(`${text}\n`)),
  };
}

/** Flag problems, each on its line, and the JSON error (the exit code is the command's). */
export function reportUsage(out: Output, problems: FlagProblem[], hint = true): void {
  for (const p of problems) out.say(p.flag ? `${p.flag}: ${p.message}` : p.message);
  if (hint) out.aside('Run with --help for usage.');
  const message = problems.map((p) => (p.flag ? `${p.flag}: ${p.message}` : p.message)).join('\n');
  out.emit({ ok: false, error: { kind: 'usage', message, problems } });
}

/** src/client, loaded on first use: see the type-only imports above. (CommonJS: this package is not ESM.) */
export function loadClientModule(): typeof import('../client') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../client');
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

/** A failure flattened for output: the workflow's own failure first, then its causes. */
export interface FailureLink {
  message: string;
  type?: string;
}

/** The cause chain of a failed workflow, without the SDK's generic "Workflow execution failed" wrapper. */
export function failureChain(err: unknown): FailureLink[] {
  const chain: FailureLink[] = [];
  let e: unknown = isWorkflowFailedError(err) ? err.cause : err;
  for (let depth = 0; e instanceof Error && depth < 20; depth++, e = e.cause) {
    chain.push(describeFailure(e));
  }
  return chain;
}

function describeFailure(e: Error): FailureLink {
  if (e instanceof ApplicationFailure) return { message: e.message, ...(e.type ? { type: e.type } : {}) };
  if (e instanceof ActivityFailure)
    return { message: `activity ${e.activityType} failed: ${e.message}`, type: 'ActivityFailure' };
  if (e instanceof TimeoutFailure)
    return { message: `timed out (${e.timeoutType}): ${e.message}`, type: 'TimeoutFailure' };
  if (e instanceof TerminatedFailure)
    return { message: `terminated: ${e.message}`, type: 'TerminatedFailure' };
  if (e instanceof CancelledFailure) return { message: `cancelled: ${e.message}`, type: 'CancelledFailure' };
  return { message: e.message, type: e.name };
}

// By name, so that this module needs @temporalio/client only once it talks to Temporal.
export function isWorkflowFailedError(err: unknown): err is WorkflowFailedError {
  return err instanceof Error && err.name === 'WorkflowFailedError';
}

export function failedStatus(err: WorkflowFailedError): WorkflowExecutionStatusName {
  if (err.cause instanceof TerminatedFailure) return 'TERMINATED';
  if (err.cause instanceof CancelledFailure) return 'CANCELLED';
  if (err.cause instanceof TimeoutFailure) return 'TIMED_OUT';
  return 'FAILED';
}

/** A run that failed: `heading: <its message>`, its causes, and the JSON error (`doc` adds ids). */
export function reportWorkflowFailure(
  out: Output,
  err: unknown,
  heading: string,
  doc: Record<string, unknown>,
): void {
  const [head, ...causes] = failureChain(err);
  const message = head?.message ?? (err instanceof Error ? err.message : String(err));
  out.say(`${heading}: ${message}`);
  for (const c of causes) out.aside(`  caused by${c.type ? ` ${c.type}` : ''}: ${c.message}`);
  out.emit({
    ok: false,
    ...doc,
    error: { kind: 'workflow', message, ...(head?.type ? { type: head.type } : {}), causes },
  });
}

/** A Temporal call that failed (unreachable, refused); `note` says what keeps running. */
export function reportTemporalFailure(
  out: Output,
  err: unknown,
  doc: Record<string, unknown>,
  note = '',
): void {
  const message = err instanceof Error ? err.message : String(err);
  out.say(`Temporal call failed: ${message}${note}`);
  out.emit({ ok: false, ...doc, error: { kind: 'temporal', message } });
}

/** A failed run (exit `workflowExit`) or a failed Temporal call (exit 3), reported; `note` says what keeps running. */
export function reportFailure(
  out: Output,
  err: unknown,
  heading: string,
  doc: Record<string, unknown>,
  workflowExit: ExitCode = ExitCode.WorkflowFailed,
  note = '',
): ExitCode {
  if (isWorkflowFailedError(err)) {
    reportWorkflowFailure(out, err, heading, { ...doc, status: failedStatus(err) });
    return workflowExit;
  }
  reportTemporalFailure(out, err, doc, note);
  return ExitCode.Temporal;
}

/** Connects, runs `use` with the client and closes it; or the exit code after saying why it could not connect. */
export async function withClient(
  io: StarterIO,
  out: Output,
  use: (client: Client) => Promise<ExitCode>,
  usage: ExitCode = ExitCode.Usage,
): Promise<ExitCode> {
  const connected = await connectOrReport(io, out, usage);
  if (typeof connected === 'number') return connected;
  try {
    return await use(connected.client);
  } finally {
    await connected.close().catch(() => undefined);
  }
}

/** Process entry point: runs `main` and exits with its code; an unexpected throw is exit 70. */
export function exitWith(name: string, main: () => Promise<ExitCode>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      // A bug in the command itself, not a Temporal or workflow problem.
      process.stderr.write(`${name}: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(70);
    },
  );
}
