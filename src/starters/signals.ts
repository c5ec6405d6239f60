// Sending signals (approve, confirmCutover, abort, ...) to the running run of a starter's workflow id.
import type { Workflow } from '@temporalio/common';
import type { ConnectedClient } from '../client';
import { requesterOf } from './approval';
import {
  ExitCode,
  failureChain,
  loadClientModule,
  prepareStart,
  runStarter,
  UsageError,
  type FlagSpecs,
  type StarterDefinition,
  type StarterIO,
} from './cli';

const defaultIO = (): StarterIO => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

export interface SignalRequest {
  /** Signal name as the workflow defines it. */
  name: string;
  args: unknown[];
  /** Past tense for the message, e.g. "approved". */
  done: string;
  /** Send it only once the run's status says this step (e.g. awaiting-approval), waiting up to a minute for it. */
  atStep?: string;
}

/** --approve / --reject of a run that waits for an approval (the shared decision gate's signals). */
export const DECISION_FLAGS = {
  approve: {
    type: 'boolean',
    description: 'approve what the running request waits for (needs --approver; never the requester)',
  },
  reject: { type: 'boolean', description: 'reject it: nothing is changed' },
  approver: { type: 'string', valueName: 'NAME', description: 'who decides (recorded in the result)' },
  reason: { type: 'string', valueName: 'TEXT', description: 'comment recorded with --approve/--reject' },
} as const satisfies FlagSpecs;

/** The approve or reject signal the decision flags ask for. */
export function decisionRequest(
  values: { approve?: boolean; approver?: string | undefined; reason?: string | undefined },
  env: Record<string, string | undefined>,
): SignalRequest {
  if (values.approve) {
    return {
      name: 'approve',
      args: [{ approver: values.approver, ...(values.reason ? { comment: values.reason } : {}) }],
      done: 'approved',
      atStep: 'awaiting-approval',
    };
  }
  // Without --approver, whoever runs it: the requester may call off their own request.
  return {
    name: 'reject',
    args: [
      { approver: requesterOf(values.approver, env), ...(values.reason ? { reason: values.reason } : {}) },
    ],
    done: 'rejected',
    atStep: 'awaiting-approval',
  };
}

interface DecisionView {
  step?: string;
  refusedDecisions?: Array<{ action: string; by: string; reason: string }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a signal to the running run of the starter's workflow id (from the same flags that would start
 * it). Refuses, exit 1, when no run with that id is running: signals never start anything.
 */
export async function signalRunning<W extends Workflow, F extends FlagSpecs>(
  def: StarterDefinition<W, F>,
  argv: readonly string[],
  signal: SignalRequest,
  io: StarterIO = defaultIO(),
): Promise<ExitCode> {
  // --help only shows help: next to a signal flag it must not send the signal.
  if (argv.includes('--help') || argv.includes('-h')) return runStarter(def, argv, io);
  const json = argv.includes('--json');
  const say = (line: string) => io.stderr.write(`${def.name}: ${line}\n`);
  const emit = (doc: Record<string, unknown>) => {
    if (json) io.stdout.write(`${JSON.stringify(doc)}\n`);
  };
  let workflowId: string;
  try {
    ({ workflowId } = await prepareStart(def, argv, io.env));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    for (const p of err.problems) say(p.flag ? `${p.flag}: ${p.message}` : p.message);
    emit({ ok: false, error: { kind: 'usage', message: err.message, problems: err.problems } });
    return ExitCode.Usage;
  }
  let connected: ConnectedClient;
  try {
    connected = await (io.connect ?? loadClientModule().connectClient)({ env: io.env });
  } catch (err) {
    say((err as Error).message);
    emit({ ok: false, error: { kind: 'temporal', message: (err as Error).message } });
    return ExitCode.Temporal;
  }
  try {
    const handle = connected.client.workflow.getHandle(workflowId);
    const info = await handle.describe().catch(() => undefined);
    if (info?.status.name !== 'RUNNING') {
      const what = info ? `its latest run is ${info.status.name}` : 'there is no such workflow';
      say(`nothing to signal: no running ${workflowId} (${what})`);
      emit({ ok: false, workflowId, error: { kind: 'not-running', message: what } });
      return ExitCode.WorkflowFailed;
    }
    const query = () =>
      connected.client.workflow
        .getHandle(workflowId, info.runId)
        .query<DecisionView>('status')
        .catch(() => undefined);
    let before = await query();
    for (let waited = 0; signal.atStep && before?.step !== signal.atStep && waited < 60_000; waited += 500) {
      if (waited === 0)
        say(`waiting for ${workflowId} to reach ${signal.atStep} (now: ${before?.step ?? '?'})`);
      await sleep(500);
      before = await query();
    }
    if (signal.atStep && before?.step !== signal.atStep) {
      say(
        `nothing to ${signal.name}: ${workflowId} is at ${before?.step ?? 'an unknown step'}, not ${signal.atStep}`,
      );
      emit({ ok: false, workflowId, error: { kind: 'not-waiting', message: `step ${before?.step}` } });
      return ExitCode.WorkflowFailed;
    }
    await handle.signal(signal.name, ...signal.args);
    // The run judges the decision itself (requester, approvers): say so when it refused this one.
    const refused = await refusalOf(query, before?.refusedDecisions?.length ?? 0, signal.name);
    if (refused) {
      say(`${workflowId} refused the ${signal.name} by ${refused.by}: ${refused.reason}`);
      emit({ ok: false, workflowId, runId: info.runId, error: { kind: 'refused', message: refused.reason } });
      return ExitCode.WorkflowFailed;
    }
    const line = `${signal.done}: sent ${signal.name} to ${workflowId} (run ${info.runId})`;
    if (!argv.includes('--wait')) {
      if (json) emit({ ok: true, workflowId, runId: info.runId, signal: signal.name });
      else io.stdout.write(`${line}\n`);
      return ExitCode.Ok;
    }
    say(line);
    try {
      const result: unknown = await connected.client.workflow.getHandle(workflowId, info.runId).result();
      if (json) emit({ ok: true, workflowId, runId: info.runId, signal: signal.name, result });
      else io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return ExitCode.Ok;
    } catch (err) {
      const [head, ...causes] = failureChain(err);
      say(`workflow ${workflowId} failed: ${head?.message ?? String(err)}`);
      emit({
        ok: false,
        workflowId,
        runId: info.runId,
        error: { kind: 'workflow', message: head?.message, causes },
      });
      return ExitCode.WorkflowFailed;
    }
  } catch (err) {
    say(`Temporal call failed: ${err instanceof Error ? err.message : String(err)}`);
    emit({ ok: false, workflowId, error: { kind: 'temporal', message: String(err) } });
    return ExitCode.Temporal;
  } finally {
    await connected.close().catch(() => undefined);
  }
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
