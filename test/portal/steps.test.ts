// The request page's timeline: where a run is, what it skipped, where it failed.
import { pendingDecision, refusal } from '../../src/portal/decisions';
import { stepLabel, timeline } from '../../src/portal/steps';

const states = (entries: ReturnType<typeof timeline>) => entries.map((e) => `${e.step}:${e.state}`);

test('a running provisioning: done up to the current step, the rest not yet', () => {
  expect(
    states(
      timeline({ workflowType: 'provisionNamespace', status: 'RUNNING', step: 'waiting-for-namespace' }),
    ),
  ).toEqual([
    'validating:done',
    'awaiting-approval:done', // passed at once when the policy asks for no approval
    'creating-namespace:done',
    'waiting-for-namespace:current',
    'creating-service-account:upcoming',
    'waiting-for-service-account:upcoming',
    'creating-api-key:upcoming',
    'waiting-for-api-key:upcoming',
    'requesting-reconcile:upcoming',
  ]);
  // Rolling back comes after the whole path.
  expect(
    states(timeline({ workflowType: 'provisionNamespace', status: 'RUNNING', step: 'rolling-back' })).at(-1),
  ).toBe('rolling-back:current');
});

test('a completed run is done but for what its result says it skipped', () => {
  const rejected = timeline({
    workflowType: 'offboardUser',
    status: 'COMPLETED',
    step: 'completed',
    result: { outcome: 'rejected', approval: { by: 'bob@example.com' } },
  });
  expect(states(rejected)).toEqual([
    'validating:done',
    'resolving:done',
    'planning:done',
    'awaiting-approval:done',
    'deleting-api-keys:skipped',
    'leaving-groups:skipped',
    'deleting-user:skipped',
    'completed:done',
  ]);
  expect(rejected.at(-1)!.label).toBe('Rejected by bob@example.com');
  // A namespace alone still asks the desired states that reach it to grant their access: only the account and key
  // steps are skipped, in the middle of the path.
  const namespaceOnly = timeline({
    workflowType: 'provisionNamespace',
    status: 'COMPLETED',
    result: { namespace: 'a.b', reconciles: { triggered: [] } },
  });
  expect(namespaceOnly.filter((e) => e.state === 'skipped').map((e) => e.step)).toEqual([
    'creating-service-account',
    'waiting-for-service-account',
    'creating-api-key',
    'waiting-for-api-key',
  ]);
  expect(namespaceOnly.at(-2)).toMatchObject({ step: 'requesting-reconcile', state: 'done' });
  // A run from before that step existed skipped it.
  const older = timeline({
    workflowType: 'provisionNamespace',
    status: 'COMPLETED',
    result: { namespace: 'a.b' },
  });
  expect(older.find((e) => e.step === 'requesting-reconcile')!.state).toBe('skipped');
});

test('a failed run is marked at the step it failed in; an unknown workflow shows its step as is', () => {
  expect(
    states(
      timeline({ workflowType: 'provisionNamespace', status: 'FAILED', failedStep: 'creating-api-key' }),
    ),
  ).toEqual([
    'validating:done',
    'awaiting-approval:done',
    'creating-namespace:done',
    'waiting-for-namespace:done',
    'creating-service-account:done',
    'waiting-for-service-account:done',
    'creating-api-key:failed',
    'waiting-for-api-key:upcoming',
    'requesting-reconcile:upcoming',
    'failed:failed',
  ]);
  // An unknown workflow type still shows its current step by name.
  expect(timeline({ workflowType: 'someFutureWorkflow', status: 'RUNNING', step: 'thinking' })).toEqual([
    { step: 'thinking', label: 'thinking', state: 'current' },
  ]);
  expect(
    timeline({ workflowType: 'reconcile', status: 'RUNNING', step: 'awaiting-approval' }).map(
      (e) => `${e.step}:${e.state}`,
    ),
  ).toEqual(['validating:done', 'planning:done', 'awaiting-approval:current', 'applying:upcoming']);
  expect(stepLabel('rotateApiKey', 'grace-period')).toMatch(/Grace period/);
});

test('any workflow whose status says awaiting-approval waits for approve/reject; a rotation in its grace period for a cut-over', () => {
  expect(
    pendingDecision({ step: 'awaiting-approval', approvalDeadline: '2030-01-01T00:00:00.000Z' }),
  ).toEqual({
    kind: 'approval',
    actions: ['approve', 'reject'],
    deadline: '2030-01-01T00:00:00.000Z',
  });
  // The reconcile workflow needs nothing but the same status shape.
  expect(pendingDecision({ kind: 'reconcile', step: 'awaiting-approval', applied: [] })?.kind).toBe(
    'approval',
  );
  expect(pendingDecision({ step: 'grace-period', graceEndsAt: '2030-01-01T00:00:00.000Z' })?.actions).toEqual(
    ['confirm-cutover', 'abort'],
  );
  // An approval asked for while in another step (an extension of granted access) says so apart.
  expect(
    pendingDecision({
      step: 'granted',
      awaitingApproval: true,
      approvalDeadline: '2030-01-01T00:00:00.000Z',
    }),
  ).toEqual({ kind: 'approval', actions: ['approve', 'reject'], deadline: '2030-01-01T00:00:00.000Z' });
  expect(pendingDecision({ step: 'granted', endsAt: '2030-01-01T00:00:00.000Z' })).toBeUndefined();
  for (const waitingForNothing of [
    { step: 'grace-period', graceEndsAt: '2030-01-01T00:00:00.000Z', cutoverConfirmed: true },
    { step: 'grace-period' }, // no grace period at all
    { step: 'deleting-user' },
    undefined,
  ]) {
    expect(pendingDecision(waitingForNothing)).toBeUndefined();
  }
});

test('only approvers decide, and never on their own request', () => {
  const rules = { approvers: ['bob@example.com', 'alice@example.com'] };
  const byAlice = { requestedBy: 'alice@example.com' };
  expect(refusal(rules, 'bob@example.com', byAlice)).toBeUndefined();
  expect(refusal(rules, 'alice@example.com', byAlice)).toMatch(/requested this yourself/);
  expect(refusal(rules, 'carol@example.com', byAlice)).toMatch(/not an approver/);
  expect(refusal({ approvers: '*' }, 'carol@example.com', {})).toBeUndefined();
  expect(refusal({ approvers: [] }, 'carol@example.com', {})).toMatch(/not an approver/);
});

test('a run that records its approvers is judged by them, not by PORTAL_APPROVERS', () => {
  const rules = { approvers: '*' as const };
  const progress = {
    step: 'awaiting-approval',
    approval: {
      requestedBy: 'alice@example.com',
      approvers: ['dana@example.com'],
      required: true,
      reasons: [],
    },
  };
  expect(refusal(rules, 'dana@example.com', { requestedBy: 'alice@example.com', progress })).toBeUndefined();
  expect(refusal(rules, 'carol@example.com', { progress })).toMatch(/not among the approvers/);
  // The run's own requester, whatever the memo says.
  expect(refusal(rules, 'alice@example.com', { progress })).toMatch(/requested this/);
});

test('whom a request is for (an access request) never approves it, as its requester', () => {
  const progress = {
    step: 'awaiting-approval',
    approval: {
      requestedBy: 'signed event',
      approvers: '*',
      required: true,
      reasons: [],
      beneficiaries: ['jo@example.com'],
    },
  };
  expect(refusal({ approvers: '*' }, 'jo@example.com', { progress })).toMatch(/this request is for you/);
  expect(refusal({ approvers: '*' }, 'kim@example.com', { progress })).toBeUndefined();
  // Nor does who asked for an extension approve it.
  const extension = {
    ...progress,
    step: 'granted',
    awaitingApproval: true,
    approvalAskedBy: 'kim@example.com',
  };
  expect(refusal({ approvers: '*' }, 'kim@example.com', { progress: extension })).toMatch(/asked for this/);
  // Its timeline: granted now, the taking back still to come.
  expect(
    states(timeline({ workflowType: 'grantTemporaryAccess', status: 'RUNNING', step: 'granted' })),
  ).toEqual([
    'validating:done',
    'resolving:done',
    'awaiting-approval:done',
    'granting:done',
    'granted:current',
    'revoking:upcoming',
  ]);
});
