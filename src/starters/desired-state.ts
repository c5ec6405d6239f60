// What the desired-state commands (plan, apply, export, schedule-reconcile) share: the file flag, reading the
// file with every problem reported before anything connects, starting the run, and following it.
import type { Workflow } from '@temporalio/common';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { STATUS_QUERY } from '../catalog';
import type { StartOrAttachOptions, StartOrAttachResult } from '../client';
import { resultWithStatus } from '../client/status-poller';
import { DesiredStateError, loadDesiredState, type LoadedState } from '../desired-state/load';
import type { DesiredStateInput } from '../desired-state/schema';
import type { ReconcileInput, ReconcileStatus } from '../workflows/reconcile';
import { loadClientModule, type Output } from './cli';
import { COMMON_FLAGS, type FlagProblem, type FlagSpecs } from './flags';

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

/** -f/--file is required (unless its own problem is reported already). */
export function requireFile(values: { file?: string | undefined }, problems: FlagProblem[]): void {
  if (values.file === undefined && !problems.some((p) => p.flag === '-f' || p.flag === '--file'))
    problems.push({ flag: '-f/--file', message: 'is required' });
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

/**
 * Starts the run, or joins a running one started with the same input. A running one with other input (a
 * plan of another version of the file, say) is either waited out and the start tried again (`waitOut`:
 * reads, which take seconds), or returned as it is for the caller to refuse.
 */
export async function startOrJoin<W extends Workflow>(
  client: Client,
  workflow: W | string,
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
    query: STATUS_QUERY,
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
