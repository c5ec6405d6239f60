// Sending signals (approve, confirmCutover, abort, ...) to the running run of a starter's workflow id.
import type { Workflow } from '@temporalio/common';
import type { ConnectedClient } from '../client';
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
}

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
    await handle.signal(signal.name, ...signal.args);
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
