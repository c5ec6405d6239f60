// A workflow kind's command-line starter, from its catalog entry (src/catalog, `starter`): flags → validated input →
// start or attach under the business-key id → optionally wait with progress. Its signal flags signal the running
// run instead (./signals.ts).
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { STATUS_QUERY, type AnyKind, type StarterSpec } from '../catalog';
import {
  DECISION_FLAGS,
  DECISION_SIGNALS,
  REQUESTER_FLAG,
  type BuildContext,
  type FlagSpecs,
  type SignalFlag,
} from '../catalog/flags';
import type { StartOrAttachResult } from '../client';
import { resultWithStatus } from '../client/status-poller';
import { ConfigError } from '../config';
import { finishedRunCheck } from '../requests/finished-run-check';
import { validate } from '../shared/validation';
import { workflowIdProblem } from '../shared/workflow-ids';
import { cliApproval, requesterOf, starterPolicy } from './approval';
import {
  defaultIO,
  ExitCode,
  loadClientModule,
  output,
  reportFailure,
  reportUsage,
  taskQueueOf,
  withClient,
  type Output,
  type StarterIO,
} from './cli';
import {
  flagForField,
  helpText,
  parseFlags,
  toFlagProblems,
  UsageError,
  wantsHelp,
  type FlagProblem,
} from './flags';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStarter = StarterSpec<any, FlagSpecs>;

/** The kind's starter; a kind without one has no command. */
export function starterOf(kind: AnyKind): AnyStarter {
  if (!kind.starter || !kind.schema) throw new Error(`${kind.workflowType} has no starter`);
  return kind.starter;
}

/** Every flag of a starter: its own, then those of the decisions where its runs take them (its own win). */
export function flagsOf(starter: AnyStarter): FlagSpecs {
  if (!starter.decisions) return starter.flags;
  const shared = Object.entries({ ...DECISION_FLAGS, ...REQUESTER_FLAG }).filter(
    ([name]) => !Object.hasOwn(starter.flags, name),
  );
  return { ...starter.flags, ...Object.fromEntries(shared) };
}

/** The flags that signal the running run, in the order they win: the decisions', then its own. */
export function signalsOf(starter: AnyStarter): Array<[string, SignalFlag]> {
  const signals = { ...(starter.decisions ? DECISION_SIGNALS : {}), ...starter.signals };
  return Object.entries(signals) as Array<[string, SignalFlag]>;
}

/** Signal flags go one at a time, each with what it needs. */
function signalProblems(starter: AnyStarter, values: Record<string, unknown>, problems: FlagProblem[]): void {
  const given = signalsOf(starter).filter(([flag]) => values[flag] !== undefined && values[flag] !== false);
  given.forEach(([flag, spec], i) => {
    const other = given[i + 1]?.[0];
    if (other) problems.push({ flag: `--${flag}`, message: `cannot be combined with --${other}` });
    if (spec.requires && !values[spec.requires])
      problems.push({ flag: `--${flag}`, message: `needs --${spec.requires}` });
  });
}

export interface PreparedStart {
  /** With the approval policy's answer, for the workflows it covers. */
  input: Record<string, unknown>;
  /** The request as given (without the approval): the same request by someone else joins the run. */
  sameRequest: unknown[];
  workflowId: string;
  taskQueue: string;
  wait: boolean;
  json: boolean;
}

/**
 * Flags → the start request, or UsageError listing every problem (named by flag). Touches nothing but
 * files named by file flags. `env` supplies TASK_QUEUE. For a `signal` the input only has to make the business
 * key (the starter's `keyFields`, else the kind's `keyField`): what else a start needs is not asked for, nor an
 * approval.
 */
export async function prepareStart(
  kind: AnyKind,
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  purpose: 'start' | 'signal' = 'start',
): Promise<PreparedStart> {
  const starter = starterOf(kind);
  const flags = flagsOf(starter);
  const { values, problems: own } = await parseFlags(flags, argv);
  signalProblems(starter, values, own);
  for (const flag of ['workflow-id', 'task-queue'] as const) {
    if (values[flag] === '') own.push({ flag: `--${flag}`, message: 'must not be empty' });
  }
  const input = starter.buildInput(values, buildContext(values, own)) as Record<string, unknown>;
  const checked = validate(kind.schema!, input);
  const keyField = kind.keyField?.(input) ?? 'name';
  const keyFields = starter.keyFields ?? [keyField];
  const schemaProblems = checked.ok
    ? []
    : checked.problems.filter((p) => purpose === 'start' || keyFields.includes(p.field));
  // One message per flag: parse problems and the starter's own wording (which speaks in flags) win over
  // the schema's, which would only add "is required" for a flag whose value could not be parsed.
  const reported = new Set(own.map((p) => p.flag));
  const fromSchema = toFlagProblems(flags, schemaProblems);
  const all = [...own, ...fromSchema.filter((p) => !reported.has(p.flag))];
  if (all.length) throw new UsageError(all);

  const approval =
    starter.decisions && purpose === 'start' ? approvalOf(kind, input, values, env) : undefined;
  const given = values['workflow-id'];
  const workflowId = given ?? kind.workflowId(input);
  const idProblem = workflowIdProblem(workflowId);
  if (idProblem) {
    const flag = given !== undefined ? '--workflow-id' : flagForField(flags, keyField);
    throw new UsageError([{ flag: flag || '', message: flag ? idProblem : `the workflow id ${idProblem}` }]);
  }
  return {
    input: approval ? { ...input, approval } : input,
    sameRequest: [input],
    workflowId,
    taskQueue: taskQueueOf(values, env),
    wait: values.wait,
    json: values.json,
  };
}

function buildContext(values: Record<string, unknown>, problems: FlagProblem[]): BuildContext<FlagSpecs> {
  const has = (flag: string) => values[flag] !== undefined && values[flag] !== false;
  return {
    values,
    problem: (flag: string, message: string) => problems.push({ flag: flag ? `--${flag}` : '', message }),
    requires: (flag, other) => {
      if (has(flag) && !has(other)) problems.push({ flag: `--${flag}`, message: `needs --${other}` });
    },
    conflicts: (a, b) => {
      if (has(a) && has(b)) problems.push({ flag: `--${a}`, message: `cannot be combined with --${b}` });
    },
    has,
  } as BuildContext<FlagSpecs>;
}

/** The policy's answer for the runs it covers (`decisions`); a bad policy is a usage error. */
function approvalOf(
  kind: AnyKind,
  input: Record<string, unknown>,
  values: Record<string, unknown>,
  env: Record<string, string | undefined>,
) {
  try {
    const requestedBy = requesterOf(values['requested-by'] as string | undefined, env);
    return cliApproval(starterPolicy(env), kind.workflowType, input, requestedBy);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError([{ flag: '', message: err.message }]);
    throw err;
  }
}

/** The start request, or the exit code after reporting its problems. */
export async function prepareOrReport(
  kind: AnyKind,
  argv: readonly string[],
  io: StarterIO,
  out: Output,
  purpose: 'start' | 'signal' = 'start',
): Promise<PreparedStart | ExitCode> {
  try {
    return await prepareStart(kind, argv, io.env, purpose);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    reportUsage(out, err.problems);
    return ExitCode.Usage;
  }
}

/**
 * Runs a starter against `argv` and returns the exit code. Never prints a stack trace; throws only on a
 * bug in the starter's own code (exitWith reports that as an internal error, exit 70).
 * stdout carries the outcome (one JSON object with --json); stderr carries progress and messages.
 */
export async function runStarter(
  kind: AnyKind,
  argv: readonly string[],
  io: StarterIO = defaultIO(),
): Promise<ExitCode> {
  const starter = starterOf(kind);
  const out = output(starter.name, argv, io);
  if (wantsHelp(argv)) {
    io.stdout.write(helpText({ ...starter, flags: flagsOf(starter) }));
    return ExitCode.Ok;
  }
  const prepared = await prepareOrReport(kind, argv, io, out);
  if (typeof prepared === 'number') return prepared;
  return withClient(io, out, (client) => startAndFollow(kind, prepared, client, io, out));
}

async function startAndFollow(
  kind: AnyKind,
  prepared: PreparedStart,
  client: Client,
  io: StarterIO,
  out: Output,
): Promise<ExitCode> {
  const { workflowId } = prepared;
  let ids: { workflowId: string; runId?: string; started?: boolean } = { workflowId };
  try {
    const outcome = await start(kind, prepared, client, out);
    ids = { workflowId, runId: outcome.runId, started: outcome.started };
    const status = outcome.existing?.status ?? 'RUNNING';
    if (!announce(outcome, prepared, out)) return ExitCode.Usage;
    if (!prepared.wait) {
      out.emit({ ok: true, ...ids, status });
      return ExitCode.Ok;
    }
    const result = await waitWithProgress(client, outcome.handle, status === 'RUNNING', io, out);
    const summary = starterOf(kind).summarize?.(result);
    out.report(
      { ok: true, ...ids, status: 'COMPLETED', result },
      `${summary ? `${summary}\n` : ''}${JSON.stringify(result, null, 2)}`,
    );
    return ExitCode.Ok;
  } catch (err) {
    const stillRunning = ids.runId && prepared.wait ? ` (the workflow keeps running: ${workflowId})` : '';
    const heading = `workflow ${workflowId} (run ${ids.runId}) failed`;
    return reportFailure(out, err, heading, ids, ExitCode.WorkflowFailed, stillRunning);
  }
}

/** Starts the run, or attaches to the one the business key has (a finished one only while it still holds). */
function start(kind: AnyKind, prepared: PreparedStart, client: Client, out: Output) {
  const closedRunHolds = finishedRunCheck({
    client,
    kind,
    input: prepared.sameRequest[0],
    taskQueue: prepared.taskQueue,
    onGone: (subject, run) =>
      out.say(`${subject} is gone since run ${run.runId} finished: starting a new run`),
    onUnknown: (subject, err) =>
      out.say(
        `could not check whether ${subject} is still there (${err instanceof Error ? err.message : String(err)}); ` +
          'reporting the finished run as it is',
      ),
  });
  return loadClientModule().startOrAttach(client, kind.workflowType, {
    workflowId: prepared.workflowId,
    taskQueue: prepared.taskQueue,
    args: [prepared.input],
    sameRequest: prepared.sameRequest,
    workflowIdReusePolicy: kind.reusePolicy,
    ...(closedRunHolds ? { closedRunHolds } : {}),
  });
}

/** Says what the start did; false (after saying why) when the key runs or ran another request. */
function announce(outcome: StartOrAttachResult<Workflow>, prepared: PreparedStart, out: Output): boolean {
  const { workflowId } = prepared;
  const ids = { workflowId, runId: outcome.runId, started: outcome.started };
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
    out.say(message);
    out.emit({ ok: false, ...ids, status, error: { kind: 'conflict', message } });
    return false;
  }
  const line = outcome.started
    ? `started new run of ${workflowId} (run ${outcome.runId}, task queue ${prepared.taskQueue})`
    : `attached to existing run of ${workflowId} (run ${outcome.runId}, ${status}); no new run started`;
  // The outcome line is the output of a plain start; otherwise it is a progress note.
  if (prepared.wait || out.json) out.say(line);
  else out.show(line);
  if (outcome.existing?.closeTime) {
    out.say(
      `that run finished at ${outcome.existing.closeTime.toISOString()} and workflow ids are not reused; ` +
        `pass --workflow-id to start a separate run`,
    );
  }
  return true;
}

/**
 * Awaits the result while polling the status query; prints each new step (and new lastError) to stderr.
 * Query failures (no worker yet, run already closed) are ignored: progress is best effort, the result is not.
 */
async function waitWithProgress(
  client: Client,
  handle: WorkflowHandle,
  poll: boolean,
  io: StarterIO,
  out: Output,
): Promise<unknown> {
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  let last: { step: string; lastError?: string } | undefined;
  if (poll) out.say(`waiting for ${handle.workflowId} (Ctrl-C stops waiting; the workflow keeps running)`);
  return resultWithStatus<unknown, { step: string; lastError?: string }>(
    handle,
    poll
      ? {
          client,
          query: STATUS_QUERY,
          intervalMs: io.pollIntervalMs ?? 1000,
          onStatus(status) {
            if (status.step !== last?.step) out.say(`[${elapsed()}] ${status.step}`);
            if (status.lastError && status.lastError !== last?.lastError)
              out.say(`[${elapsed()}] last error: ${status.lastError}`);
            last = status;
          },
        }
      : undefined,
  );
}
