// What the portal reads of one run beyond its visibility row: status query, last event time, recorded approval.
import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { withoutSecrets } from '../requests/run-results';
import { approvalRequirement, type Approval } from '../shared/approval';
import { validate } from '../shared/validation';

export interface RunReads {
  /** The `status` query's answer without secrets; undefined when the run does not answer in time. */
  status(workflowId: string, runId: string): Promise<Record<string, unknown> | undefined>;
  /** The time of the run's latest history event: when it entered the step it is in (signals aside). */
  lastEventTime(workflowId: string, runId: string): Promise<Date | undefined>;
  /** The approval requirement in the run's input: 'none' when it records none, 'unread' when it could not be read. */
  approval(workflowId: string, runId: string): Promise<Approval | 'none' | 'unread'>;
}

/** Runs whose recorded approval is remembered (a run's id and its answer: a few hundred bytes each). */
const REMEMBERED_RUNS = 5_000;

export function runReads(client: Client, timeoutMs: number): RunReads {
  const namespace = client.options.namespace;
  const within = <T>(fn: () => Promise<T>) => client.connection.withDeadline(Date.now() + timeoutMs, fn);
  const approvals = new Map<string, Approval | 'none'>();

  const readApproval = async (workflowId: string, runId: string): Promise<Approval | 'none'> => {
    const res = await within(() =>
      client.workflowService.getWorkflowExecutionHistory({
        namespace,
        execution: { workflowId, runId },
        maximumPageSize: 1,
      }),
    );
    const payloads = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const [input] = await decodeArrayFromPayloads(client.options.loadedDataConverter, payloads, {
      type: 'workflow',
      namespace,
      workflowId,
    });
    const recorded = (input as { approval?: unknown } | undefined)?.approval;
    const checked = recorded === undefined ? undefined : validate(approvalRequirement, recorded);
    return checked?.ok ? checked.value : 'none';
  };

  return {
    async status(workflowId, runId) {
      const handle = client.workflow.getHandle(workflowId, runId, { followRuns: false });
      const answer = await within(() => handle.query<unknown>('status')).catch(() => undefined);
      return answer && typeof answer === 'object'
        ? (withoutSecrets(answer) as Record<string, unknown>)
        : undefined;
    },

    async lastEventTime(workflowId, runId) {
      try {
        const res = await within(() =>
          client.workflowService.getWorkflowExecutionHistoryReverse({
            namespace,
            execution: { workflowId, runId },
            maximumPageSize: 1,
          }),
        );
        const ms = optionalTsToMs(res.history?.events?.[0]?.eventTime);
        return ms === undefined ? undefined : new Date(ms);
      } catch {
        return undefined;
      }
    },

    async approval(workflowId, runId) {
      const known = approvals.get(runId);
      if (known) return known;
      let found: Approval | 'none';
      try {
        found = await readApproval(workflowId, runId);
      } catch {
        return 'unread'; // Not remembered: asked again next time.
      }
      if (approvals.size >= REMEMBERED_RUNS) approvals.delete(approvals.keys().next().value!);
      approvals.set(runId, found);
      return found;
    },
  };
}
