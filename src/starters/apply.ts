// npm run apply -- -f cloud-ops.yaml [--auto-approve]             make the account match the file
// npm run apply -- -f cloud-ops.yaml --approve --approver alice     approve what the running apply waits for
// npm run apply -- -f cloud-ops.yaml --reject --reason "..."        or reject it
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { LoadedState } from '../desired-state/load';
import { describeChange, formatPlan } from '../desired-state/format';
import { parseDurationMs } from '../shared/validation';
import { REQUEST_MEMO } from '../shared/request-memo';
import { desiredStateWorkflowIds, workflowIdReusePolicies, DEFAULT_TASK_QUEUE } from '../shared/workflow-ids';
import {
  approveReconcileSignal,
  reconcile,
  rejectReconcileSignal,
  type AppliedChange,
  type ReconcileResult,
  type ReconcileStatus,
} from '../workflows';
import { ExitCode, exitWith, failureChain, helpText, parseFlags, type StarterIO } from './cli';
import { ConfigError } from '../config';
import type { Approval } from '../shared/approval';
import { cliApproval, requesterOf, starterPolicy } from './approval';
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
  shellArg,
  startOrJoin,
  type Output,
} from './desired-state';

const flags = {
  file: fileFlag,
  'auto-approve': {
    type: 'boolean',
    description:
      'apply destructive changes (deletes, access removed, auth switched off) without approval, where the ' +
      'approval policy allows it (destructive-apply: none)',
  },
  'approval-timeout': {
    type: 'string',
    valueName: 'DURATION',
    description:
      'how long destructive changes wait for a decision, e.g. 2h (default 24h); then nothing changes',
  },
  'requested-by': {
    type: 'string',
    valueName: 'NAME',
    description: 'who asks (recorded in the result; default $USER)',
  },
  concurrency: {
    type: 'number',
    valueName: 'N',
    description: 'changes made at once within a phase (default 4)',
  },
  'no-wait': {
    type: 'boolean',
    description: 'start the apply and return (the same command again follows it)',
  },
  approve: {
    type: 'boolean',
    description: "approve the plan the running apply of this file's name waits for (needs --approver)",
  },
  reject: { type: 'boolean', description: 'reject it: the apply changes nothing' },
  approver: { type: 'string', valueName: 'NAME', description: 'who decides (recorded in the result)' },
  reason: { type: 'string', valueName: 'TEXT', description: 'why it is rejected (recorded)' },
  'workflow-id': {
    type: 'string',
    valueName: 'ID',
    description: 'with --approve/--reject: the run to decide on, when several wait (e.g. a scheduled apply)',
  },
} as const;

export const applyCommand = {
  name: 'apply',
  summary:
    'Makes the account match the file: the same reconcile workflow as plan, in apply mode (workflow id ' +
    'reconcile/<name>), waiting for it and printing the plan, then each change. Destructive changes wait for ' +
    'approval, given by running this command again with --approve (which approves exactly the plan the run ' +
    'shows) or --reject; Ctrl-C only stops waiting. Running it again with the same file follows the running ' +
    'apply; every change is idempotent, so an apply after a failure finishes the job.',
  flags,
  commonFlags: DESIRED_STATE_COMMON_FLAGS,
  exitCodes:
    'Exit codes: 0 applied (or nothing to change; a decision sent), 1 bad file, the apply failed, was ' +
    'rejected or timed out waiting for approval, or nothing is waiting for a decision, 2 bad flags or ' +
    'configuration (or the apply of this name runs with other input), 3 could not reach Temporal.',
  examples: [
    'npm run apply -- -f cloud-ops.yaml',
    'npm run apply -- -f cloud-ops.yaml --auto-approve',
    'npm run apply -- -f cloud-ops.yaml --approve --approver alice',
    'npm run apply -- -f cloud-ops.yaml --reject --approver alice --reason "not during the freeze"',
  ],
};

type Values = Awaited<
  ReturnType<typeof parseFlags<typeof flags, typeof DESIRED_STATE_COMMON_FLAGS>>
>['values'];

/** The run this process is waiting for, named when Ctrl-C stops the wait. */
let following: string | undefined;

export async function main(argv: readonly string[], io: StarterIO = defaultIO()): Promise<ExitCode> {
  const out = output(applyCommand.name, argv, io);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(helpText(applyCommand));
    return ExitCode.Ok;
  }
  const { values, problems } = await parseFlags(flags, argv, DESIRED_STATE_COMMON_FLAGS);
  const given = (flag: keyof Values) => values[flag] !== undefined && values[flag] !== false;
  if (values.file === undefined && !problems.some((p) => p.flag === '-f' || p.flag === '--file'))
    problems.push({ flag: '-f/--file', message: 'is required' });
  if (values.approve && values.reject)
    problems.push({ flag: '--approve', message: 'cannot be combined with --reject' });
  const deciding = values.approve || values.reject;
  if (values.approve && !values.approver) problems.push({ flag: '--approve', message: 'needs --approver' });
  for (const flag of [
    'auto-approve',
    'approval-timeout',
    'requested-by',
    'concurrency',
    'no-wait',
  ] as const) {
    if (deciding && given(flag))
      problems.push({
        flag: `--${flag}`,
        message: `starts an apply: not with --${values.approve ? 'approve' : 'reject'}`,
      });
  }
  for (const flag of ['approver', 'workflow-id'] as const) {
    if (!deciding && given(flag))
      problems.push({ flag: `--${flag}`, message: 'needs --approve or --reject' });
  }
  if (values.reason !== undefined && !values.reject)
    problems.push({ flag: '--reason', message: 'needs --reject' });
  const timeout = values['approval-timeout'];
  if (timeout !== undefined && !((parseDurationMs(timeout) ?? 0) >= 60_000))
    problems.push({
      flag: '--approval-timeout',
      message: 'must be a duration of at least 1m, e.g. 2h or 7d',
    });
  const n = values.concurrency;
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 20))
    problems.push({ flag: '--concurrency', message: 'must be a whole number from 1 to 20' });
  for (const flag of ['task-queue', 'requested-by', 'approver', 'workflow-id'] as const) {
    if (values[flag] === '') problems.push({ flag: `--${flag}`, message: 'must not be empty' });
  }
  if (problems.length) {
    reportUsage(out, io, problems);
    return ExitCode.Usage;
  }
  const loaded = await loadOrReport(values.file!, out);
  if (!loaded) return ExitCode.WorkflowFailed;
  // The approval policy's answer: who asks, who may approve; --auto-approve cannot lower it.
  let approval: Approval | undefined;
  if (!deciding) {
    try {
      approval = applyApproval(loaded, values, io.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      reportUsage(out, io, [
        { flag: (err as ConfigError & { flag?: string }).flag ?? '', message: err.message },
      ]);
      return ExitCode.Usage;
    }
  }

  const connected = await connectOrReport(io, out);
  if (typeof connected === 'number') return connected;
  try {
    return deciding
      ? await decide(connected.client, loaded, values, io.env, out)
      : await apply(connected.client, loaded, values, io, out, approval);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    out.say(`Temporal call failed: ${message}${following ? ` (${following} keeps running)` : ''}`);
    out.emit({ ok: false, error: { kind: 'temporal', message } });
    return ExitCode.Temporal;
  } finally {
    following = undefined;
    await connected.close().catch(() => undefined);
  }
}

async function apply(
  client: Client,
  loaded: LoadedState,
  values: Values,
  io: StarterIO,
  out: Output,
  approval: Approval | undefined,
): Promise<ExitCode> {
  const workflowId = desiredStateWorkflowIds.apply(loaded.name);
  const taskQueue = values['task-queue'] ?? (io.env.TASK_QUEUE || DEFAULT_TASK_QUEUE);
  const requestedBy = values['requested-by'] ?? io.env.USER;
  const input = reconcileInput(loaded, 'apply', {
    ...(values['auto-approve'] ? { autoApprove: true } : {}),
    ...(values['approval-timeout'] ? { approvalTimeout: values['approval-timeout'] } : {}),
    ...(values.concurrency !== undefined ? { concurrency: values.concurrency } : {}),
    ...(requestedBy ? { requestedBy } : {}),
  });
  const started = await startOrJoin(
    client,
    reconcile,
    {
      workflowId,
      taskQueue,
      args: [approval ? { ...input, approval } : input],
      sameRequest: [input],
      workflowIdReusePolicy: workflowIdReusePolicies.reconcile,
      // The portal lists it with its requester, who may not approve it there either.
      memo: {
        [REQUEST_MEMO.source]: 'cli',
        ...(requestedBy ? { [REQUEST_MEMO.requestedBy]: requestedBy } : {}),
      },
    },
    out,
    false,
  );
  const ids = { name: loaded.name, workflowId, runId: started.runId, started: started.started };
  if (started.existing?.sameArgs === false) {
    const message =
      `${workflowId} is already running (run ${started.runId}) with different input (another version of ` +
      'the file, other flags or another requester): this apply was not started. Decide on the running one ' +
      '(--approve/--reject) or wait for it to finish.';
    out.say(message);
    out.emit({ ok: false, ...ids, error: { kind: 'conflict', message } });
    return ExitCode.Usage;
  }
  out.say(
    started.started
      ? `started ${workflowId} (run ${started.runId}, task queue ${taskQueue})`
      : `following the running ${workflowId} (run ${started.runId}), started with the same input`,
  );
  if (values['no-wait']) {
    out.emit({ ok: true, ...ids, status: 'RUNNING' });
    if (!out.json) io.stdout.write(`${workflowId} runs; follow it with: ${again(loaded)}\n`);
    return ExitCode.Ok;
  }
  out.say('waiting for it (Ctrl-C stops waiting; the workflow keeps running)');
  following = workflowId;
  const view = new Progress(loaded, out);
  let result: ReconcileResult;
  try {
    result = await follow<ReconcileResult>(started.handle, (s) => view.status(s), {
      intervalMs: io.pollIntervalMs ?? 1000,
      taskQueue,
      out,
      client,
    });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'WorkflowFailedError')) throw err;
    const [head, ...causes] = failureChain(err);
    // An incomplete apply carries its result: what was done before and besides the failures.
    const partial = (err.cause instanceof ApplicationFailure ? err.cause.details?.[0] : undefined) as
      ReconcileResult | undefined;
    if (partial) view.finish(partial);
    out.say(`${workflowId} failed: ${head?.message ?? err.message}`);
    for (const c of causes) io.stderr.write(`  caused by${c.type ? ` ${c.type}` : ''}: ${c.message}\n`);
    out.emit({
      ok: false,
      ...ids,
      status: 'FAILED',
      ...(partial ? { result: partial } : {}),
      error: { kind: 'workflow', message: head?.message, ...(head?.type ? { type: head.type } : {}), causes },
    });
    return ExitCode.WorkflowFailed;
  }
  view.finish(result);
  const ok = result.outcome === 'applied' || result.outcome === 'no-changes';
  out.emit({ ok, ...ids, status: 'COMPLETED', outcome: result.outcome, result });
  return ok ? ExitCode.Ok : ExitCode.WorkflowFailed;
}

const again = (loaded: LoadedState, ...more: string[]) =>
  ['npm run apply -- -f', shellArg(loaded.file), ...more].join(' ');

/** Prints an apply as it goes: the plan (again when it changes), the approval it waits for, each change. */
class Progress {
  private readonly t0 = Date.now();
  private step?: string;
  private lastError?: string;
  private planShown?: string;
  private approvalShown?: string;
  private appliedShown = 0;

  constructor(
    private readonly loaded: LoadedState,
    private readonly out: Output,
  ) {}

  status(s: ReconcileStatus): void {
    const elapsed = `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
    if (s.step !== this.step) this.out.say(`[${elapsed}] ${s.step}`);
    this.step = s.step;
    if (s.plan && s.step !== 'planning') this.plan(s.plan);
    if (s.step === 'awaiting-approval' && s.awaitingApproval) this.approval(s.awaitingApproval);
    this.applied(s.applied);
    if (s.lastError && s.lastError !== this.lastError)
      this.out.say(`[${elapsed}] last error: ${s.lastError}`);
    this.lastError = s.lastError;
  }

  finish(result: ReconcileResult): void {
    this.plan(result.plan);
    this.applied(result.applied);
    const count = (o: AppliedChange['outcome']) => result.applied.filter((a) => a.outcome === o).length;
    const by = result.approval ? ` by ${result.approval.by} at ${result.approval.at}` : '';
    const lines: Record<ReconcileResult['outcome'], string> = {
      applied:
        `Apply complete: ${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed.` +
        (result.approval ? ` Destructive changes approved${by}.` : ''),
      'no-changes':
        count('skipped') > 0
          ? 'Nothing that can be applied: the changes above cannot be made through this Ops API.'
          : 'No changes: the account matches the file.',
      rejected: `Rejected${by}${result.approval?.comment ? ` (${result.approval.comment})` : ''}: nothing was changed.`,
      'approval-timed-out': 'No decision before the deadline: nothing was changed. Apply again to ask again.',
      planned: 'Planned only.',
    };
    this.out.show(lines[result.outcome]);
  }

  private plan(plan: NonNullable<ReconcileStatus['plan']>): void {
    if (plan.fingerprint === this.planShown) return;
    const heading = this.planShown
      ? 'The account changed while the apply waited; it planned again:'
      : `Plan for ${this.loaded.name} (${this.loaded.file}):`;
    this.planShown = plan.fingerprint;
    this.out.show(`${heading}\n\n${formatPlan(plan)}\n`);
  }

  private approval(waiting: NonNullable<ReconcileStatus['awaitingApproval']>): void {
    if (waiting.fingerprint === this.approvalShown) return;
    this.approvalShown = waiting.fingerprint;
    this.out.show(
      [
        `Waiting for approval (until ${waiting.deadline}) of ${waiting.destructive.length} destructive change${waiting.destructive.length === 1 ? '' : 's'}${waiting.requestedBy ? ` requested by ${waiting.requestedBy}` : ''}:`,
        ...waiting.destructive.map((d) => `    ${d}`),
        `  Approve exactly this plan: ${again(this.loaded, '--approve --approver <name>')}`,
        `  Or reject it:              ${again(this.loaded, '--reject --reason "..."')}`,
        '  (Ctrl-C stops waiting here; the apply keeps waiting for a decision.)',
        '',
      ].join('\n'),
    );
  }

  private applied(applied: AppliedChange[]): void {
    for (const a of applied.slice(this.appliedShown)) {
      const mark = a.outcome === 'done' ? '✔' : a.outcome === 'failed' ? '✘' : '-';
      const what = a.outcome === 'skipped' ? `skipped ${describeChange(a)}` : describeChange(a);
      this.out.show(`  ${mark} ${what}${a.detail ? `: ${a.detail}` : ''}`);
    }
    this.appliedShown = Math.max(this.appliedShown, applied.length);
  }
}

/** Sends approve (with the fingerprint of the plan the run shows) or reject to the apply waiting for it. */
async function decide(
  client: Client,
  loaded: LoadedState,
  values: Values,
  env: StarterIO['env'],
  out: Output,
): Promise<ExitCode> {
  const verb = values.approve ? 'approve' : 'reject';
  const candidates = values['workflow-id']
    ? [values['workflow-id']]
    : [desiredStateWorkflowIds.apply(loaded.name), ...(await scheduledRuns(client, loaded.name))];
  const running: Array<{ workflowId: string; runId: string; status?: ReconcileStatus }> = [];
  for (const workflowId of candidates) {
    const info = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (info?.status.name !== 'RUNNING') continue;
    const status = await client.workflow
      .getHandle(workflowId, info.runId)
      .query<ReconcileStatus>('status')
      .catch(() => undefined);
    running.push({ workflowId, runId: info.runId, ...(status ? { status } : {}) });
  }
  const waiting = running.filter((r) => r.status?.step === 'awaiting-approval');
  if (waiting.length === 0) {
    const message =
      running.length > 0
        ? `${running
            .map((r) =>
              r.status
                ? `${r.workflowId} is running but not waiting for approval (step: ${r.status.step})`
                : `${r.workflowId} is running but did not answer its status query (is a worker running?)`,
            )
            .join('; ')}: nothing to ${verb}`
        : `no apply of ${loaded.name} is running (${candidates.join(', ')}): nothing to ${verb}`;
    out.say(message);
    out.emit({ ok: false, name: loaded.name, error: { kind: 'not-waiting', message } });
    return ExitCode.WorkflowFailed;
  }
  if (waiting.length > 1) {
    const message = `${waiting.length} runs wait for a decision (${waiting.map((w) => w.workflowId).join(', ')}): pass --workflow-id`;
    out.say(message);
    out.emit({ ok: false, name: loaded.name, error: { kind: 'ambiguous', message } });
    return ExitCode.Usage;
  }
  const [{ workflowId, runId, status }] = waiting as [Required<(typeof waiting)[number]>];
  const fingerprint = status.awaitingApproval!.fingerprint;
  if (status.plan)
    out.show(
      `${workflowId} (run ${runId}) waits for a decision on this plan:\n\n${formatPlan(status.plan)}\n`,
    );
  const handle = client.workflow.getHandle(workflowId, runId);
  if (values.approve) {
    await handle.signal(approveReconcileSignal, { approver: values.approver!, fingerprint });
  } else {
    const approver = values.approver ?? env.USER;
    await handle.signal(rejectReconcileSignal, {
      ...(approver ? { approver } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
    });
  }
  out.emit({ ok: true, name: loaded.name, workflowId, runId, signal: verb, fingerprint });
  out.show(
    values.approve
      ? `Approved plan ${fingerprint} of ${workflowId} (run ${runId}): it applies exactly this plan; if the ` +
          'account changed meanwhile, it plans again and asks again.'
      : `Rejected plan ${fingerprint} of ${workflowId} (run ${runId}): it changes nothing.`,
  );
  return ExitCode.Ok;
}

/** The policy's answer for this apply; ConfigError (with the flag) for a bad policy or a lowering --auto-approve. */
function applyApproval(loaded: LoadedState, values: Values, env: StarterIO['env']): Approval | undefined {
  const requestedBy = requesterOf(values['requested-by'], env);
  const input = { mode: 'apply', desired: loaded.state };
  const approval = cliApproval(starterPolicy(env), 'reconcile', input, requestedBy);
  if (values['auto-approve'] && approval?.required) {
    throw Object.assign(
      new ConfigError(
        `the approval policy requires an approval for destructive changes (${approval.reasons.join('; ')}); ` +
          'it cannot be skipped',
      ),
      { flag: '--auto-approve' },
    );
  }
  return approval;
}

/**
 * The runs the schedule of this desired state started lately (see schedule-reconcile); the caller keeps
 * those still running. Recent actions too: the server does not always list a run among the running ones.
 */
async function scheduledRuns(client: Client, name: string): Promise<string[]> {
  const schedule = await client.schedule
    .getHandle(desiredStateWorkflowIds.schedule(name))
    .describe()
    .catch(() => undefined);
  const ids = [
    ...(schedule?.info.runningActions ?? []).map((r) => r.workflow.workflowId),
    ...(schedule?.info.recentActions ?? []).flatMap((r) =>
      r.action.type === 'startWorkflow' ? [r.action.workflow.workflowId] : [],
    ),
  ];
  return [...new Set(ids)];
}

if (require.main === module) {
  process.once('SIGINT', () => {
    process.stderr.write(
      `\napply: stopped waiting${following ? `; ${following} keeps running (the same command follows it again)` : ''}\n`,
    );
    process.exit(130);
  });
  exitWith(applyCommand.name, () => main(process.argv.slice(2)));
}
