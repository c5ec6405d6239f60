// npm run schedule-reconcile -- -f cloud-ops.yaml --every 6h [--auto-apply]     create or update (idempotent)
// npm run schedule-reconcile -- -f cloud-ops.yaml --describe | --pause | --unpause | --trigger-now | --delete
// Drift detection on a schedule: each run plans the file (as it was when this command ran) against the account
// and reports drift, or with --auto-apply applies it.
import { createHash } from 'node:crypto';
import { reconcileKind, scheduledReconcileId, STATUS_QUERY, workflowIds } from '../catalog';
import type { LoadedState } from '../desired-state/load';
import { ConfigError } from '../config';
import type { Approval } from '../shared/approval';
import { parseDurationMs } from '../shared/validation';
import type { ReconcileInput, ReconcileResult, ReconcileStatus } from '../workflows/reconcile';
import { cliApproval, starterPolicy } from './approval';
import { ExitCode, taskQueueOf, type StarterIO } from './cli';
import { fileFlag, loadOrReport, reconcileInput } from './desired-state';
import { COMMON_FLAGS, type FlagProblem, type FlagSpecs } from './flags';
import { actionFlags, scheduleEntry, timingFlags, type ScheduleCommand } from './schedule';

const flags = {
  file: {
    ...fileFlag,
    description: `${fileFlag.description}; its content now is what the schedule checks`,
  },
  ...timingFlags({
    what: 'run',
    run: 'run',
    cronExample: '0 */6 * * *',
    interval: { name: 'every', description: 'run every DURATION, e.g. 6h (default 1d)' },
    defaultScheduleId: workflowIds.reconcileSchedule('<name>'),
  }),
  'auto-apply': {
    type: 'boolean',
    description: 'apply the file on each run (default: plan only, reporting drift)',
  },
  'auto-approve': {
    type: 'boolean',
    description: 'with --auto-apply: destructive changes too, without waiting for approval',
  },
  'approval-timeout': {
    type: 'string',
    valueName: 'DURATION',
    description: 'with --auto-apply: how long destructive changes wait for a decision (default 24h)',
  },
  ...actionFlags('run'),
} as const satisfies FlagSpecs;

const commonFlags = {
  'task-queue': COMMON_FLAGS['task-queue'],
  json: COMMON_FLAGS.json,
  help: COMMON_FLAGS.help,
};

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** What the memo records of a scheduled reconcile: the settings, and the file's content by its hash. */
function memoInput(input: ReconcileInput) {
  const { desired, ...settings } = input;
  return { ...settings, desiredSha256: sha256(desired) };
}

type Values = { [K in keyof typeof flags]?: string | boolean } & { 'task-queue'?: string };

function checkFlags(v: Values, acting: boolean, problems: FlagProblem[]): void {
  if (v.file === undefined && (!acting || v['schedule-id'] === undefined))
    problems.push({ flag: '-f/--file', message: acting ? 'is required (or --schedule-id)' : 'is required' });
  if (v['auto-approve'] && !v['auto-apply'])
    problems.push({ flag: '--auto-approve', message: 'needs --auto-apply' });
  const timeout = v['approval-timeout'] as string | undefined;
  if (timeout !== undefined && !v['auto-apply'])
    problems.push({ flag: '--approval-timeout', message: 'needs --auto-apply' });
  else if (timeout !== undefined && !((parseDurationMs(timeout) ?? 0) >= 60_000))
    problems.push({ flag: '--approval-timeout', message: 'must be a duration of at least 1m, e.g. 2h' });
  for (const flag of ['schedule-id', 'task-queue'] as const) {
    if (v[flag] === '') problems.push({ flag: `--${flag}`, message: 'must not be empty' });
  }
}

/** What each scheduled run gets, with the approval policy's answer; undefined after a problem with the policy. */
function scheduledInput(
  loaded: LoadedState,
  v: Values,
  scheduleId: string,
  env: StarterIO['env'],
  problems: FlagProblem[],
): ReconcileInput | undefined {
  const mode = v['auto-apply'] ? 'apply' : 'plan';
  // Fixed, so that running the command again as someone else changes nothing.
  const requestedBy = `schedule ${scheduleId}`;
  let approval: Approval | undefined;
  try {
    const facts = { mode, desired: loaded.state };
    approval = cliApproval(starterPolicy(env), reconcileKind.workflowType, facts, requestedBy);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push({ flag: '', message: err.message });
    return undefined;
  }
  if (v['auto-approve'] && approval?.required) {
    problems.push({
      flag: '--auto-approve',
      message: `the approval policy requires an approval for destructive changes (${approval.reasons.join('; ')})`,
    });
    return undefined;
  }
  const timeout = v['approval-timeout'] as string | undefined;
  return reconcileInput(loaded, mode, {
    ...(mode === 'plan' ? { notifyDrift: true } : {}),
    ...(v['auto-approve'] ? { autoApprove: true } : {}),
    ...(timeout !== undefined ? { approvalTimeout: timeout } : {}),
    requestedBy,
    ...(approval && mode === 'apply' ? { approval } : {}),
  });
}

const command: ScheduleCommand<typeof flags> = {
  name: 'schedule-reconcile',
  summary:
    'Creates or updates a Temporal Schedule that reconciles a desired-state file with the account (default: ' +
    'daily). Each run plans in a reconcile workflow and reports drift (posting a signed summary when the ' +
    'worker has DRIFT_WEBHOOK_URL and DRIFT_WEBHOOK_HMAC_SECRET), or with --auto-apply applies the file; ' +
    'destructive changes still wait for `npm run apply -- -f FILE --approve` unless --auto-approve. The ' +
    'schedule carries the file as it is now: run the command again after editing the file to update it ' +
    '("unchanged" when nothing differs). --describe/--pause/--unpause/--trigger-now/--delete act on the ' +
    'existing schedule.',
  flags,
  commonFlags,
  examples: [
    'npm run schedule-reconcile -- -f cloud-ops.yaml --every 6h',
    'npm run schedule-reconcile -- -f cloud-ops.yaml --cron "0 6 * * 1-5" --auto-apply',
    'npm run schedule-reconcile -- -f cloud-ops.yaml --describe',
    'npm run schedule-reconcile -- -f cloud-ops.yaml --delete',
  ],
  exitCodes:
    'Exit codes: 0 success, 1 bad file or no such schedule, 2 bad flags, 3 could not reach Temporal.',
  intervalFlag: 'every',
  defaultIntervalMs: 86_400_000,
  kindLabel: 'reconcile run',
  run: 'run',
  async target(values, { action, env, problems, out }) {
    const v = values as Values;
    const file = v.file as string | undefined;
    const id = v['schedule-id'] as string | undefined;
    checkFlags(v, action !== undefined, problems);
    if (problems.length > 0 || (action && id !== undefined && file === undefined))
      return { scheduleId: id ?? '' };
    // A bad file is reported like plan and apply report it: every problem, exit 1, nothing contacted.
    const loaded = await loadOrReport(file!, out);
    if (!loaded) return ExitCode.WorkflowFailed;
    const scheduleId = id ?? workflowIds.reconcileSchedule(loaded.name);
    if (action) return { scheduleId };
    const input = scheduledInput(loaded, v, scheduleId, env, problems);
    if (!input) return { scheduleId };
    return {
      scheduleId,
      workflow: {
        workflowType: reconcileKind.workflowType,
        workflowId: scheduledReconcileId(scheduleId, input.mode),
        taskQueue: taskQueueOf(v, env),
        input,
        memoInput: memoInput(input),
      },
    };
  },
  describeInput(input) {
    const i = input as ReconcileInput | undefined;
    if (!i?.desired) return { reconcile: input };
    const { desired, ...settings } = i;
    return {
      reconcile: {
        ...settings,
        desired: {
          namespaces: desired.namespaces?.map((n) => n.name) ?? [],
          serviceAccounts: desired.serviceAccounts?.map((s) => s.name) ?? [],
          users: desired.users?.map((u) => u.email) ?? [],
          ...(desired.prune ? { prune: desired.prune } : {}),
          sha256: sha256(desired),
        },
      },
    };
  },
  /** Whether each recent run found drift, and what it did. */
  async describeRun(run) {
    const { status } = await run.describe();
    if (status.name === 'RUNNING') {
      const s = await run.query<ReconcileStatus>(STATUS_QUERY).catch(() => undefined);
      return { status: status.name, ...(s ? { step: s.step } : {}) };
    }
    if (status.name !== 'COMPLETED') return { status: status.name };
    const r = (await run.result()) as ReconcileResult;
    return {
      status: status.name,
      outcome: r.outcome,
      drift: r.drift,
      changes: r.plan.changes.length,
      ...(r.notified ? { notified: r.notified } : {}),
    };
  },
  describeInputChange(previous, wanted) {
    const before = (previous ?? {}) as Record<string, unknown>;
    const after = wanted as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    // An edit made elsewhere (the memo agrees, the schedule's arguments do not).
    if (changed.length === 0) return ['input: changed outside this command'];
    return changed.map((k) =>
      k === 'desiredSha256'
        ? `desired state: the file changed (sha256 ${String(before[k] ?? 'none').slice(0, 12)} → ${String(after[k]).slice(0, 12)})`
        : `${k}: ${JSON.stringify(before[k] ?? null)} → ${JSON.stringify(after[k] ?? null)}`,
    );
  },
};

export const main = scheduleEntry(command, module);
