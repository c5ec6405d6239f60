// npm run plan -- -f cloud-ops.yaml [--json]
// Reads the account through the Ops API in a `reconcile` run in plan mode (visible in the Temporal UI) and
// prints what apply would change. Exit codes as `terraform plan -detailed-exitcode`.
import type { Client } from '@temporalio/client';
import { reconcileKind } from '../catalog';
import type { LoadedState } from '../desired-state/load';
import { formatPlan } from '../desired-state/format';
import { hasChanges } from '../desired-state/plan';
import type { reconcile, ReconcileResult } from '../workflows/reconcile';
import {
  defaultIO,
  exitWith,
  reportFailure,
  taskQueueOf,
  withClient,
  type ExitCode,
  type Output,
  type StarterIO,
} from './cli';
import { nonEmpty, runCommand } from './command';
import {
  DESIRED_STATE_COMMON_FLAGS,
  fileFlag,
  follow,
  loadOrReport,
  reconcileInput,
  requireFile,
  startOrJoin,
} from './desired-state';

/** Like `terraform plan -detailed-exitcode`; bad flags are errors too (2 must only ever mean "changes"). */
export const PlanExit = { NoChanges: 0, Error: 1, Changes: 2, Temporal: 3 } as const;
export type PlanExit = (typeof PlanExit)[keyof typeof PlanExit];

const flags = {
  file: fileFlag,
  'requested-by': {
    type: 'string',
    valueName: 'NAME',
    description: 'who asks (recorded in the run; default $USER)',
  },
} as const;

export const planCommand = {
  name: 'plan',
  summary:
    'Reads the account through the Ops API (in a reconcile workflow run in plan mode, visible in the Temporal ' +
    'UI as reconcile-plan/<name>) and prints what apply would change: create, update (field by field, ' +
    'old → new), delete, rotate, what is unchanged and what is unmanaged. Changes nothing; never prints a ' +
    'token. A bad file is reported (every problem, with its line) before anything connects.',
  flags,
  commonFlags: DESIRED_STATE_COMMON_FLAGS,
  exitCodes:
    'Exit codes (as terraform plan -detailed-exitcode): 0 no changes, 2 changes (the account differs from ' +
    'the file), 1 error (bad flags or file, a file that cannot be applied, the plan failed), 3 could not ' +
    'reach Temporal.',
  examples: ['npm run plan -- -f cloud-ops.yaml', 'npm run plan -- -f cloud-ops.yaml --json'],
};

type Values = { 'task-queue'?: string | undefined; 'requested-by'?: string | undefined };

export function main(argv: readonly string[], io: StarterIO = defaultIO()): Promise<PlanExit> {
  return runCommand(planCommand, argv, io, {
    usageExit: PlanExit.Error,
    check(values, problems) {
      requireFile(values, problems);
      nonEmpty(values, ['task-queue', 'requested-by'], problems);
    },
    async run(values, out) {
      const loaded = await loadOrReport(values.file!, out);
      if (!loaded) return PlanExit.Error;
      return withClient(io, out, (client) => plan(client, loaded, values, io, out), PlanExit.Error);
    },
  });
}

async function plan(
  client: Client,
  loaded: LoadedState,
  values: Values,
  io: StarterIO,
  out: Output,
): Promise<ExitCode> {
  const requestedBy = values['requested-by'] ?? io.env.USER;
  const input = reconcileInput(loaded, 'plan', requestedBy ? { requestedBy } : {});
  const workflowId = reconcileKind.workflowId(input);
  const taskQueue = taskQueueOf(values, io.env);
  let runId: string | undefined;
  try {
    const started = await startOrJoin<typeof reconcile>(
      client,
      reconcileKind.workflowType,
      { workflowId, taskQueue, args: [input], workflowIdReusePolicy: reconcileKind.reusePolicy },
      out,
      true,
    );
    runId = started.runId;
    out.say(
      `reading the account through ${workflowId} (run ${runId}${started.started ? '' : ', already running'})`,
    );
    const result = await follow<ReconcileResult>(started.handle, () => undefined, {
      intervalMs: io.pollIntervalMs ?? 1000,
      taskQueue,
      out,
      client,
    });
    return showPlan(result, loaded, { workflowId, runId }, io, out);
  } catch (err) {
    const heading = `the plan failed (${workflowId}, run ${runId})`;
    return reportFailure(out, err, heading, { workflowId, runId }, PlanExit.Error);
  }
}

function showPlan(
  result: ReconcileResult,
  loaded: LoadedState,
  ids: { workflowId: string; runId: string },
  io: StarterIO,
  out: Output,
): PlanExit {
  const { plan } = result;
  const code =
    plan.problems.length > 0
      ? PlanExit.Error
      : plan.changes.length > 0
        ? PlanExit.Changes
        : PlanExit.NoChanges;
  out.emit({
    ok: code !== PlanExit.Error,
    name: loaded.name,
    file: loaded.file,
    ...ids,
    outcome: result.outcome,
    drift: result.drift,
    applicable: hasChanges(plan),
    plan,
  });
  if (!out.json) {
    io.stdout.write(`Plan for ${loaded.name} (${loaded.file}):\n\n${formatPlan(plan)}\n`);
    if (plan.problems.length > 0)
      io.stdout.write('The file cannot be applied as it is: fix the problems marked ! above.\n');
  }
  return code;
}

if (require.main === module) exitWith(planCommand.name, () => main(process.argv.slice(2)));
