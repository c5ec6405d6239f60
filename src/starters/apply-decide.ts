// `npm run apply -- -f FILE --approve|--reject`: the decision on the plan the running apply of the file waits for.
import type { Client } from '@temporalio/client';
import { reconcileKind, STATUS_QUERY, workflowIds } from '../catalog';
import { DECISION_SIGNALS } from '../catalog/flags';
import { formatPlan } from '../desired-state/format';
import type { LoadedState } from '../desired-state/load';
import type { ApproveReconcile, ReconcileStatus, RejectReconcile } from '../workflows/reconcile';
import { ExitCode, type Output, type StarterIO } from './cli';

export interface DecisionValues {
  approve: boolean;
  approver?: string | undefined;
  reason?: string | undefined;
  'workflow-id'?: string | undefined;
}

interface RunningApply {
  workflowId: string;
  runId: string;
  status?: ReconcileStatus;
}

/** Sends approve (with the fingerprint of the plan the run shows) or reject to the apply waiting for it. */
export async function decide(
  client: Client,
  loaded: LoadedState,
  values: DecisionValues,
  env: StarterIO['env'],
  out: Output,
): Promise<ExitCode> {
  const verb = values.approve ? 'approve' : 'reject';
  const candidates = values['workflow-id']
    ? [values['workflow-id']]
    : [
        reconcileKind.workflowId({ name: loaded.name, mode: 'apply', desired: loaded.state }),
        ...(await scheduledRuns(client, loaded.name)),
      ];
  const running = await runningApplies(client, candidates);
  const waiting = running.filter((r) => r.status?.step === 'awaiting-approval');
  if (waiting.length !== 1) return nothingToDecide(loaded, candidates, running, waiting, verb, out);
  const [{ workflowId, runId, status }] = waiting as [Required<RunningApply>];
  const fingerprint = status.awaitingApproval!.fingerprint;
  if (status.plan)
    out.show(
      `${workflowId} (run ${runId}) waits for a decision on this plan:\n\n${formatPlan(status.plan)}\n`,
    );
  const handle = client.workflow.getHandle(workflowId, runId);
  if (values.approve) {
    await handle.signal<[ApproveReconcile]>(DECISION_SIGNALS.approve.signal, {
      approver: values.approver!,
      fingerprint,
    });
  } else {
    const approver = values.approver ?? env.USER;
    await handle.signal<[RejectReconcile]>(DECISION_SIGNALS.reject.signal, {
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

/** The candidates that are running, with their status where they answer. */
async function runningApplies(client: Client, candidates: string[]): Promise<RunningApply[]> {
  const running: RunningApply[] = [];
  for (const workflowId of candidates) {
    const info = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (info?.status.name !== 'RUNNING') continue;
    const status = await client.workflow
      .getHandle(workflowId, info.runId)
      .query<ReconcileStatus>(STATUS_QUERY)
      .catch(() => undefined);
    running.push({ workflowId, runId: info.runId, ...(status ? { status } : {}) });
  }
  return running;
}

/** None waits for a decision (exit 1), or several do (exit 2: --workflow-id picks one). */
function nothingToDecide(
  loaded: LoadedState,
  candidates: string[],
  running: RunningApply[],
  waiting: RunningApply[],
  verb: string,
  out: Output,
): ExitCode {
  if (waiting.length > 1) {
    const message = `${waiting.length} runs wait for a decision (${waiting.map((w) => w.workflowId).join(', ')}): pass --workflow-id`;
    out.say(message);
    out.emit({ ok: false, name: loaded.name, error: { kind: 'ambiguous', message } });
    return ExitCode.Usage;
  }
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

/**
 * The runs the schedule of this desired state started lately (see schedule-reconcile); the caller keeps
 * those still running. Recent actions too: the server does not always list a run among the running ones.
 */
async function scheduledRuns(client: Client, name: string): Promise<string[]> {
  const schedule = await client.schedule
    .getHandle(workflowIds.reconcileSchedule(name))
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
