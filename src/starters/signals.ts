// Sending a signal (approve, confirmCutover, abort, ...) to the running run of a starter's business key: a starter's
// signal flags (src/catalog, `starter.signals`) do this instead of starting anything.
import type { Client } from '@temporalio/client';
import { STATUS_QUERY, type AnyKind } from '../catalog';
import {
  defaultIO,
  ExitCode,
  output,
  reportFailure,
  reportTemporalFailure,
  withClient,
  type Output,
  type StarterIO,
} from './cli';
import { wantsHelp } from './flags';
import { prepareOrReport, runStarter } from './starter';

export interface SignalRequest {
  /** Signal name as the workflow defines it. */
  name: string;
  args: unknown[];
  /** Past tense for the message, e.g. "approved". */
  done: string;
  /** Send it only once the run's status says this step (e.g. awaiting-approval), waiting up to a minute for it. */
  atStep?: string | undefined;
}

interface DecisionView {
  step?: string;
  /** Waiting for an approval in another step (an extension of granted access): as awaiting-approval. */
  awaitingApproval?: boolean;
  refusedDecisions?: Array<{ action: string; by: string; reason: string }>;
}

const stepOf = (view: DecisionView | undefined) =>
  view?.awaitingApproval === true ? 'awaiting-approval' : view?.step;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a signal to the running run of the starter's workflow id (from the same flags that would start
 * it). Refuses, exit 1, when no run with that id is running: signals never start anything.
 */
export async function signalRunning(
  kind: AnyKind,
  argv: readonly string[],
  signal: SignalRequest,
  io: StarterIO = defaultIO(),
): Promise<ExitCode> {
  // --help only shows help: next to a signal flag it must not send the signal.
  if (wantsHelp(argv)) return runStarter(kind, argv, io);
  const out = output(kind.starter!.name, argv, io);
  const prepared = await prepareOrReport(kind, argv, io, out, 'signal');
  if (typeof prepared === 'number') return prepared;
  const { workflowId } = prepared;
  return withClient(io, out, async (client) => {
    try {
      const info = await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined);
      if (info?.status.name !== 'RUNNING') {
        const what = info ? `its latest run is ${info.status.name}` : 'there is no such workflow';
        out.say(`nothing to signal: no running ${workflowId} (${what})`);
        out.emit({ ok: false, workflowId, error: { kind: 'not-running', message: what } });
        return ExitCode.WorkflowFailed;
      }
      return await signalRun(client, { workflowId, runId: info.runId }, signal, argv, out);
    } catch (err) {
      reportTemporalFailure(out, err, { workflowId });
      return ExitCode.Temporal;
    }
  });
}

async function signalRun(
  client: Client,
  run: { workflowId: string; runId: string },
  signal: SignalRequest,
  argv: readonly string[],
  out: Output,
): Promise<ExitCode> {
  const { workflowId, runId } = run;
  const query = () =>
    client.workflow
      .getHandle(workflowId, runId)
      .query<DecisionView>(STATUS_QUERY)
      .catch(() => undefined);
  const before = await untilAtStep(query, signal.atStep, workflowId, out);
  if (signal.atStep && stepOf(before) !== signal.atStep) {
    out.say(
      `nothing to ${signal.name}: ${workflowId} is at ${stepOf(before) ?? 'an unknown step'}, not ${signal.atStep}`,
    );
    out.emit({ ok: false, workflowId, error: { kind: 'not-waiting', message: `step ${stepOf(before)}` } });
    return ExitCode.WorkflowFailed;
  }
  await client.workflow.getHandle(workflowId).signal(signal.name, ...signal.args);
  // The run judges the decision itself (requester, approvers): say so when it refused this one.
  const refused = await refusalOf(query, before?.refusedDecisions?.length ?? 0, signal.name);
  if (refused) {
    out.say(`${workflowId} refused the ${signal.name} by ${refused.by}: ${refused.reason}`);
    out.emit({ ok: false, workflowId, runId, error: { kind: 'refused', message: refused.reason } });
    return ExitCode.WorkflowFailed;
  }
  const line = `${signal.done}: sent ${signal.name} to ${workflowId} (run ${runId})`;
  const ids = { workflowId, runId, signal: signal.name };
  if (!argv.includes('--wait')) {
    out.report({ ok: true, ...ids }, line);
    return ExitCode.Ok;
  }
  out.say(line);
  try {
    const result: unknown = await client.workflow.getHandle(workflowId, runId).result();
    out.report({ ok: true, ...ids, result }, JSON.stringify(result, null, 2));
    return ExitCode.Ok;
  } catch (err) {
    return reportFailure(out, err, `workflow ${workflowId} failed`, { workflowId, runId });
  }
}

/** The run's status once it shows `step` (waiting up to a minute), or as it is when no step is asked for. */
async function untilAtStep(
  query: () => Promise<DecisionView | undefined>,
  step: string | undefined,
  workflowId: string,
  out: Output,
): Promise<DecisionView | undefined> {
  let now = await query();
  for (let waited = 0; step && stepOf(now) !== step && waited < 60_000; waited += 500) {
    if (waited === 0) out.say(`waiting for ${workflowId} to reach ${step} (now: ${stepOf(now) ?? '?'})`);
    await sleep(500);
    now = await query();
  }
  return now;
}

/** The refusal the run recorded for this signal, if it records one within a few seconds. */
async function refusalOf(
  query: () => Promise<DecisionView | undefined>,
  seen: number,
  action: string,
): Promise<{ by: string; reason: string } | undefined> {
  for (let i = 0; i < 10; i++) {
    const now = await query();
    const fresh = (now?.refusedDecisions ?? []).slice(seen).find((r) => r.action === action);
    if (fresh) return fresh;
    if ((now?.refusedDecisions?.length ?? 0) >= seen && i >= 2) return undefined;
    await sleep(200);
  }
  return undefined;
}
