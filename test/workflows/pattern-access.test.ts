// Access by pattern end to end, in both dialects, on a dev server (Schedules need one): a file gives a user and a
// service account `'payments-*'`; its auto-applying reconcile schedule applies it; a namespace made since by hand is
// drift that one scheduled run grants; a namespace provisioned through provisionNamespace is granted at once (the run
// triggers the schedule); each grant's answer lost (commit-then-drop) changes nothing twice. Where the API cannot
// change an existing principal's access (openapi), the plan and the runs say so instead.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { workflowIds } from '../../src/catalog';
import { OpsApiClient } from '../../src/ops-api';
import { main as scheduleMain } from '../../src/starters/schedule-reconcile';
import { provisionNamespace, reconcile, type ReconcileResult } from '../../src/workflows';
import { parseDesiredState } from '../../src/desired-state/load';
import { mutations, stackPerTest, testDialect, wallClockEmulator, type OpsStack } from '../helpers/stack';
import { createLocalEnv } from '../helpers/temporal';
import { runMain } from '../starters/run-starter';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
let tmp: string;
const cloud = testDialect() === 'cloud';

stackPerTest(wallClockEmulator, (made) => ({ env, stack } = made), createLocalEnv);
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pattern-access-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  // A failed test must not leave its schedule to the next one (the dev server is the file's).
  await env.client.schedule
    .getHandle(SCHEDULE)
    .delete()
    .catch(() => undefined);
});

const FILE = `name: payments
namespaces:
  - { name: payments-prod, region: aws-us-east-1, retentionDays: 7 }
users:
  - email: ana@example.com
    role: developer
    access: { 'payments-*': read }
serviceAccounts:
  - name: payments-ci
    access: { 'payments-*': write }
`;
const SCHEDULE = workflowIds.reconcileSchedule('payments');

const schedule = (...argv: string[]) =>
  runMain(scheduleMain, argv, { client: env.client, env: { TASK_QUEUE: stack.taskQueue, USER: 'tester' } });

/** A worker whose activities reach this dev server's schedules, as the product's worker does. */
function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  const client = new OpsApiClient({
    baseUrl: stack.emulator.url,
    apiKey: stack.emulator.apiKey,
    dialect: testDialect(),
    timeoutMs: 5_000,
  });
  const activities = createActivities({ client, secrets: stack.secrets, temporal: env.client });
  return stack.runWorker(fn, { activities });
}

/** The namespaces (by name) ana and payments-ci have access to, with the permission. */
function grants(): { user: Record<string, string>; serviceAccount: Record<string, string> } {
  const state = stack.emulator.snapshot();
  const byName = (access: Record<string, { permission: string }> | undefined) =>
    Object.fromEntries(Object.entries(access ?? {}).map(([id, a]) => [id.split('.')[0]!, a.permission]));
  const ana = state.users.find((u) => u.spec.email === 'ana@example.com');
  const ci = state.serviceAccounts.find((s) => s.spec.name === 'payments-ci');
  return {
    user: byName(ana?.spec.access?.namespaceAccesses),
    serviceAccount: byName(ci?.spec.access?.namespaceAccesses),
  };
}

/** The runs of the schedule that ended, newest first. */
async function scheduledResults(): Promise<ReconcileResult[]> {
  const described = await env.client.schedule.getHandle(SCHEDULE).describe();
  const done: ReconcileResult[] = [];
  for (const action of [...described.info.recentActions].reverse()) {
    const handle = env.client.workflow.getHandle(action.action.workflow.workflowId);
    // A failed run fails the test with its cause.
    if ((await handle.describe()).status.name !== 'RUNNING') done.push(await handle.result());
  }
  return done;
}

/** Waits (bounded; never a timing assertion) until `n` scheduled runs have completed; the newest one's result. */
async function scheduledRun(n: number): Promise<ReconcileResult> {
  for (let i = 0; i < 600; i++) {
    const done = await scheduledResults();
    if (done.length >= n) return done[0]!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${n} scheduled runs completed`);
}

let plans = 0;
const planNow = () =>
  env.client.workflow.execute(reconcile, {
    args: [{ name: 'payments', desired: parseDesiredState(FILE, 'payments.yaml').state, mode: 'plan' }],
    workflowId: `${workflowIds.reconcilePlan('payments')}-${++plans}`,
    taskQueue: stack.taskQueue,
  });

test("'payments-*' follows new namespaces: scheduled reconcile, then provisioning grants at once; lost answers change nothing twice", async () => {
  const file = path.join(tmp, 'payments.yaml');
  await writeFile(file, FILE);
  expect((await schedule('-f', file, '--every', '1d', '--auto-apply')).code).toBe(0);
  await withWorker(async () => {
    // The first scheduled run creates both principals with the pattern's grant on payments-prod.
    expect((await schedule('-f', file, '--trigger-now')).code).toBe(0);
    const first = await scheduledRun(1);
    expect(first.outcome).toBe('applied');
    expect(first.plan.changes.find((c) => c.kind === 'user')!.fields).toContainEqual({
      field: 'access.payments-prod',
      from: null,
      to: 'read',
      pattern: 'payments-*',
    });
    expect(grants()).toEqual({
      user: { 'payments-prod': 'read' },
      serviceAccount: { 'payments-prod': 'write' },
    });
    expect((await planNow()).outcome).toBe('no-changes');

    // Made by hand since: drift (a missing grant each, from the pattern) until the next scheduled run grants it.
    await stack.emulator.seed({
      namespaces: [{ name: 'payments-us', region: 'aws-us-east-1', retentionDays: 1 }],
    });
    const drift = await planNow();
    expect(drift.drift).toBe(true);
    expect(drift.plan.changes.map((c) => [c.kind, c.fields, c.blocked !== undefined])).toEqual([
      [
        'serviceAccount',
        [{ field: 'access.payments-us', from: null, to: 'write', pattern: 'payments-*' }],
        !cloud,
      ],
      ['user', [{ field: 'access.payments-us', from: null, to: 'read', pattern: 'payments-*' }], !cloud],
    ]);
    for (const op of ['setUserNamespaceAccess', 'setServiceAccountNamespaceAccess'])
      stack.emulator.faults.add({ kind: 'commit-then-drop', operationId: op, count: 1 });
    stack.emulator.clearRequestLog();
    expect((await schedule('-f', file, '--trigger-now')).code).toBe(0);
    const second = await scheduledRun(2);
    if (cloud) {
      expect(second.applied.map((a) => a.outcome)).toEqual(['done', 'done']);
      expect(grants().user).toEqual({ 'payments-prod': 'read', 'payments-us': 'read' });
      expect(grants().serviceAccount).toEqual({ 'payments-prod': 'write', 'payments-us': 'write' });
      // Each answer was lost once, and each grant was still sent once: the retry found its own operation.
      expect(mutations(stack.emulator).sort()).toEqual([
        'setServiceAccountNamespaceAccess',
        'setUserNamespaceAccess',
      ]);
      expect(stack.emulator.requestLog.filter((e) => e.fault === 'commit-then-drop')).toHaveLength(2);
      expect((await planNow()).outcome).toBe('no-changes');
    } else {
      expect(second.applied.map((a) => [a.outcome, a.detail])).toEqual([
        ['skipped', expect.stringMatching(/no operation to change an existing principal/)],
        ['skipped', expect.stringMatching(/no operation to change an existing principal/)],
      ]);
      expect(mutations(stack.emulator)).toEqual([]);
    }

    // Provisioned through the product: the run asks the schedule, whose run grants it — nobody edits the file.
    const provisioned = await env.client.workflow.execute(provisionNamespace, {
      args: [{ name: 'payments-eu', region: 'aws-us-east-1', retentionDays: 7 }],
      workflowId: 'provision-namespace/payments-eu',
      taskQueue: stack.taskQueue,
    });
    expect(provisioned.reconciles).toEqual({ triggered: [SCHEDULE] });
    const third = await scheduledRun(3);
    if (cloud) {
      expect(third.outcome).toBe('applied');
      expect(grants().user['payments-eu']).toBe('read');
      expect(grants().serviceAccount['payments-eu']).toBe('write');
      expect((await planNow()).outcome).toBe('no-changes');
    } else {
      expect(
        third.plan.changes.filter((c) => c.fields.some((f) => f.field === 'access.payments-eu')),
      ).toHaveLength(2);
      expect(grants().user['payments-eu']).toBeUndefined();
    }
  });
});

test('provisioning a namespace no desired state reaches triggers nothing', async () => {
  const file = path.join(tmp, 'payments.yaml');
  await writeFile(file, FILE);
  expect((await schedule('-f', file, '--every', '1d', '--auto-apply')).code).toBe(0);
  const provisioned = await withWorker(() =>
    env.client.workflow.execute(provisionNamespace, {
      args: [{ name: 'orders-eu', region: 'aws-us-east-1', retentionDays: 7 }],
      workflowId: 'provision-namespace/orders-eu',
      taskQueue: stack.taskQueue,
    }),
  );
  expect(provisioned.reconciles).toEqual({ triggered: [] });
  expect((await env.client.schedule.getHandle(SCHEDULE).describe()).info.recentActions).toEqual([]);
});
