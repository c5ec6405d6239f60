// The decision gate, inside the runs themselves: a run told at start who asked and who may approve refuses — in the
// run, visible in its status — a decision by its requester, by someone not allowed or by nobody named, whoever sends
// the signal; it waits for an allowed approver before its destructive step (the old key of a short rotation, a
// decommission, a namespace whose codec server gets access tokens) and changes nothing when rejected or not decided.
import type { WorkflowHandle } from '@temporalio/client';
import { defineQuery } from '@temporalio/workflow';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ApprovalRequirement } from '../../src/shared/approval';
import { workflowIds } from '../../src/catalog';
import {
  abortRotationSignal,
  confirmCutoverSignal,
  decommissionNamespace,
  provisionNamespace,
  rotateApiKey,
} from '../../src/workflows';
import { approveSignal, rejectSignal } from '../../src/workflows/approvals';
import { mutations, type OpsStack, stackPerTest } from '../helpers/stack';
import { untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
const DAY = 24 * 60 * 60_000;

const approval = (over: Partial<ApprovalRequirement> = {}): ApprovalRequirement => ({
  requestedBy: 'pat@example.com',
  approvers: ['alice@example.com'],
  required: true,
  reasons: ['test'],
  ...over,
});

stackPerTest(
  { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 10_000 },
  (made) => ({ env, stack } = made),
);

interface GateView {
  step: string;
  refusedDecisions?: Array<{ action: string; by: string; reason: string }>;
}

const gateStatus = defineQuery<GateView>('status');
const until = (handle: WorkflowHandle, done: (s: GateView) => boolean) =>
  untilStatus(env, handle, gateStatus, done, '10s', 200);

async function seedKey(): Promise<{ ownerId: string; keyId: string }> {
  const { serviceAccountIds } = await stack.emulator.seed({ serviceAccounts: [{ name: 'billing-sa' }] });
  const ownerId = serviceAccountIds[0]!;
  const expiryTime = new Date((await env.currentTimeMs()) + 30 * DAY).toISOString();
  const { apiKeys } = await stack.emulator.seed({
    apiKeys: [{ displayName: 'billing-key', ownerId, ownerType: 'service-account', expiryTime }],
  });
  return { ownerId, keyId: apiKeys[0]!.keyId };
}

test("a short rotation's cut-over: the requester, a stranger and nobody are refused; an approver lets it delete the old key", async () => {
  const { ownerId, keyId } = await seedKey();
  const result = await stack.runWorker(async () => {
    const h = await env.client.workflow.start(rotateApiKey, {
      args: [{ ownerType: 'service-account', ownerId, gracePeriod: '0', approval: approval() }],
      workflowId: workflowIds.rotateApiKey('service-account', ownerId),
      taskQueue: stack.taskQueue,
    });
    await until(h, (s) => s.step === 'awaiting-approval');
    await h.signal(approveSignal, { approver: 'PAT@example.com' });
    await h.signal(confirmCutoverSignal, { by: 'pat@example.com' });
    await h.signal(approveSignal, { approver: 'mallory@example.com' });
    await h.signal(confirmCutoverSignal);
    const s = await until(h, (st) => (st.refusedDecisions?.length ?? 0) >= 4);
    expect(s.step).toBe('awaiting-approval');
    expect(s.refusedDecisions!.map((r) => [r.action, r.reason])).toEqual([
      ['approve', expect.stringMatching(/requested this and cannot decide/)],
      ['confirmCutover', expect.stringMatching(/requested this and cannot decide/)],
      ['approve', expect.stringMatching(/not among the approvers/)],
      ['confirmCutover', 'a decision must name who decides'],
    ]);
    expect(stack.emulator.snapshot().apiKeys.map((k) => k.id)).toContain(keyId);
    await h.signal(approveSignal, { approver: 'alice@example.com' });
    return h.result();
  });
  expect(result).toMatchObject({
    outcome: 'rotated',
    oldKeyDeleted: true,
    approval: { by: 'alice@example.com' },
  });
  expect(stack.emulator.snapshot().apiKeys.map((k) => k.id)).not.toContain(keyId);
});

test('a rejected cut-over keeps the old key and removes the new one; the requester may call off their own rotation', async () => {
  const { ownerId, keyId } = await seedKey();
  const [rejected, withdrawn] = await stack.runWorker(async () => {
    const h = await env.client.workflow.start(rotateApiKey, {
      args: [{ ownerType: 'service-account', ownerId, gracePeriod: '0', approval: approval() }],
      workflowId: workflowIds.rotateApiKey('service-account', ownerId),
      taskQueue: stack.taskQueue,
    });
    await until(h, (s) => s.step === 'awaiting-approval');
    await h.signal(rejectSignal, { approver: 'alice@example.com', reason: 'consumers not ready' });
    const first = await h.result();
    // A long rotation needs no approval, but ending it early is still nobody's but an approver's; aborting is the
    // requester's too.
    const again = await env.client.workflow.start(rotateApiKey, {
      args: [
        { ownerType: 'service-account', ownerId, gracePeriod: '7d', approval: approval({ required: false }) },
      ],
      workflowId: `${workflowIds.rotateApiKey('service-account', ownerId)}/2`,
      taskQueue: stack.taskQueue,
    });
    await until(again, (s) => s.step === 'grace-period');
    await again.signal(confirmCutoverSignal, { by: 'pat@example.com' });
    await until(again, (s) => s.refusedDecisions?.length === 1);
    await again.signal(abortRotationSignal, { by: 'pat@example.com', reason: 'not now' });
    const second = await again.result();
    // Called off while it waits for the approval: it ends then, not after a decision or the approval's timeout.
    const third = await env.client.workflow.start(rotateApiKey, {
      args: [{ ownerType: 'service-account', ownerId, gracePeriod: '0', approval: approval() }],
      workflowId: `${workflowIds.rotateApiKey('service-account', ownerId)}/3`,
      taskQueue: stack.taskQueue,
    });
    await until(third, (s) => s.step === 'awaiting-approval');
    await third.signal(abortRotationSignal, { by: 'pat@example.com', reason: 'changed my mind' });
    expect(await third.result()).toMatchObject({ outcome: 'aborted', abortReason: 'changed my mind' });
    const { startTime, closeTime } = await third.describe();
    expect(closeTime!.getTime() - startTime.getTime()).toBeLessThan(60 * 60_000); // not the approval's 24 h
    return [first, second];
  });
  expect(rejected).toMatchObject({
    outcome: 'aborted',
    oldKeyDeleted: false,
    abortReason: 'rejected by alice@example.com (consumers not ready)',
  });
  expect(withdrawn).toMatchObject({ outcome: 'aborted', graceEndedBy: 'abort', abortReason: 'not now' });
  expect(
    stack.emulator
      .snapshot()
      .apiKeys.filter((k) => k.state !== 'deleting')
      .map((k) => k.id),
  ).toEqual([keyId]);
});

test('a decommission waits for an approver and changes nothing when nobody decides in time', async () => {
  await stack.emulator.seed({ namespaces: [{ name: 'legacy', region: 'aws-us-east-1', retentionDays: 7 }] });
  stack.emulator.clearRequestLog();
  const [timedOut, done] = await stack.runWorker(async () => {
    const start = (id: string) =>
      env.client.workflow.start(decommissionNamespace, {
        args: [{ name: 'legacy', approval: approval() }],
        workflowId: id,
        taskQueue: stack.taskQueue,
      });
    const first = await (await start(workflowIds.decommissionNamespace('legacy'))).result();
    expect(mutations(stack.emulator)).toEqual([]);
    const h = await start(`${workflowIds.decommissionNamespace('legacy')}/2`);
    await until(h, (s) => s.step === 'awaiting-approval');
    await h.signal(approveSignal, { approver: 'pat@example.com' });
    await until(h, (s) => s.refusedDecisions?.length === 1);
    await h.signal(approveSignal, { approver: 'alice@example.com', comment: 'ticket 7' });
    return [first, await h.result()];
  });
  expect(timedOut).toMatchObject({ outcome: 'approval-timed-out' });
  expect(done).toMatchObject({
    outcome: 'deleted',
    approval: { by: 'alice@example.com', comment: 'ticket 7' },
  });
});

test('a namespace whose codec server gets access tokens is created only after an approval; a rejection creates nothing', async () => {
  const input = (name: string) => ({
    name,
    region: 'aws-us-east-1',
    retentionDays: 7,
    codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
    approval: approval({ approvers: '*' }),
  });
  const [rejected, approved] = await stack.runWorker(async () => {
    const start = (name: string) =>
      env.client.workflow.start(provisionNamespace, {
        args: [input(name)],
        workflowId: workflowIds.provisionNamespace(name),
        taskQueue: stack.taskQueue,
      });
    const no = await start('tokens-no');
    await until(no, (s) => s.step === 'awaiting-approval');
    await no.signal(rejectSignal, { approver: 'alice@example.com' });
    const yes = await start('tokens-yes');
    await until(yes, (s) => s.step === 'awaiting-approval');
    await yes.signal(approveSignal, { approver: 'pat@example.com' });
    await until(yes, (s) => s.refusedDecisions?.length === 1);
    await yes.signal(approveSignal, { approver: 'anyone-else@example.com' });
    return [await no.result().catch((err: Error) => err), await yes.result()];
  });
  expect((rejected as Error & { cause?: { type?: string } }).cause?.type).toBe('ApprovalRejected');
  expect(approved.namespace).toMatch(/^tokens-yes\./);
  expect(stack.emulator.snapshot().namespaces.map((n) => n.spec.name)).toEqual(['tokens-yes']);
});
