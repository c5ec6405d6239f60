// The shared shell of every starter CLI: flags → validated workflow input → start or attach → optionally
// wait with progress. A starter only declares its flags and how they become the workflow's input; see
// provision-namespace.ts for a complete example.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  type QueryDefinition,
  type Workflow,
} from '@temporalio/common';
// Types only: @temporalio/client (gRPC) takes about a second to load, so --help and flag errors skip it.
import type {
  Client,
  WorkflowExecutionStatusName,
  WorkflowFailedError,
  WorkflowHandle,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import type { z } from 'zod';
import type { ConnectClientOptions, ConnectedClient, StartOrAttachOptions } from '../client';
import { resultWithStatus } from '../client/status-poller';
import { ConfigError } from '../config';
import { cliApproval, requesterOf, starterPolicy } from './approval';
import { validate, type InputProblem } from '../shared/validation';
import { DEFAULT_TASK_QUEUE, workflowIdProblem } from '../shared/workflow-ids';

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

// ---------------------------------------------------------------------------------------------------
// Flags

interface FlagBase {
  description: string;
  /** Dot path of the workflow-input field this flag sets; schema problems on it are reported as the flag. */
  field?: string;
  /** Left out of --help (test and tuning knobs). */
  hidden?: boolean;
  /** One-letter alias, e.g. `f` for `-f FILE` (as `-h` is for --help). */
  short?: string;
}
/** `--flag VALUE` or `--flag=VALUE`. */
export interface StringFlag extends FlagBase {
  type: 'string';
  valueName?: string;
}
/** Like a string flag, but the value must parse as a finite number. */
export interface NumberFlag extends FlagBase {
  type: 'number';
  valueName?: string;
}
/** `--flag`; giving it a value is an error. */
export interface BooleanFlag extends FlagBase {
  type: 'boolean';
}
/** `--flag` or `--flag=VALUE` (git style: the value must be attached with `=`). */
export interface OptionalValueFlag extends FlagBase {
  type: 'optional-value';
  valueName?: string;
}
/** `--flag PATH`: the file is read while parsing, so a missing file is a flag error (exit 2). */
export interface FileFlag extends FlagBase {
  type: 'file';
  valueName?: string;
}
export type FlagSpec = StringFlag | NumberFlag | BooleanFlag | OptionalValueFlag | FileFlag;
export type FlagSpecs = Record<string, FlagSpec>;

export interface FileValue {
  path: string;
  content: Buffer;
}
type FlagValue<S extends FlagSpec> = S extends BooleanFlag
  ? boolean
  : S extends NumberFlag
    ? number | undefined
    : S extends OptionalValueFlag
      ? string | true | undefined
      : S extends FileFlag
        ? FileValue | undefined
        : string | undefined;
/** Parsed values keyed by flag name (kebab-case, as typed); booleans default to false. */
export type FlagValues<F extends FlagSpecs> = { [K in keyof F]: FlagValue<F[K]> };

/** Flags every starter has. */
export const COMMON_FLAGS = {
  wait: { type: 'boolean', description: 'wait for the result, printing progress to stderr' },
  json: { type: 'boolean', description: 'print one JSON object to stdout (also on errors)' },
  'task-queue': {
    type: 'string',
    valueName: 'QUEUE',
    description: `task queue of the worker (default: $TASK_QUEUE or ${DEFAULT_TASK_QUEUE})`,
  },
  'workflow-id': {
    type: 'string',
    valueName: 'ID',
    description: 'override the business-key workflow id (e.g. to run again after a finished run)',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies FlagSpecs;

/** A problem with the command line; `flag` is `--name` (or empty for the command as a whole). */
export interface FlagProblem {
  flag: string;
  message: string;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(readonly problems: FlagProblem[]) {
    super(problems.map((p) => (p.flag ? `${p.flag}: ${p.message}` : p.message)).join('\n'));
  }
}

/** Handed to `buildInput` for checks that span flags; problems are reported together with schema ones. */
export interface BuildContext<F extends FlagSpecs> {
  values: FlagValues<F>;
  /** Records a problem for `flag` (name without dashes, or '' for the whole command). */
  problem(flag: keyof F & string, message: string): void;
  problem(flag: '', message: string): void;
  /** Records "needs --other" when `flag` is given without `other`. */
  requires(flag: keyof F & string, other: keyof F & string): void;
  /** Records "cannot be combined with --b" when both are given. */
  conflicts(a: keyof F & string, b: keyof F & string): void;
  /** Whether a flag was given (booleans: set). */
  has(flag: keyof F & string): boolean;
}

/**
 * Parses `argv` against `specs` (plus COMMON_FLAGS). Collects every problem instead of stopping at the
 * first, and never reads a flag's value from the next flag (`--name --wait` is "--name: needs a value").
 */
export async function parseFlags<F extends FlagSpecs, C extends FlagSpecs = typeof COMMON_FLAGS>(
  specs: F,
  argv: readonly string[],
  /** The shared flags this command has; default COMMON_FLAGS. */
  common: C = COMMON_FLAGS as unknown as C,
): Promise<{ values: FlagValues<F> & FlagValues<C>; problems: FlagProblem[] }> {
  const all: FlagSpecs = { ...common, ...specs };
  const problems: FlagProblem[] = [];
  const byShort = new Map<string, string>(
    Object.entries(all).flatMap(([name, s]) => (s.short ? [[`-${s.short}`, name] as const] : [])),
  );
  const takesValue = (name: string) => {
    const t = all[name]?.type;
    return t === 'string' || t === 'number' || t === 'file';
  };

  // parseArgs (strict: false) would happily take the next flag as a value; catch that first.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const name =
      arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : byShort.get(arg); /* `-f`, not `-fx` */
    if (name !== undefined && takesValue(name)) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) {
        problems.push({ flag: arg, message: `needs a value` });
        continue;
      }
    }
    args.push(arg);
  }

  const options = Object.fromEntries(
    Object.keys(all).map((name) => [
      name,
      {
        type: takesValue(name) ? ('string' as const) : ('boolean' as const),
        ...(all[name]!.short ? { short: all[name]!.short } : {}),
      },
    ]),
  );
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });

  const raw = new Map<string, string | true>();
  let previous: (typeof tokens)[number] | undefined;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      const hint =
        previous?.kind === 'option' && all[previous.name]?.type === 'optional-value' && !previous.inlineValue
          ? ` (to give ${previous.rawName} a value, write ${previous.rawName}=${token.value})`
          : '';
      problems.push({ flag: '', message: `unexpected argument "${token.value}"${hint}` });
    } else if (token.kind === 'option') {
      const spec = all[token.name];
      if (!spec) {
        problems.push({ flag: token.rawName, message: 'unknown flag' });
      } else if (spec.type === 'boolean' && token.value !== undefined) {
        problems.push({ flag: token.rawName, message: 'takes no value' });
      } else {
        raw.set(token.name, token.value ?? true);
      }
    }
    previous = token;
  }

  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(all)) {
    const given = raw.get(name);
    const flag = `--${name}`;
    switch (spec.type) {
      case 'boolean':
        values[name] = given === true;
        break;
      case 'optional-value':
        values[name] = given;
        break;
      case 'string':
        values[name] = given === true ? undefined : given;
        break;
      case 'number': {
        if (typeof given !== 'string') break;
        const n = given.trim() === '' ? NaN : Number(given);
        if (Number.isFinite(n)) values[name] = n;
        else problems.push({ flag, message: `must be a number, got "${given}"` });
        break;
      }
      case 'file': {
        if (typeof given !== 'string') break;
        try {
          values[name] = { path: given, content: await readFile(given) } satisfies FileValue;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          problems.push({ flag, message: `cannot read ${given}${code ? ` (${code})` : ''}` });
        }
        break;
      }
    }
  }
  return { values: values as FlagValues<F> & FlagValues<C>, problems };
}

/** The flag that sets `field` (exact, else the closest enclosing one, else the first one inside it). */
export function flagForField(specs: FlagSpecs, field: string): string | undefined {
  const entries = Object.entries(specs).filter(([, s]) => s.field !== undefined);
  const exact = entries.find(([, s]) => s.field === field);
  if (exact) return `--${exact[0]}`;
  const enclosing = entries
    .filter(([, s]) => field.startsWith(`${s.field}.`))
    .sort(([, a], [, b]) => b.field!.length - a.field!.length)[0];
  if (enclosing) return `--${enclosing[0]}`;
  const inside = field ? entries.find(([, s]) => s.field!.startsWith(`${field}.`)) : undefined;
  return inside ? `--${inside[0]}` : undefined;
}

function toFlagProblems(specs: FlagSpecs, problems: InputProblem[]): FlagProblem[] {
  return problems.map((p) => {
    const flag = flagForField(specs, p.field);
    if (flag) return { flag, message: p.message };
    return { flag: '', message: p.field ? `${p.field}: ${p.message}` : p.message };
  });
}

export interface HelpDefinition extends Pick<AnyStarter, 'name' | 'summary' | 'flags' | 'examples'> {
  /** The shared flags this command has; default COMMON_FLAGS. */
  commonFlags?: FlagSpecs;
  /** The exit-code line, for commands whose codes differ from the starters'. */
  exitCodes?: string;
}

export function helpText(def: HelpDefinition): string {
  const show = (specs: FlagSpecs) =>
    Object.entries(specs)
      .filter(([, s]) => !s.hidden)
      .map(([name, s]) => {
        const value = 'valueName' in s && s.valueName ? s.valueName : 'VALUE';
        const long =
          s.type === 'boolean'
            ? `--${name}`
            : s.type === 'optional-value'
              ? `--${name}[=${value}]`
              : `--${name} ${value}`;
        return [s.short ? `-${s.short}, ${long}` : long, s.description] as const;
      });
  const rows = [...show(def.flags), ...show(def.commonFlags ?? COMMON_FLAGS)];
  const width = Math.max(...rows.map(([u]) => u.length)) + 2;
  const lines = [
    `Usage: npm run ${def.name} -- [flags]`,
    '',
    def.summary,
    '',
    'Flags:',
    ...rows.map(([u, d]) => `  ${u.padEnd(width)}${d}`),
    '',
    'Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,',
    'TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE; payload encryption: PAYLOAD_CODEC_KEY (as the worker).',
    '',
    def.exitCodes ??
      'Exit codes: 0 success, 1 workflow failed, 2 bad flags or configuration, 3 could not reach Temporal.',
  ];
  if (def.examples?.length) lines.push('', 'Examples:', ...def.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/;

/** The Ops API takes CA certificates as base64 of the PEM text; undefined when the file holds no PEM. */
export function caFileToBase64(file: FileValue): string | undefined {
  return PEM_BLOCK.test(file.content.toString('utf8')) ? file.content.toString('base64') : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Starter definitions

/** What every workflow's `status` query returns at least. */
export interface StepStatus {
  step: string;
  lastError?: string;
}

type WorkflowInput<W extends Workflow> = Parameters<W>[0];
type WorkflowResult<W extends Workflow> = Awaited<ReturnType<W>>;

export interface StarterDefinition<W extends Workflow, F extends FlagSpecs> {
  /** Command and npm script name, e.g. `provision-namespace`. */
  name: string;
  /** One or two sentences for --help. */
  summary: string;
  examples?: string[];
  /** The starter's own flags; COMMON_FLAGS are added. Keys are the flag names without dashes. */
  flags: F;
  workflow: W;
  statusQuery: QueryDefinition<StepStatus>;
  /** The shared schema the workflow validates with; run here too so bad flags never start anything. */
  schema: z.ZodType;
  /** Flag values → workflow input. Report cross-flag problems through `ctx`; schema problems come after. */
  buildInput(values: FlagValues<F>, ctx: BuildContext<F>): WorkflowInput<W>;
  workflowId(input: WorkflowInput<W>): string;
  /** The input field the business-key id is made from, named (as its flag) when the id is unusable. */
  workflowIdField?(input: WorkflowInput<W>): string;
  /**
   * Default REJECT_DUPLICATE: the id is a once-per-key request, so a finished run is reported, not
   * re-run. Recurring keys (updates, rotations, re-runnable jobs) pass ALLOW_DUPLICATE: attach only while
   * running; provisioning passes ALLOW_DUPLICATE_FAILED_ONLY so a failed request can be retried.
   */
  workflowIdReusePolicy?: WorkflowIdReusePolicy;
  /** One human line for a successful result (shown above the JSON result without --json). */
  summarize?(result: WorkflowResult<W>): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStarter = StarterDefinition<any, FlagSpecs>;

/** Identity function that gives `buildInput` and `summarize` their types from `workflow` and `flags`. */
export function defineStarter<W extends Workflow, F extends FlagSpecs>(
  def: StarterDefinition<W, F>,
): StarterDefinition<W, F> {
  return def;
}

export interface PreparedStart<W extends Workflow> {
  /** With the approval policy's answer, for the workflows it covers. */
  input: WorkflowInput<W>;
  /** The request as given (without the approval): the same request by someone else joins the run. */
  sameRequest: unknown[];
  workflowId: string;
  taskQueue: string;
  wait: boolean;
  json: boolean;
}

/**
 * Flags → the start request, or UsageError listing every problem (named by flag). Touches nothing but
 * files named by file flags. `env` supplies TASK_QUEUE.
 */
export async function prepareStart<W extends Workflow, F extends FlagSpecs>(
  def: StarterDefinition<W, F>,
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<PreparedStart<W>> {
  const { values, problems: own } = await parseFlags(def.flags, argv);
  const has = (flag: string) => {
    const v = (values as Record<string, unknown>)[flag];
    return v !== undefined && v !== false;
  };
  const ctx: BuildContext<F> = {
    values,
    problem: (flag: string, message: string) => own.push({ flag: flag ? `--${flag}` : '', message }),
    requires: (flag, other) => {
      if (has(flag) && !has(other)) own.push({ flag: `--${flag}`, message: `needs --${other}` });
    },
    conflicts: (a, b) => {
      if (has(a) && has(b)) own.push({ flag: `--${a}`, message: `cannot be combined with --${b}` });
    },
    has,
  };
  for (const flag of ['workflow-id', 'task-queue'] as const) {
    if (values[flag] === '') own.push({ flag: `--${flag}`, message: 'must not be empty' });
  }
  const input = def.buildInput(values, ctx);
  const checked = validate(def.schema, input);
  // One message per flag: parse problems and the starter's own wording (which speaks in flags) win over
  // the schema's, which would only add "is required" for a flag whose value could not be parsed.
  const reported = new Set(own.map((p) => p.flag));
  const fromSchema = checked.ok ? [] : toFlagProblems(def.flags, checked.problems);
  const all = [...own, ...fromSchema.filter((p) => !reported.has(p.flag))];
  if (all.length) throw new UsageError(all);

  const approval = approvalOf(def, input, values, env);
  const workflowId = values['workflow-id'] ?? def.workflowId(input);
  const idProblem = workflowIdProblem(workflowId);
  if (idProblem) {
    const field = values['workflow-id'] === undefined ? def.workflowIdField?.(input) : undefined;
    const flag =
      values['workflow-id'] !== undefined ? '--workflow-id' : field && flagForField(def.flags, field);
    throw new UsageError([{ flag: flag || '', message: flag ? idProblem : `the workflow id ${idProblem}` }]);
  }
  return {
    input: approval ? { ...input, approval } : input,
    sameRequest: [input],
    workflowId,
    taskQueue: values['task-queue'] ?? (env.TASK_QUEUE || DEFAULT_TASK_QUEUE),
    wait: values.wait,
    json: values.json,
  };
}

/** The policy's answer for starters that take `--requested-by` (the runs it covers); a bad policy is a usage error. */
function approvalOf<W extends Workflow, F extends FlagSpecs>(
  def: StarterDefinition<W, F>,
  input: WorkflowInput<W>,
  values: Record<string, unknown>,
  env: Record<string, string | undefined>,
) {
  if (!Object.hasOwn(def.flags, 'requested-by')) return undefined;
  try {
    const requestedBy = requesterOf(values['requested-by'] as string | undefined, env);
    return cliApproval(starterPolicy(env), def.workflow.name, input as Record<string, unknown>, requestedBy);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError([{ flag: '', message: err.message }]);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------
// Running

export interface StarterIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  /** Default connectClient; tests and embedders may hand in their own client. */
  connect?: (options: ConnectClientOptions) => Promise<ConnectedClient>;
  /** Progress poll interval; default 1000 ms. */
  pollIntervalMs?: number;
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

/** src/client, loaded on first use: see the type-only imports above. (CommonJS: this package is not ESM.) */
export function loadClientModule(): typeof import('../client') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../client');
}

// By name, so that this module needs @temporalio/client only once it talks to Temporal.
function isWorkflowFailedError(err: unknown): err is WorkflowFailedError {
  return err instanceof Error && err.name === 'WorkflowFailedError';
}

function failedStatus(err: WorkflowFailedError): WorkflowExecutionStatusName {
  if (err.cause instanceof TerminatedFailure) return 'TERMINATED';
  if (err.cause instanceof CancelledFailure) return 'CANCELLED';
  if (err.cause instanceof TimeoutFailure) return 'TIMED_OUT';
  return 'FAILED';
}

/**
 * Runs a starter against `argv` and returns the exit code. Never prints a stack trace; throws only on a
 * bug in the starter's own code (runMain reports that as an internal error, exit 70).
 * stdout carries the outcome (one JSON object with --json); stderr carries progress and messages.
 */
export async function runStarter<W extends Workflow, F extends FlagSpecs>(
  def: StarterDefinition<W, F>,
  argv: readonly string[],
  io: StarterIO = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<ExitCode> {
  const json = argv.includes('--json');
  const say = (line: string) => io.stderr.write(`${def.name}: ${line}\n`);
  const emit = (doc: Record<string, unknown>) => {
    if (json) io.stdout.write(`${JSON.stringify(doc)}\n`);
  };

  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(helpText(def));
    return ExitCode.Ok;
  }

  let prepared: PreparedStart<W>;
  try {
    prepared = await prepareStart(def, argv, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    for (const p of err.problems) say(p.flag ? `${p.flag}: ${p.message}` : p.message);
    io.stderr.write(`Run with --help for usage.\n`);
    emit({ ok: false, error: { kind: 'usage', message: err.message, problems: err.problems } });
    return ExitCode.Usage;
  }

  let connected: ConnectedClient;
  try {
    const connect = io.connect ?? loadClientModule().connectClient;
    connected = await connect({ env: io.env });
  } catch (err) {
    const config = err instanceof ConfigError;
    say((err as Error).message);
    emit({ ok: false, error: { kind: config ? 'config' : 'temporal', message: (err as Error).message } });
    return config ? ExitCode.Usage : ExitCode.Temporal;
  }

  const { workflowId } = prepared;
  let runId: string | undefined;
  let started: boolean | undefined;
  try {
    const { startOrAttach } = loadClientModule();
    const outcome = await startOrAttach(connected.client, def.workflow, {
      workflowId,
      taskQueue: prepared.taskQueue,
      args: [prepared.input],
      sameRequest: prepared.sameRequest,
      ...(def.workflowIdReusePolicy ? { workflowIdReusePolicy: def.workflowIdReusePolicy } : {}),
    } as unknown as StartOrAttachOptions<W>);
    ({ runId, started } = outcome);
    const ids = { workflowId, runId, started };
    const status = outcome.existing?.status ?? 'RUNNING';
    if (outcome.existing?.sameArgs === false) {
      // Reporting that run's outcome would answer a different request (e.g. another retention).
      const state =
        status === 'RUNNING'
          ? 'is running'
          : `already ran (${status} at ${outcome.existing.closeTime?.toISOString()})`;
      const message =
        `${workflowId} ${state} with different input, and workflow ids are not reused: this request was ` +
        'not started. Pass --workflow-id to run it anyway.';
      say(message);
      emit({ ok: false, ...ids, status, error: { kind: 'conflict', message } });
      return ExitCode.Usage;
    }
    const line = outcome.started
      ? `started new run of ${workflowId} (run ${runId}, task queue ${prepared.taskQueue})`
      : `attached to existing run of ${workflowId} (run ${runId}, ${status}); no new run started`;
    // The outcome line is the output of a plain start; otherwise it is a progress note.
    if (prepared.wait || json) say(line);
    else io.stdout.write(`${line}\n`);
    if (outcome.existing?.closeTime) {
      say(
        `that run finished at ${outcome.existing.closeTime.toISOString()} and workflow ids are not reused; ` +
          `pass --workflow-id to start a separate run`,
      );
    }
    if (!prepared.wait) {
      emit({ ok: true, ...ids, status });
      return ExitCode.Ok;
    }

    const result = await waitWithProgress(
      connected.client,
      outcome.handle,
      def.statusQuery,
      status === 'RUNNING',
      io.pollIntervalMs ?? 1000,
      say,
    );
    if (json) emit({ ok: true, ...ids, status: 'COMPLETED', result });
    else {
      if (def.summarize) io.stdout.write(`${def.summarize(result as WorkflowResult<W>)}\n`);
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    }
    return ExitCode.Ok;
  } catch (err) {
    if (isWorkflowFailedError(err)) {
      const chain = failureChain(err);
      const [head, ...causes] = chain;
      say(`workflow ${workflowId} (run ${runId}) failed: ${head?.message ?? err.message}`);
      for (const c of causes) io.stderr.write(`  caused by${c.type ? ` ${c.type}` : ''}: ${c.message}\n`);
      emit({
        ok: false,
        workflowId,
        runId,
        started,
        status: failedStatus(err),
        error: {
          kind: 'workflow',
          message: head?.message ?? err.message,
          ...(head?.type ? { type: head.type } : {}),
          causes,
        },
      });
      return ExitCode.WorkflowFailed;
    }
    const message = err instanceof Error ? err.message : String(err);
    const stillRunning = runId && prepared.wait ? ` (the workflow keeps running: ${workflowId})` : '';
    say(`Temporal call failed: ${message}${stillRunning}`);
    emit({ ok: false, workflowId, runId, started, error: { kind: 'temporal', message } });
    return ExitCode.Temporal;
  } finally {
    await connected.close().catch(() => undefined);
  }
}

/**
 * Awaits the result while polling the status query; prints each new step (and new lastError) to stderr.
 * Query failures (no worker yet, run already closed) are ignored: progress is best effort, the result is not.
 */
async function waitWithProgress(
  client: Client,
  handle: WorkflowHandle,
  query: QueryDefinition<StepStatus>,
  poll: boolean,
  intervalMs: number,
  say: (line: string) => void,
): Promise<unknown> {
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  let last: StepStatus | undefined;
  if (poll) say(`waiting for ${handle.workflowId} (Ctrl-C stops waiting; the workflow keeps running)`);
  return resultWithStatus<unknown, StepStatus>(
    handle,
    poll
      ? {
          client,
          query: query.name,
          intervalMs,
          onStatus(status) {
            if (status.step !== last?.step) say(`[${elapsed()}] ${status.step}`);
            if (status.lastError && status.lastError !== last?.lastError)
              say(`[${elapsed()}] last error: ${status.lastError}`);
            last = status;
          },
        }
      : undefined,
  );
}

/** Entry point for a starter file: `if (require.main === module) runMain(definition)`. */
export function runMain<W extends Workflow, F extends FlagSpecs>(def: StarterDefinition<W, F>): void {
  exitWith(def.name, () => runStarter(def, process.argv.slice(2)));
}

/** Process entry point: runs `main` and exits with its code; an unexpected throw is exit 70. */
export function exitWith(name: string, main: () => Promise<ExitCode>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      // A bug in the starter itself, not a Temporal or workflow problem.
      process.stderr.write(`${name}: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(70);
    },
  );
}
