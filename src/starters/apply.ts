// npm run apply -- -f cloud-ops.yaml [--auto-approve]             make the account match the file
// npm run apply -- -f cloud-ops.yaml --approve --approver alice     approve what the running apply waits for
// npm run apply -- -f cloud-ops.yaml --reject --reason "..."        or reject it
import { DECISION_FLAGS } from '../catalog/flags';
import { ConfigError } from '../config';
import type { LoadedState } from '../desired-state/load';
import type { Approval } from '../shared/approval';
import { parseDurationMs } from '../shared/validation';
import { decide } from './apply-decide';
import { applyFile, following, type ApplyValues } from './apply-run';
import { cliApproval, requesterOf, starterPolicy } from './approval';
import {
  defaultIO,
  ExitCode,
  exitWith,
  reportTemporalFailure,
  reportUsage,
  withClient,
  type Output,
  type StarterIO,
} from './cli';
import { nonEmpty, runCommand } from './command';
import { DESIRED_STATE_COMMON_FLAGS, fileFlag, loadOrReport, requireFile } from './desired-state';
import type { FlagProblem, FlagValues } from './flags';

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
  ...DECISION_FLAGS,
  approve: {
    type: 'boolean',
    description: "approve the plan the running apply of this file's name waits for (needs --approver)",
  },
  reject: { type: 'boolean', description: 'reject it: the apply changes nothing' },
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

type Values = FlagValues<typeof flags> & FlagValues<typeof DESIRED_STATE_COMMON_FLAGS>;

/** Flags for starting an apply, and those for deciding on one, never mixed. */
function checkFlags(values: Values, problems: FlagProblem[]): void {
  const given = (flag: keyof Values) => values[flag] !== undefined && values[flag] !== false;
  requireFile(values, problems);
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
  nonEmpty(values, ['task-queue', 'requested-by', 'approver', 'workflow-id'], problems);
}

export function main(argv: readonly string[], io: StarterIO = defaultIO()): Promise<ExitCode> {
  return runCommand(applyCommand, argv, io, {
    check: checkFlags,
    async run(values, out) {
      const loaded = await loadOrReport(values.file!, out);
      if (!loaded) return ExitCode.WorkflowFailed;
      const deciding = values.approve || values.reject;
      // The approval policy's answer: who asks, who may approve; --auto-approve cannot lower it.
      const approval = deciding ? undefined : approvalOrReport(loaded, values, io, out);
      if (typeof approval === 'number') return approval;
      return withClient(io, out, async (client) => {
        try {
          return deciding
            ? await decide(client, loaded, values, io.env, out)
            : await applyFile(client, loaded, values as ApplyValues, io, out, approval);
        } catch (err) {
          const note = following.workflowId ? ` (${following.workflowId} keeps running)` : '';
          reportTemporalFailure(out, err, {}, note);
          return ExitCode.Temporal;
        } finally {
          following.workflowId = undefined;
        }
      });
    },
  });
}

/** The policy's answer for this apply, or exit 2 after saying why (a bad policy, a lowering --auto-approve). */
function approvalOrReport(
  loaded: LoadedState,
  values: Values,
  io: StarterIO,
  out: Output,
): Approval | undefined | ExitCode {
  const requestedBy = requesterOf(values['requested-by'], io.env);
  let approval: Approval | undefined;
  try {
    approval = cliApproval(
      starterPolicy(io.env),
      'reconcile',
      { mode: 'apply', desired: loaded.state },
      requestedBy,
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    reportUsage(out, [{ flag: '', message: err.message }]);
    return ExitCode.Usage;
  }
  if (values['auto-approve'] && approval?.required) {
    const message =
      `the approval policy requires an approval for destructive changes (${approval.reasons.join('; ')}); ` +
      'it cannot be skipped';
    reportUsage(out, [{ flag: '--auto-approve', message }]);
    return ExitCode.Usage;
  }
  return approval;
}

if (require.main === module) {
  process.once('SIGINT', () => {
    const still = following.workflowId
      ? `; ${following.workflowId} keeps running (the same command follows it again)`
      : '';
    process.stderr.write(`\napply: stopped waiting${still}\n`);
    process.exit(130);
  });
  exitWith(applyCommand.name, () => main(process.argv.slice(2)));
}
