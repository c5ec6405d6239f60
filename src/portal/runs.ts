// The portal's view of Temporal: the requests (runs the portal and the events endpoint started, recognised by their
// memo) from the visibility list, one run in detail from describe + its `status` query + its outcome, and the runs
// of this task queue that wait for a decision. Nothing here needs a custom search attribute, so it works as well
// against Temporal Cloud as against the embedded dev server.
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { REQUEST_MEMO } from '../requests/intake';
import { runFailure, withoutSecrets, type RunFailure } from '../requests/run-results';
import { forEachLimited } from '../shared/concurrency';
import { FLEET_LIMITER } from '../shared/fleet-limits';
import { pendingDecision, type PendingDecision } from './decisions';

export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: WorkflowExecutionStatusName;
  startTime: Date;
  closeTime?: Date;
  requestedBy?: string;
  /** `portal` or `events`; absent for runs started otherwise (CLI, schedules, parents). */
  source?: string;
  /** The current step (running runs whose `status` query answered). */
  step?: string;
  /** When the run last recorded an event: since when it has been in this step. */
  stepSince?: Date;
  uiUrl?: string;
}

export type { RunFailure } from '../requests/run-results';

export interface RunDetail extends RunSummary {
  /** The `status` query's answer, without secrets. */
  progress?: Record<string, unknown>;
  result?: unknown;
  failure?: RunFailure;
  decision?: PendingDecision;
}

export interface Waiting {
  run: RunSummary;
  progress: Record<string, unknown>;
  decision: PendingDecision;
}

export const STATUS_FILTERS = [
  'Running',
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
  'TimedOut',
  'ContinuedAsNew',
] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export interface ListFilter {
  workflowType?: string;
  status?: StatusFilter;
}

export interface RunsOptions {
  client: Client;
  taskQueue: string;
  /** Temporal Web UI base, for links. */
  uiUrl?: string;
  /** Per `status` query; default 3 s (a closed run is replayed by a worker to answer). */
  queryTimeoutMs?: number;
  /** Visibility rows read per list; default 300. */
  scanLimit?: number;
}

export interface Runs {
  /** Newest first. */
  list(filter: ListFilter, limit?: number): Promise<RunSummary[]>;
  /** Undefined when there is no such run on this task queue. */
  get(workflowId: string, runId?: string): Promise<RunDetail | undefined>;
  /** Running runs of this task queue whose status asks for a decision, oldest wait first. */
  waiting(): Promise<Waiting[]>;
  signal(workflowId: string, runId: string, name: string, args: unknown[]): Promise<void>;
  uiLink(workflowId: string, runId: string): string | undefined;
}

/** Visibility query literal: the values are ours or from a fixed list, quoted all the same. */
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function createRuns(opts: RunsOptions): Runs {
  const { client, taskQueue } = opts;
  const namespace = client.options.namespace;
  const queryTimeoutMs = opts.queryTimeoutMs ?? 3_000;
  const scanLimit = opts.scanLimit ?? 300;

  const uiLink = (workflowId: string, runId: string) =>
    opts.uiUrl
      ? `${opts.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`
      : undefined;

  const summary = (info: Omit<WorkflowExecutionInfo, 'raw'>): RunSummary => {
    const memo = info.memo ?? {};
    const text = (k: string) => (typeof memo[k] === 'string' ? (memo[k] as string) : undefined);
    // Runs the events endpoint started before runs were tagged carry only the event id.
    const source = text(REQUEST_MEMO.source) ?? (text(REQUEST_MEMO.eventId) ? 'events' : undefined);
    const requestedBy = text(REQUEST_MEMO.requestedBy);
    const link = uiLink(info.workflowId, info.runId);
    return {
      workflowId: info.workflowId,
      runId: info.runId,
      type: info.type,
      status: info.status.name,
      startTime: info.startTime,
      ...(info.closeTime ? { closeTime: info.closeTime } : {}),
      ...(requestedBy ? { requestedBy } : {}),
      ...(source ? { source } : {}),
      ...(link ? { uiUrl: link } : {}),
    };
  };

  const queryStatus = async (
    workflowId: string,
    runId: string,
  ): Promise<Record<string, unknown> | undefined> => {
    const handle = client.workflow.getHandle(workflowId, runId, { followRuns: false });
    const answer = await client.connection
      .withDeadline(Date.now() + queryTimeoutMs, () => handle.query<unknown>('status'))
      .catch(() => undefined);
    return answer && typeof answer === 'object'
      ? (withoutSecrets(answer) as Record<string, unknown>)
      : undefined;
  };

  /** The time of the run's latest history event: when it entered the step it is in (signals aside). */
  const lastEventTime = async (workflowId: string, runId: string): Promise<Date | undefined> => {
    try {
      const res = await client.connection.withDeadline(Date.now() + queryTimeoutMs, () =>
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
  };

  /** Step and since-when of running runs, a few at a time. */
  const withSteps = async (runs: RunSummary[]): Promise<Map<RunSummary, Record<string, unknown>>> => {
    const progress = new Map<RunSummary, Record<string, unknown>>();
    await forEachLimited(
      runs.filter((r) => r.status === 'RUNNING'),
      6,
      async (run) => {
        const [status, since] = await Promise.all([
          queryStatus(run.workflowId, run.runId),
          lastEventTime(run.workflowId, run.runId),
        ]);
        if (status) progress.set(run, status);
        if (typeof status?.step === 'string') run.step = status.step;
        if (since) run.stepSince = since;
      },
    );
    return progress;
  };

  const scan = async (
    query: string,
    keep: (info: WorkflowExecutionInfo) => boolean,
  ): Promise<RunSummary[]> => {
    const found: RunSummary[] = [];
    let scanned = 0;
    for await (const info of client.workflow.list({ query, pageSize: 100 })) {
      if (keep(info)) found.push(summary(info));
      if (++scanned >= scanLimit) break;
    }
    return found;
  };

  return {
    uiLink,

    async list(filter, limit = 100) {
      const clauses = [`TaskQueue = ${quote(taskQueue)}`];
      if (filter.workflowType) clauses.push(`WorkflowType = ${quote(filter.workflowType)}`);
      if (filter.status) clauses.push(`ExecutionStatus = ${quote(filter.status)}`);
      const runs = await scan(clauses.join(' AND '), (info) => {
        const memo = info.memo ?? {};
        return typeof (memo[REQUEST_MEMO.source] ?? memo[REQUEST_MEMO.eventId]) === 'string';
      });
      // The dev server's visibility lists running runs first, then by close time; people want newest first.
      runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
      const page = runs.slice(0, limit);
      await withSteps(page);
      return page;
    },

    async get(workflowId, runId) {
      let info;
      try {
        info = await client.workflow.getHandle(workflowId, runId).describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
      // Only this product's runs, not every workflow of the namespace.
      if (info.taskQueue !== taskQueue) return undefined;
      const run: RunDetail = summary(info);
      const [progress, since] = await Promise.all([
        queryStatus(info.workflowId, info.runId),
        run.status === 'RUNNING' ? lastEventTime(info.workflowId, info.runId) : undefined,
      ]);
      if (progress) {
        run.progress = progress;
        if (typeof progress.step === 'string') run.step = progress.step;
      }
      if (since) run.stepSince = since;
      const handle = client.workflow.getHandle(info.workflowId, info.runId, { followRuns: false });
      if (run.status === 'RUNNING') {
        const decision = pendingDecision(progress);
        if (decision) run.decision = decision;
      } else if (run.status === 'COMPLETED') {
        run.result = withoutSecrets(await handle.result());
      } else {
        run.failure = await runFailure(() => handle.result());
      }
      return run;
    },

    async waiting() {
      const running = await scan(
        // The fleet's limiter runs on the task queue too, and never waits for a person.
        `TaskQueue = ${quote(taskQueue)} AND ExecutionStatus = ${quote(STATUS_FILTERS[0])} AND ` +
          `WorkflowType != ${quote(FLEET_LIMITER.workflowType)}`,
        () => true,
      );
      const progress = await withSteps(running);
      const waiting: Waiting[] = [];
      for (const run of running) {
        const status = progress.get(run);
        const decision = pendingDecision(status);
        if (status && decision) waiting.push({ run, progress: status, decision });
      }
      const due = (w: Waiting) => (w.decision.deadline ? Date.parse(w.decision.deadline) : Infinity);
      return waiting.sort((a, b) => due(a) - due(b));
    },

    async signal(workflowId, runId, name, args) {
      await client.workflow.getHandle(workflowId, runId, { followRuns: false }).signal(name, ...args);
    },
  };
}
