// Temporal Cloud bills per Action. This counts the billable Actions a workflow history records, by the
// rules of https://docs.temporal.io/cloud/actions (the page maps each Action type to its history event),
// and reads the dev server's own `action` metric to count what histories cannot show: recorded
// heartbeats. Pure functions, so they are testable without a server. Names are the docs' metric names.
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
const WorkflowTaskFailedCause = temporal.api.enums.v1.WorkflowTaskFailedCause;

export type History = temporal.api.history.v1.IHistory;
export type ActionCounts = Record<string, number>;

/** The SDK versioning attribute upserted by patching; exempt from Actions. */
const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

const idKey = (id: unknown) => String(id ?? '');

/** Events that are one Action each, whatever they carry. */
const ONE_ACTION: ReadonlyMap<unknown, string> = new Map([
  [EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 'schedule_activity'],
  [EventType.EVENT_TYPE_TIMER_STARTED, 'start_timer'],
  // Also a signal from another workflow: billed here, in the signaled history, not the sender's.
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 'signal_workflow'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 'accept_workflow_update'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED, 'update_workflow_options'],
  [EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED, 'schedule_nexus_operation'],
  [EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED, 'request_nexus_operation_cancellation'],
]);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Billable Actions in one run's history, by Action type. Not in histories, so not counted here: recorded
 * heartbeats, queries, rejected updates, schedule bookkeeping (2 per scheduled start), exports.
 */
export function countActions(history: History): ActionCounts {
  const counts: ActionCounts = {};
  const add = (type: string | undefined, n = 1) => {
    if (type && n > 0) counts[type] = (counts[type] ?? 0) + n;
  };
  const events = history.events ?? [];
  // Every marker a workflow task records (local activities, patches) is one Action together.
  const markerTasks = new Set<string>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const simple = ONE_ACTION.get(e.eventType);
    if (simple) add(simple);
    else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
      const start = startAction(e, events[i + 1]);
      add(start.type);
      if (start.withSignal) i++;
    } else if (e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED) {
      markerTasks.add(idKey(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId));
    } else otherActions(e, add);
  }
  add('record_activity_markers', markerTasks.size);
  return counts;
}

/** A run's start: continued, a child's (billed in the parent), scheduled, with a signal, or plain. */
function startAction(
  e: HistoryEvent,
  next: HistoryEvent | undefined,
): { type?: string; withSignal?: boolean } {
  const a = e.workflowExecutionStartedEventAttributes;
  const indexed = a?.searchAttributes?.indexedFields ?? {};
  if (a?.continuedExecutionRunId) return { type: 'continue_as_new_workflow' };
  // A child's start is billed in its parent (two Actions on StartChildWorkflowExecutionInitiated).
  if (a?.parentWorkflowExecution?.workflowId) return {};
  if ('TemporalScheduledById' in indexed) return { type: 'schedule_workflow' };
  // Signal-With-Start that started the run: Started then Signaled at once, one Action for both.
  if (next?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    return { type: 'signal_workflow_with_start', withSignal: true };
  return { type: 'start_workflow' };
}

function otherActions(e: HistoryEvent, add: (type: string, n?: number) => void): void {
  switch (e.eventType) {
    case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
      // One for storing the intent, one for the attempt to start it.
      add('start_child_workflow', 2);
      break;
    case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
      // Retries write no events: the started event of the last attempt carries the attempt number.
      add('retry_activity', (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
      break;
    case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
      add(
        'retry_activity_local',
        e.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0,
      );
      break;
    case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
      const fields = Object.keys(
        e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
      );
      if (fields.some((f) => f !== CHANGE_VERSION_ATTRIBUTE)) add('upsert_workflow_search_attributes');
      break;
    }
    case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      if (
        e.workflowTaskFailedEventAttributes?.cause ===
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
      )
        add('reset_workflow');
      break;
  }
}

export function addCounts(into: ActionCounts, from: ActionCounts): ActionCounts {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

export const totalActions = (counts: ActionCounts): number =>
  Object.values(counts).reduce((a, b) => a + b, 0);

/** Heartbeats that reached the server (the SDK throttles the rest); each is an Action. */
export const HEARTBEAT_ACTION_TYPES = [
  'grpc_RecordActivityTaskHeartbeat',
  'grpc_RecordActivityTaskHeartbeatById',
];

/**
 * The server's `action` counter from its Prometheus text (Temporal Server ≥ 1.22.3 meters it like
 * Temporal Cloud), summed by `action_type` for one namespace, frontend only.
 */
export function parseActionMetric(text: string, namespace: string): ActionCounts {
  const counts: ActionCounts = {};
  for (const line of text.split('\n')) {
    const m = /^action\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    if (labels.namespace !== namespace || labels.service_name !== 'frontend') continue;
    const type = labels.action_type ?? 'unknown';
    counts[type] = (counts[type] ?? 0) + Number(m[2]);
  }
  return counts;
}

/** after − before, per type, dropping zeros. */
export function diffCounts(after: ActionCounts, before: ActionCounts): ActionCounts {
  const out: ActionCounts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Upserts the server metered beyond the billable ones the histories show: `patched()`'s TemporalChangeVersion. */
const unbilledUpserts = (serverCounts: ActionCounts, billable: ActionCounts): number =>
  Math.max(
    0,
    (serverCounts.command_UpsertWorkflowSearchAttributes ?? 0) -
      (billable.upsert_workflow_search_attributes ?? 0),
  );

export const heartbeatActions = (serverCounts: ActionCounts): number =>
  HEARTBEAT_ACTION_TYPES.reduce((s, t) => s + (serverCounts[t] ?? 0), 0);

export interface ActionsFigures {
  /** Counted from every run's history, plus the heartbeats the server recorded. */
  total: number;
  perUnit: number;
  /** Per unit, by Action type; heartbeats as `record_activity_heartbeat`. */
  byTypePerUnit: ActionCounts;
  /** Per smaller thing a unit is made of (an offboarded user's keys), when the scenario has one. */
  perSubunit?: { name: string; actions: number };
  /**
   * The dev server's own `action` counter over the same interval, less the patch markers' upserts of
   * TemporalChangeVersion (it meters them; Temporal Cloud does not bill them): should equal `total`.
   */
  serverTotal: number;
  /** That counter by its own action_type names, to find the cause when the totals differ. */
  serverByType: ActionCounts;
}

/** Combines the histories' count with the server's metric delta over the same interval. */
export function actionsFigures(
  fromHistories: ActionCounts,
  serverDelta: ActionCounts,
  units: number,
  subunits?: { name: string; count: number },
): ActionsFigures {
  const counts = { ...fromHistories };
  const heartbeats = heartbeatActions(serverDelta);
  if (heartbeats > 0) counts.record_activity_heartbeat = heartbeats;
  const total = totalActions(counts);
  const round = (x: number) => Math.round(x * 100) / 100;
  const per = (n: number) => (units ? round(n / units) : 0);
  return {
    total,
    perUnit: per(total),
    ...(subunits?.count
      ? { perSubunit: { name: subunits.name, actions: round(total / subunits.count) } }
      : {}),
    byTypePerUnit: Object.fromEntries(
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, per(v)]),
    ),
    serverTotal: totalActions(serverDelta) - unbilledUpserts(serverDelta, counts),
    serverByType: serverDelta,
  };
}
