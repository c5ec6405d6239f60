// The Temporal Cloud Action counter on synthetic histories (every rule, with the events that must NOT
// count next to the ones that must), and the parsing of the server's `action` metric. The bench smoke
// test checks the same counter against a real dev server's own count.
import { temporal } from '@temporalio/proto';
import {
  actionsFigures,
  countActions,
  diffCounts,
  parseActionMetric,
  totalActions,
  type History,
} from '../../bench/actions';

const T = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

const history = (...events: Event[]): History => ({ events });
/** Event ids are int64 (Long) in decoded histories; the counter only compares them. */
const eventId = (n: number) => n as unknown as NonNullable<Event['eventId']>;
const wt = (): Event[] => [
  { eventType: T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED },
  { eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED },
  { eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED },
];
const started = (attrs: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes = {}): Event => ({
  eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
  workflowExecutionStartedEventAttributes: { workflowType: { name: 'wf' }, ...attrs },
});
const activity = (attempt: number): Event[] => [
  { eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED },
  { eventType: T.EVENT_TYPE_ACTIVITY_TASK_STARTED, activityTaskStartedEventAttributes: { attempt } },
  { eventType: T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED },
];
const marker = (workflowTaskCompletedEventId: number): Event => ({
  eventType: T.EVENT_TYPE_MARKER_RECORDED,
  markerRecordedEventAttributes: {
    markerName: 'core_local_activity',
    workflowTaskCompletedEventId: eventId(workflowTaskCompletedEventId),
  },
});
const upsert = (...fields: string[]): Event => ({
  eventType: T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  upsertWorkflowSearchAttributesEventAttributes: {
    searchAttributes: { indexedFields: Object.fromEntries(fields.map((f) => [f, {}])) },
  },
});

describe('countActions', () => {
  it('counts every billable event by the documented rule, and nothing else', () => {
    const counts = countActions(
      history(
        started(),
        ...wt(),
        // An activity that needed 4 attempts (3 retries leave no events of their own), one that needed 1,
        // and one still scheduled when the history was read.
        ...activity(4),
        ...activity(1),
        { eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED },
        ...wt(),
        { eventType: T.EVENT_TYPE_TIMER_STARTED },
        { eventType: T.EVENT_TYPE_TIMER_FIRED },
        { eventType: T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED },
        { eventType: T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED },
        { eventType: T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED },
        { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED },
        { eventType: T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED },
        { eventType: T.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED },
        // Two workflow tasks that recorded markers (two markers in the first): one Action each task.
        marker(20),
        marker(20),
        marker(30),
        {
          eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
          workflowTaskCompletedEventAttributes: {
            meteringMetadata: { nonfirstLocalActivityExecutionAttempts: 3 },
          },
        },
        upsert('CustomKeywordField', 'TemporalChangeVersion'),
        upsert('TemporalChangeVersion'),
        { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED },
        { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED },
        {
          eventType: T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
          workflowTaskFailedEventAttributes: {
            cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
          },
        },
        {
          eventType: T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
          workflowTaskFailedEventAttributes: {
            cause:
              temporal.api.enums.v1.WorkflowTaskFailedCause
                .WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
          },
        },
        { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED },
        { eventType: T.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED },
        { eventType: T.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED },
        ...wt(),
        { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW },
      ),
    );
    expect(counts).toEqual({
      start_workflow: 1,
      schedule_activity: 3,
      retry_activity: 3,
      start_timer: 1,
      start_child_workflow: 2,
      signal_workflow: 1,
      record_activity_markers: 2,
      retry_activity_local: 3,
      upsert_workflow_search_attributes: 1,
      accept_workflow_update: 1,
      reset_workflow: 1,
      update_workflow_options: 1,
      schedule_nexus_operation: 1,
      request_nexus_operation_cancellation: 1,
    });
    expect(totalActions(counts)).toBe(22);
  });

  it('bills a child in its parent, a continued run once, a scheduled start and a signal-with-start once', () => {
    const parent = { workflowId: 'parent', runId: 'r1' };
    expect(countActions(history(started({ parentWorkflowExecution: parent }), ...wt()))).toEqual({});
    expect(
      countActions(history(started({ parentWorkflowExecution: parent, continuedExecutionRunId: 'r0' }))),
    ).toEqual({ continue_as_new_workflow: 1 });
    expect(countActions(history(started({ continuedExecutionRunId: 'r0' })))).toEqual({
      continue_as_new_workflow: 1,
    });
    expect(
      countActions(history(started({ searchAttributes: { indexedFields: { TemporalScheduledById: {} } } }))),
    ).toEqual({ schedule_workflow: 1 });
    expect(
      countActions(
        history(started(), { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED }, ...wt(), {
          eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        }),
      ),
    ).toEqual({ signal_workflow_with_start: 1, signal_workflow: 1 });
  });

  it('counts the product wait design as one Action per poll: the attempt of the last started event', () => {
    // A wait of 31 polls: one schedule, 30 retries, three events however long it lasts.
    const counts = countActions(history(started(), ...wt(), ...activity(31), ...wt()));
    expect(counts).toEqual({ start_workflow: 1, schedule_activity: 1, retry_activity: 30 });
  });
});

describe('the server action metric', () => {
  const text = [
    '# HELP action action',
    '# TYPE action counter',
    'action{action_type="grpc_StartWorkflowExecution",namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 3',
    'action{action_type="grpc_StartWorkflowExecution",namespace="temporal_system",operation="StartWorkflowExecution",service_name="frontend"} 2',
    'action{namespace="default",action_type="grpc_RecordActivityTaskHeartbeat",operation="RecordActivityTaskHeartbeat",service_name="frontend"} 7',
    'action{action_type="activity_retry",namespace="default",operation="PollActivityTaskQueue",service_name="frontend"} 12',
    'action{action_type="activity_retry",namespace="default",operation="PollActivityTaskQueue",service_name="history"} 99',
    'action_total_bogus{namespace="default"} 5',
    'service_requests{namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 3',
  ].join('\n');

  it('sums the frontend counter by action type for one namespace', () => {
    expect(parseActionMetric(text, 'default')).toEqual({
      grpc_StartWorkflowExecution: 3,
      grpc_RecordActivityTaskHeartbeat: 7,
      activity_retry: 12,
    });
  });

  it('adds the recorded heartbeats to the histories’ count and keeps the server total to compare', () => {
    const before = { grpc_StartWorkflowExecution: 1, grpc_RecordActivityTaskHeartbeat: 2 };
    const delta = diffCounts(parseActionMetric(text, 'default'), before);
    expect(delta).toEqual({
      grpc_StartWorkflowExecution: 2,
      grpc_RecordActivityTaskHeartbeat: 5,
      activity_retry: 12,
    });
    const figures = actionsFigures({ start_workflow: 2, retry_activity: 12 }, delta, 4);
    expect(figures).toEqual({
      total: 19,
      perUnit: 4.75,
      byTypePerUnit: { retry_activity: 3, record_activity_heartbeat: 1.25, start_workflow: 0.5 },
      serverTotal: 19,
      serverByType: delta,
    });
    // The server meters the upserts of a patch marker (TemporalChangeVersion), which Cloud does not bill: left out.
    const patched = { ...delta, command_UpsertWorkflowSearchAttributes: 3 };
    expect(actionsFigures({ start_workflow: 2, retry_activity: 12 }, patched, 4).serverTotal).toBe(19);
    // A billable upsert (another attribute) is in both counts.
    expect(
      actionsFigures(
        { start_workflow: 2, retry_activity: 12, upsert_workflow_search_attributes: 1 },
        patched,
        4,
      ).serverTotal,
    ).toBe(20);
    // An offboarding of 4 users with 10 keys each: the same Actions per key.
    expect(
      actionsFigures({ start_workflow: 4, schedule_activity: 76 }, {}, 4, { name: 'key', count: 40 }),
    ).toMatchObject({
      perUnit: 20,
      perSubunit: { name: 'key', actions: 2 },
    });
  });
});
