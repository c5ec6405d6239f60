// Who sees a run in the portal (requester, recorded approvers, else PORTAL_APPROVERS) and how its source reads.
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { mayView } from '../../src/portal/access';
import { runSource, type RunSummary } from '../../src/portal/runs';
import { requesterOf } from '../../src/portal/views/requester';
import { REQUEST_MEMO } from '../../src/shared/request-memo';

const approval = (requestedBy: string, approvers: string[] | '*') => ({
  requestedBy,
  approvers,
  required: true,
  reasons: [],
});

test('a run is seen by its requester and the approvers it recorded, by nobody else', () => {
  const rules = { approvers: ['alice@example.com', 'bob@example.com'] };
  const run = { requestedBy: 'pat@example.com', approval: approval('pat@example.com', ['dana@example.com']) };
  expect(mayView(rules, 'pat@example.com', run)).toBe(true);
  expect(mayView(rules, 'PAT@example.com ', run)).toBe(true);
  expect(mayView(rules, 'dana@example.com', run)).toBe(true);
  // PORTAL_APPROVERS do not widen what the run recorded.
  expect(mayView(rules, 'alice@example.com', run)).toBe(false);
  expect(mayView(rules, 'carol@example.com', run)).toBe(false);
  // Whom it is for (an access request's user) sees it as its requester does.
  const forJo = {
    approval: { ...approval('signed event', ['dana@example.com']), beneficiaries: ['Jo@example.com'] },
  };
  expect(mayView(rules, 'jo@example.com', forJo)).toBe(true);
  expect(mayView(rules, 'carol@example.com', forJo)).toBe(false);
  // '*': anyone signed in may decide, so anyone may see it.
  expect(mayView(rules, 'carol@example.com', { approval: approval('pat@example.com', '*') })).toBe(true);
});

test('a run that records no approvers is seen by PORTAL_APPROVERS; an unreadable record only by the memo requester', () => {
  const rules = { approvers: ['alice@example.com'] };
  expect(mayView(rules, 'alice@example.com', {})).toBe(true);
  expect(mayView(rules, 'carol@example.com', {})).toBe(false);
  expect(mayView({ approvers: '*' }, 'carol@example.com', {})).toBe(true);
  // A starter's run names its requester only in the record it keeps.
  expect(mayView(rules, 'dana', { approval: approval('dana', []) })).toBe(true);
  const unread = { requestedBy: 'pat@example.com', approvalUnread: true };
  expect(mayView(rules, 'pat@example.com', unread)).toBe(true);
  expect(mayView(rules, 'alice@example.com', unread)).toBe(false);
  expect(mayView({ approvers: '*' }, 'carol@example.com', unread)).toBe(false);
});

test("a run's source: its memo, else its parent or its schedule, else unknown", () => {
  const none = new TypedSearchAttributes();
  const scheduled = new TypedSearchAttributes([
    {
      key: defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD),
      value: 'nightly',
    },
  ]);
  expect(runSource({ memo: { [REQUEST_MEMO.source]: 'portal' }, typedSearchAttributes: none })).toBe(
    'portal',
  );
  expect(runSource({ memo: { [REQUEST_MEMO.eventId]: 'evt-1' }, typedSearchAttributes: none })).toBe(
    'events',
  );
  const parentExecution = { workflowId: 'rotate-expiring-keys', runId: 'r' };
  expect(runSource({ parentExecution, typedSearchAttributes: none })).toBe('workflow');
  expect(runSource({ typedSearchAttributes: scheduled })).toBe('schedule');
  expect(runSource({ memo: {}, typedSearchAttributes: none })).toBeUndefined();
});

test('who asked reads as a person and how they asked, or as what started the run', () => {
  const base: RunSummary = {
    workflowId: 'provision-namespace/x',
    runId: 'r',
    type: 'provisionNamespace',
    status: 'RUNNING',
    startTime: new Date(0),
  };
  const recorded = { approval: approval('dana', '*') };
  expect(requesterOf({ ...base, source: 'portal', requestedBy: 'pat@example.com' })).toEqual({
    who: 'pat@example.com',
    person: true,
  });
  expect(requesterOf({ ...base, source: 'events', ...recorded }).who).toBe('a signed event');
  expect(requesterOf({ ...base, source: 'cli', ...recorded })).toEqual({
    who: 'dana',
    person: true,
    via: 'from a terminal',
  });
  expect(requesterOf({ ...base, ...recorded })).toMatchObject({ who: 'dana', via: 'outside the portal' });
  expect(requesterOf(base)).toEqual({ who: 'someone outside the portal', person: false });
  expect(requesterOf({ ...base, source: 'schedule' }).who).toBe('a schedule');
  expect(requesterOf({ ...base, source: 'workflow', parentWorkflowId: 'rotate-expiring-keys' }).who).toBe(
    'workflow rotate-expiring-keys',
  );
});
