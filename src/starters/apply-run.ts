// `npm run apply -- -f FILE`: starts (or follows) the apply of the file and shows it until it ends.
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { reconcileKind } from '../catalog';
import type { LoadedState } from '../desired-state/load';
import type { Approval } from '../shared/approval';
import { REQUEST_MEMO } from '../shared/request-memo';
import type { reconcile, ReconcileResult } from '../workflows/reconcile';
import {
  ExitCode,
  isWorkflowFailedError,
  reportWorkflowFailure,
  taskQueueOf,
  type Output,
  type StarterIO,
} from './cli';
import { follow, reconcileInput, startOrJoin } from './desired-state';
import { applyAgain, Progress } from './apply-progress';

export interface ApplyValues {
  'auto-approve': boolean;
  'approval-timeout'?: string | undefined;
  'requested-by'?: string | undefined;
  concurrency?: number | undefined;
  'no-wait': boolean;
  'task-queue'?: string | undefined;
}

/** The run this process is waiting for, named when Ctrl-C stops the wait or Temporal goes away. */
export const following: { workflowId?: string | undefined } = {};

export async function applyFile(
  client: Client,
  loaded: LoadedState,
  values: ApplyValues,
  io: StarterIO,
  out: Output,
  approval: Approval | undefined,
): Promise<ExitCode> {
  const requestedBy = values['requested-by'] ?? io.env.USER;
  const input = reconcileInput(loaded, 'apply', {
    ...(values['auto-approve'] ? { autoApprove: true } : {}),
    ...(values['approval-timeout'] ? { approvalTimeout: values['approval-timeout'] } : {}),
    ...(values.concurrency !== undefined ? { concurrency: values.concurrency } : {}),
    ...(requestedBy ? { requestedBy } : {}),
  });
  const workflowId = reconcileKind.workflowId(input);
  const taskQueue = taskQueueOf(values, io.env);
  const started = await startOrJoin<typeof reconcile>(
    client,
    reconcileKind.workflowType,
    {
      workflowId,
      taskQueue,
      args: [approval ? { ...input, approval } : input],
      sameRequest: [input],
      workflowIdReusePolicy: reconcileKind.reusePolicy,
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
    if (!out.json) io.stdout.write(`${workflowId} runs; follow it with: ${applyAgain(loaded)}\n`);
    return ExitCode.Ok;
  }
  return followApply(client, started.handle, loaded, { ids, taskQueue }, io, out);
}

/** Shows the apply until it ends: exit 0 when applied (or nothing to change), 1 otherwise. */
async function followApply(
  client: Client,
  handle: Parameters<typeof follow>[0],
  loaded: LoadedState,
  o: { ids: Record<string, unknown> & { workflowId: string }; taskQueue: string },
  io: StarterIO,
  out: Output,
): Promise<ExitCode> {
  const { ids } = o;
  out.say('waiting for it (Ctrl-C stops waiting; the workflow keeps running)');
  following.workflowId = ids.workflowId;
  const view = new Progress(loaded, out);
  let result: ReconcileResult;
  try {
    result = await follow<ReconcileResult>(handle, (s) => view.status(s), {
      intervalMs: io.pollIntervalMs ?? 1000,
      taskQueue: o.taskQueue,
      out,
      client,
    });
  } catch (err) {
    if (!isWorkflowFailedError(err)) throw err;
    // An incomplete apply carries its result: what was done before and besides the failures.
    const partial = (err.cause instanceof ApplicationFailure ? err.cause.details?.[0] : undefined) as
      ReconcileResult | undefined;
    if (partial) view.finish(partial);
    const doc = { ...ids, status: 'FAILED', ...(partial ? { result: partial } : {}) };
    reportWorkflowFailure(out, err, `${ids.workflowId} failed`, doc);
    return ExitCode.WorkflowFailed;
  }
  view.finish(result);
  const ok = result.outcome === 'applied' || result.outcome === 'no-changes';
  out.emit({ ok, ...ids, status: 'COMPLETED', outcome: result.outcome, result });
  return ok ? ExitCode.Ok : ExitCode.WorkflowFailed;
}
