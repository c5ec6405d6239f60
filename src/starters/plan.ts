// npm run plan -- -f cloud-ops.yaml [--json]
// Reads the account through the Ops API in a `reconcile` run in plan mode (visible in the Temporal UI) and
// prints what apply would change. Exit codes as `terraform plan -detailed-exitcode`.
import { formatPlan } from '../desired-state/format';
import { hasChanges } from '../desired-state/plan';
import { desiredStateWorkflowIds, workflowIdReusePolicies, DEFAULT_TASK_QUEUE } from '../shared/workflow-ids';
import { reconcile, type ReconcileResult } from '../workflows';
import { exitWith, failureChain, helpText, parseFlags, type StarterIO } from './cli';
import {
  connectOrReport,
  defaultIO,
  DESIRED_STATE_COMMON_FLAGS,
  fileFlag,
  follow,
  loadOrReport,
  output,
  reconcileInput,
  reportUsage,
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

export async function main(argv: readonly string[], io: StarterIO = defaultIO()): Promise<PlanExit> {
  const out = output(planCommand.name, argv, io);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(helpText(planCommand));
    return PlanExit.NoChanges;
  }
  const { values, problems } = await parseFlags(flags, argv, DESIRED_STATE_COMMON_FLAGS);
  if (values.file === undefined && !problems.some((p) => p.flag === '-f' || p.flag === '--file'))
    problems.push({ flag: '-f/--file', message: 'is required' });
  for (const flag of ['task-queue', 'requested-by'] as const) {
    if (values[flag] === '') problems.push({ flag: `--${flag}`, message: 'must not be empty' });
  }
  if (problems.length) {
    reportUsage(out, io, problems);
    return PlanExit.Error;
  }
  const loaded = await loadOrReport(values.file!, out);
  if (!loaded) return PlanExit.Error;

  const connected = await connectOrReport(io, out, PlanExit.Error);
  if (typeof connected === 'number') return connected;
  const workflowId = desiredStateWorkflowIds.plan(loaded.name);
  const taskQueue = values['task-queue'] ?? (io.env.TASK_QUEUE || DEFAULT_TASK_QUEUE);
  const requestedBy = values['requested-by'] ?? io.env.USER;
  let runId: string | undefined;
  try {
    const started = await startOrJoin(
      connected.client,
      reconcile,
      {
        workflowId,
        taskQueue,
        args: [reconcileInput(loaded, 'plan', requestedBy ? { requestedBy } : {})],
        workflowIdReusePolicy: workflowIdReusePolicies.reconcile,
      },
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
      client: connected.client,
    });
    const code =
      result.plan.problems.length > 0
        ? PlanExit.Error
        : result.plan.changes.length > 0
          ? PlanExit.Changes
          : PlanExit.NoChanges;
    out.emit({
      ok: code !== PlanExit.Error,
      name: loaded.name,
      file: loaded.file,
      workflowId,
      runId,
      outcome: result.outcome,
      drift: result.drift,
      applicable: hasChanges(result.plan),
      plan: result.plan,
    });
    if (!out.json) {
      io.stdout.write(`Plan for ${loaded.name} (${loaded.file}):\n\n${formatPlan(result.plan)}\n`);
      if (result.plan.problems.length > 0)
        io.stdout.write('The file cannot be applied as it is: fix the problems marked ! above.\n');
    }
    return code;
  } catch (err) {
    if (err instanceof Error && err.name === 'WorkflowFailedError') {
      const [head, ...causes] = failureChain(err);
      out.say(`the plan failed (${workflowId}, run ${runId}): ${head?.message ?? err.message}`);
      for (const c of causes) io.stderr.write(`  caused by${c.type ? ` ${c.type}` : ''}: ${c.message}\n`);
      out.emit({ ok: false, workflowId, runId, error: { kind: 'workflow', message: head?.message, causes } });
      return PlanExit.Error;
    }
    const message = err instanceof Error ? err.message : String(err);
    out.say(`Temporal call failed: ${message}`);
    out.emit({ ok: false, workflowId, runId, error: { kind: 'temporal', message } });
    return PlanExit.Temporal;
  } finally {
    await connected.close().catch(() => undefined);
  }
}

if (require.main === module) exitWith(planCommand.name, () => main(process.argv.slice(2)));
