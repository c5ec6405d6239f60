// The portal's view of Temporal, each run only to those who may see it: the requests, one run, what waits.
import {
  type Client,
  type WorkflowExecutionInfo,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { REQUEST_WORKFLOW_TYPES } from '../catalog';
import { describeIfThere } from '../client';
import { runFailure, withoutSecrets, type RunFailure } from '../requests/run-results';
import type { Approval } from '../shared/approval';
import { forEachLimited } from '../shared/concurrency';
import { REQUEST_MEMO } from '../shared/request-memo';
import { FLEET_LIMITER } from '../shared/fleet-limits';
import { mayView } from './access';
import { pendingDecision, type DeciderRules, type PendingDecision } from './decisions';
import { runReads, type RunReads } from './run-reads';

/** Where a run came from: the memo's `requestSource`, else what Temporal knows of how it was started. */
export type RunSource = 'portal' | 'events' | 'cli' | 'schedule' | 'workflow' | (string & {});

export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: WorkflowExecutionStatusName;
  startTime: Date;
  closeTime?: Date;
  requestedBy?: string;
  /** Absent for runs started outside the portal and the events endpoint that say nothing of themselves. */
  source?: RunSource;
  /** The workflow that started this one (source `workflow`). */
  parentWorkflowId?: string;
  /** The approval requirement the run recorded at start (requester and approvers). */
  approval?: Approval;
  /** Its record could not be read just now. */
  approvalUnread?: boolean;
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
  /** Who may see runs that record no approvers of their own (PORTAL_APPROVERS). */
  rules: DeciderRules;
  /** Temporal Web UI base, for links. */
  uiUrl?: string;
  /** Per `status` query; default 3 s (a closed run is replayed by a worker to answer). */
  queryTimeoutMs?: number;
  /** Visibility rows read per list; default 300. */
  scanLimit?: number;
}

export interface Runs {
  /** The requests `user` may see, newest first. */
  list(filter: ListFilter, user: string, limit?: number): Promise<RunSummary[]>;
  /** Undefined when there is no such run on this task queue, or when `user` may not see it. */
  get(workflowId: string, runId: string | undefined, user: string): Promise<RunDetail | undefined>;
  /** Running runs of this task queue that `user` may see and whose status asks for a decision, oldest wait first. */
  waiting(user: string): Promise<Waiting[]>;
  /** Running runs of one workflow type that `user` may see, with their status (those that answered). */
  running(
    workflowType: string,
    user: string,
  ): Promise<Array<{ run: RunSummary; progress: Record<string, unknown> }>>;
  signal(workflowId: string, runId: string, name: string, args: unknown[]): Promise<void>;
  /** The newest completed run of `workflowType` on this task queue, with its result (a schedule's latest report). */
  latest(workflowType: string): Promise<{ run: RunSummary; result: unknown } | undefined>;
  uiLink(workflowId: string, runId: string): string | undefined;
}

/** Visibility query literal: the values are ours or from a fixed list, quoted all the same. */
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const SCHEDULED_BY = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

/** A run tagged as a request (by the intake, or a starter that says so), or a run of a request workflow. */
const isRequest = (info: WorkflowExecutionInfo) => {
  const memo = info.memo ?? {};
  const tagged = typeof (memo[REQUEST_MEMO.source] ?? memo[REQUEST_MEMO.eventId]) === 'string';
  return tagged || REQUEST_WORKFLOW_TYPES.has(info.type);
};

type RunInfo = Omit<WorkflowExecutionInfo, 'raw'>;

const memoText = (info: Pick<RunInfo, 'memo'>, key: string) =>
  typeof info.memo?.[key] === 'string' ? (info.memo[key] as string) : undefined;

/** Where a run came from: what its memo says, else what Temporal recorded (a parent, a schedule), else unknown. */
export function runSource(
  info: Pick<RunInfo, 'memo' | 'parentExecution' | 'typedSearchAttributes'>,
): RunSource | undefined {
  return (
    memoText(info, REQUEST_MEMO.source) ??
    // Runs the events endpoint started before runs were tagged carry only the event id.
    (memoText(info, REQUEST_MEMO.eventId) ? 'events' : undefined) ??
    (info.parentExecution ? 'workflow' : undefined) ??
    (info.typedSearchAttributes?.get(SCHEDULED_BY) ? 'schedule' : undefined)
  );
}

function summary(info: RunInfo, uiUrl: string | undefined): RunSummary {
  const parent = info.parentExecution?.workflowId;
  const source = runSource(info);
  const requestedBy = memoText(info, REQUEST_MEMO.requestedBy);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    startTime: info.startTime,
    ...(info.closeTime ? { closeTime: info.closeTime } : {}),
    ...(requestedBy ? { requestedBy } : {}),
    ...(source ? { source } : {}),
    ...(parent ? { parentWorkflowId: parent } : {}),
    ...(uiUrl ? { uiUrl } : {}),
  };
}

/** Fills in the runs' recorded approvals, a few at a time. */
async function withApprovals(reads: RunReads, runs: RunSummary[]): Promise<void> {
  await forEachLimited(runs, 6, async (run) => {
    const approval = await reads.approval(run.workflowId, run.runId);
    if (approval === 'unread') run.approvalUnread = true;
    else if (approval !== 'none') run.approval = approval;
  });
}

/** Step and since-when of running runs, a few at a time; returns their statuses. */
async function withSteps(
  reads: RunReads,
  runs: RunSummary[],
): Promise<Map<RunSummary, Record<string, unknown>>> {
  const progress = new Map<RunSummary, Record<string, unknown>>();
  await forEachLimited(
    runs.filter((r) => r.status === 'RUNNING'),
    6,
    async (run) => {
      const [status, since] = await Promise.all([
        reads.status(run.workflowId, run.runId),
        reads.lastEventTime(run.workflowId, run.runId),
      ]);
      if (status) progress.set(run, status);
      if (typeof status?.step === 'string') run.step = status.step;
      if (since) run.stepSince = since;
    },
  );
  return progress;
}

/** The run's progress, decision and outcome, for its page. */
async function detail(client: Client, reads: RunReads, run: RunDetail): Promise<RunDetail> {
  const [progress, since] = await Promise.all([
    reads.status(run.workflowId, run.runId),
    run.status === 'RUNNING' ? reads.lastEventTime(run.workflowId, run.runId) : undefined,
  ]);
  if (progress) {
    run.progress = progress;
    if (typeof progress.step === 'string') run.step = progress.step;
  }
  if (since) run.stepSince = since;
  const handle = client.workflow.getHandle(run.workflowId, run.runId, { followRuns: false });
  if (run.status === 'RUNNING') {
    const decision = pendingDecision(progress);
    if (decision) run.decision = decision;
  } else if (run.status === 'COMPLETED') {
    run.result = withoutSecrets(await handle.result());
  } else {
    run.failure = await runFailure(() => handle.result());
  }
  return run;
}

/** A run's page in the Temporal Web UI, when one is configured. */
const uiLinkOf =
  (uiUrl: string | undefined, namespace: string) =>
  (workflowId: string, runId: string): string | undefined =>
    uiUrl
      ? `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`
      : undefined;

export function createRuns(opts: RunsOptions): Runs {
  const { client, taskQueue, rules } = opts;
  const namespace = client.options.namespace;
  const reads = runReads(client, opts.queryTimeoutMs ?? 3_000);
  const scanLimit = opts.scanLimit ?? 300;

  const uiLink = uiLinkOf(opts.uiUrl, namespace);

  /** The runs of `query` that `keep` accepts and `user` may see. */
  const scan = async (query: string, keep: (info: WorkflowExecutionInfo) => boolean, user: string) => {
    const found: RunSummary[] = [];
    let scanned = 0;
    for await (const info of client.workflow.list({ query, pageSize: 100 })) {
      if (keep(info)) found.push(summary(info, uiLink(info.workflowId, info.runId)));
      if (++scanned >= scanLimit) break;
    }
    await withApprovals(reads, found);
    return found.filter((run) => mayView(rules, user, run));
  };

  /** The running runs matching `clause` that `user` may see, each with its status. */
  const runningWith = async (clause: string, user: string) => {
    const running = `TaskQueue = ${quote(taskQueue)} AND ExecutionStatus = ${quote(STATUS_FILTERS[0])}`;
    const runs = await scan(`${running} AND ${clause}`, () => true, user);
    const progress = await withSteps(reads, runs);
    return runs.flatMap((run) => {
      const status = progress.get(run);
      return status ? [{ run, progress: status }] : [];
    });
  };

  return {
    uiLink,

    async list(filter, user, limit = 100) {
      const clauses = [`TaskQueue = ${quote(taskQueue)}`];
      if (filter.workflowType) clauses.push(`WorkflowType = ${quote(filter.workflowType)}`);
      if (filter.status) clauses.push(`ExecutionStatus = ${quote(filter.status)}`);
      const runs = await scan(clauses.join(' AND '), isRequest, user);
      // The dev server's visibility lists running runs first, then by close time; people want newest first.
      runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
      const page = runs.slice(0, limit);
      await withSteps(reads, page);
      return page;
    },

    async get(workflowId, runId, user) {
      const info = await describeIfThere(client, workflowId, runId);
      // Only this product's runs, not every workflow of the namespace.
      if (info?.taskQueue !== taskQueue) return undefined;
      const run: RunDetail = summary(info, uiLink(info.workflowId, info.runId));
      await withApprovals(reads, [run]);
      return mayView(rules, user, run) ? detail(client, reads, run) : undefined;
    },

    async waiting(user) {
      // The fleet's limiter runs on the task queue too, and never waits for a person.
      const running = await runningWith(`WorkflowType != ${quote(FLEET_LIMITER.workflowType)}`, user);
      const waiting: Waiting[] = running.flatMap(({ run, progress }) => {
        const decision = pendingDecision(progress);
        return decision ? [{ run, progress, decision }] : [];
      });
      const due = (w: Waiting) => (w.decision.deadline ? Date.parse(w.decision.deadline) : Infinity);
      return waiting.sort((a, b) => due(a) - due(b));
    },

    running: (workflowType, user) => runningWith(`WorkflowType = ${quote(workflowType)}`, user),

    async signal(workflowId, runId, name, args) {
      await client.workflow.getHandle(workflowId, runId, { followRuns: false }).signal(name, ...args);
    },

    latest: (workflowType) =>
      latestCompleted(client, `TaskQueue = ${quote(taskQueue)}`, workflowType, uiLink),
  };
}

/** The newest completed run of `workflowType` among `scope`'s, with its result (secrets masked). */
async function latestCompleted(
  client: Client,
  scope: string,
  workflowType: string,
  uiLink: (workflowId: string, runId: string) => string | undefined,
): Promise<{ run: RunSummary; result: unknown } | undefined> {
  const query = `${scope} AND WorkflowType = ${quote(workflowType)} AND ExecutionStatus = ${quote('Completed')}`;
  let newest: WorkflowExecutionInfo | undefined;
  let scanned = 0;
  // Newest by close time, whatever order the server's visibility lists them in.
  for await (const info of client.workflow.list({ query, pageSize: 20 })) {
    if (!newest || (info.closeTime?.getTime() ?? 0) > (newest.closeTime?.getTime() ?? 0)) newest = info;
    if (++scanned >= 20) break;
  }
  if (!newest) return undefined;
  const handle = client.workflow.getHandle(newest.workflowId, newest.runId, { followRuns: false });
  return {
    run: summary(newest, uiLink(newest.workflowId, newest.runId)),
    result: withoutSecrets(await handle.result()),
  };
}
