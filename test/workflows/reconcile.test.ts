// Desired state as code against the emulator, under time skipping, in both dialects (jest projects):
// apply from empty, re-apply as a no-op, export → plan, approval of destructive changes, re-planning when
// the account changes, prune, per-namespace grants, rotation, crashes and lost answers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseDesiredState } from '../../src/desired-state/load';
import type { DesiredStateInput } from '../../src/desired-state/schema';
import { verifyWebhookSignature } from '../../src/secrets/webhook-signature';
import { workflowIds } from '../../src/catalog';
import {
  approveReconcileSignal,
  exportAccount,
  reconcile,
  reconcileStatusQuery,
  rejectReconcileSignal,
  type ReconcileInput,
  type ReconcileStatus,
} from '../../src/workflows';
import { historyText } from '../helpers/history';
import {
  createOpsStack,
  mutations,
  stackPerTest,
  testDialect,
  type OpsStack,
  dialectFreeTest,
} from '../helpers/stack';
import { failureOf, untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
const DAY = 86_400_000;
const cloud = testDialect() === 'cloud';

stackPerTest(
  { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 5_000 },
  (made) => ({ env, stack } = made),
);

const FILE: DesiredStateInput = {
  namespaces: ['payments', 'orders', 'billing'].map((name) => ({
    name,
    region: 'aws-us-east-1',
    retentionDays: 30,
  })),
  serviceAccounts: [
    {
      name: 'payments-ci',
      access: { payments: 'write' },
      apiKeys: [{ displayName: 'ci-key', expiryDays: 90 }],
    },
    { name: 'orders-ci', access: { orders: 'write', billing: 'read' }, apiKeys: [{ displayName: 'ci-key' }] },
    {
      name: 'billing-ci',
      access: { billing: 'admin' },
      apiKeys: [{ displayName: 'deploy', expiryDays: 30 }],
    },
  ],
  users: [
    { email: 'ana@example.com', role: 'admin' },
    { email: 'bo@example.com', role: 'developer', access: { payments: 'read' } },
    { email: 'cy@example.com', access: { orders: 'write' } },
    { email: 'di@example.com', role: 'developer' },
    { email: 'ed@example.com', role: 'read', access: { billing: 'read', orders: 'read' } },
  ],
};

let runs = 0;
const started: WorkflowHandle[] = [];
afterEach(async () => {
  // A failed test must not leave a run behind: a running workflow holds the test server's clock.
  for (const h of started.splice(0)) await h.terminate('test over').catch(() => undefined);
});
async function start(
  desired: DesiredStateInput,
  mode: 'plan' | 'apply',
  extra: Partial<ReconcileInput> = {},
) {
  runs++;
  const handle = await env.client.workflow.start(reconcile, {
    args: [{ name: 'acct', desired, mode, ...extra }],
    workflowId:
      mode === 'plan'
        ? `${workflowIds.reconcilePlan('acct')}-${runs}`
        : `${workflowIds.reconcile('acct')}-${runs}`,
    taskQueue: stack.taskQueue,
  });
  started.push(handle);
  return handle;
}
const run = (desired: DesiredStateInput, mode: 'plan' | 'apply', extra: Partial<ReconcileInput> = {}) =>
  stack.runWorker(async () => (await start(desired, mode, extra)).result());

// Time moves only while the client awaits a result or sleeps: let it, in small steps.
const until = (handle: WorkflowHandle, done: (s: ReconcileStatus) => boolean) =>
  untilStatus(env, handle, reconcileStatusQuery, done, '5s', 200);

const lateCommitLanded = () => stack.emulator.requestLog.some((e) => e.fault === 'late-commit');

const count = () => {
  const s = stack.emulator.snapshot();
  return {
    namespaces: s.namespaces.length,
    serviceAccounts: s.serviceAccounts.length,
    users: s.users.length,
    apiKeys: s.apiKeys.length,
  };
};

test('apply from empty: exactly one of each, tokens only in the sink; a second apply makes no mutating call', async () => {
  const plan = await run(FILE, 'plan');
  expect(plan).toMatchObject({ outcome: 'planned', drift: true });
  expect(plan.plan.changes).toHaveLength(3 + 3 + 3 + 5);
  expect(mutations(stack.emulator)).toEqual([]); // a plan only reads

  const handle = await stack.runWorker(async () => {
    const h = await start(FILE, 'apply');
    await h.result();
    return h;
  });
  const result = await handle.result();
  expect(result.outcome).toBe('applied');
  expect(result.applied.every((a) => a.outcome === 'done')).toBe(true);
  expect(count()).toEqual({ namespaces: 3, serviceAccounts: 3, users: 5, apiKeys: 3 });
  const state = stack.emulator.snapshot();
  const ns = (name: string) => `${name}.a1b2c`;
  expect(state.serviceAccounts.find((s) => s.spec.name === 'orders-ci')!.spec.access).toEqual({
    // The real API refuses an account-wide service account without a role: it gets read.
    ...(cloud ? { accountAccess: { role: 'read' } } : {}),
    namespaceAccesses: { [ns('orders')]: { permission: 'write' }, [ns('billing')]: { permission: 'read' } },
  });
  // Keys reach every namespace: API-key auth is on in each.
  expect(state.namespaces.every((n) => n.spec.apiKeyAuth?.enabled)).toBe(true);
  const history = historyText(await handle.fetchHistory());
  for (const key of state.apiKeys) {
    const stored = await stack.secrets.read(`api-keys/${key.id}`);
    expect(stored?.secret).toMatch(/^tmprl_/);
    expect(history).not.toContain(stored!.secret);
    expect(JSON.stringify(result)).not.toContain(stored!.secret);
  }

  stack.emulator.clearRequestLog();
  const again = await run(FILE, 'apply');
  expect(again).toMatchObject({ outcome: 'no-changes', drift: false, applied: [] });
  expect(mutations(stack.emulator)).toEqual([]);
});

test('export → plan prints no changes', async () => {
  await run(FILE, 'apply');
  const exported = await stack.runWorker(async () =>
    env.client.workflow.execute(exportAccount, {
      args: [{}],
      workflowId: `export-${runs++}`,
      taskQueue: stack.taskQueue,
    }),
  );
  expect(JSON.stringify(exported)).not.toMatch(/tmprl_/);
  const reread = parseDesiredState(JSON.stringify(exported), 'exported.yaml');
  const plan = await run(reread.state, 'plan');
  expect(plan.plan.changes).toEqual([]);
  expect(plan.outcome).toBe('no-changes');
});

test('lost answers (commit-then-drop) and a late commit on every kind of create: exactly one of each', async () => {
  for (const operationId of ['createNamespace', 'createServiceAccount', 'createUser', 'createApiKey']) {
    stack.emulator.faults.add({ kind: 'commit-then-drop', operationId, count: 2 });
  }
  stack.emulator.faults.add({ kind: 'late-commit', operationId: 'createApiKey', ms: 6_000, count: 1 });
  const result = await run(FILE, 'apply');
  expect(result.outcome).toBe('applied');
  // The late create has committed by now (it is in the log, answered to nobody: status 0).
  for (let i = 0; i < 100 && !lateCommitLanded(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(lateCommitLanded()).toBe(true);
  expect(count()).toEqual({ namespaces: 3, serviceAccounts: 3, users: 5, apiKeys: 3 });
  for (const key of stack.emulator.snapshot().apiKeys) {
    expect(await stack.secrets.read(`api-keys/${key.id}`)).toBeDefined();
  }
  // And a second apply finds nothing to do.
  stack.emulator.clearRequestLog();
  expect((await run(FILE, 'apply')).outcome).toBe('no-changes');
  expect(mutations(stack.emulator)).toEqual([]);
});

dialectFreeTest('destructive changes wait for approval; a rejection changes nothing', async () => {
  await run(FILE, 'apply');
  await stack.emulator.seed({ namespaces: [{ name: 'sandbox', region: 'aws-us-east-1', retentionDays: 1 }] });
  const pruning = { ...FILE, prune: { namespaces: ['sand*'] } };
  stack.emulator.clearRequestLog();
  const rejected = await stack.runWorker(async () => {
    const h = await start(pruning, 'apply', { requestedBy: 'dev@example.com' });
    const s = await until(h, (st) => st.step === 'awaiting-approval');
    expect(s.awaitingApproval).toMatchObject({
      destructive: ['delete namespace sandbox'],
      requestedBy: 'dev@example.com',
    });
    await h.signal(rejectReconcileSignal, { approver: 'lead@example.com', reason: 'not today' });
    return h.result();
  });
  expect(rejected).toMatchObject({
    outcome: 'rejected',
    approval: { decision: 'rejected', by: 'lead@example.com', comment: 'not today' },
  });
  expect(mutations(stack.emulator)).toEqual([]);
  expect(stack.emulator.snapshot().namespaces.map((n) => n.spec.name)).toContain('sandbox');

  const approved = await stack.runWorker(async () => {
    const h = await start(pruning, 'apply');
    const s = await until(h, (st) => st.step === 'awaiting-approval');
    await h.signal(approveReconcileSignal, {
      approver: 'lead@example.com',
      fingerprint: s.awaitingApproval!.fingerprint,
    });
    return h.result();
  });
  expect(approved).toMatchObject({
    outcome: 'applied',
    approval: { decision: 'approved', by: 'lead@example.com' },
  });
  expect(stack.emulator.snapshot().namespaces.map((n) => n.spec.name)).not.toContain('sandbox');
});

dialectFreeTest(
  'the account changing between plan and approval makes it plan again and ask again',
  async () => {
    await run(FILE, 'apply');
    await stack.emulator.seed({
      namespaces: [{ name: 'sandbox', region: 'aws-us-east-1', retentionDays: 1 }],
    });
    const pruning = { ...FILE, prune: { namespaces: ['sand*'] } };
    const result = await stack.runWorker(async () => {
      const h = await start(pruning, 'apply');
      const first = await until(h, (st) => st.step === 'awaiting-approval');
      // Meanwhile someone adds another namespace the file owns by prune: the plan grows.
      await stack.emulator.seed({
        namespaces: [{ name: 'sandbox-2', region: 'aws-us-east-1', retentionDays: 1 }],
      });
      await h.signal(approveReconcileSignal, {
        approver: 'lead',
        fingerprint: first.awaitingApproval!.fingerprint,
      });
      const second = await until(
        h,
        (st) =>
          st.step === 'awaiting-approval' &&
          st.awaitingApproval!.fingerprint !== first.awaitingApproval!.fingerprint,
      );
      expect(second.awaitingApproval!.destructive).toEqual([
        'delete namespace sandbox',
        'delete namespace sandbox-2',
      ]);
      // Nothing was deleted on the strength of the first approval.
      expect(stack.emulator.snapshot().namespaces.map((n) => n.spec.name)).toContain('sandbox');
      await h.signal(approveReconcileSignal, {
        approver: 'lead',
        fingerprint: second.awaitingApproval!.fingerprint,
      });
      return h.result();
    });
    expect(result.outcome).toBe('applied');
    expect(
      stack.emulator
        .snapshot()
        .namespaces.map((n) => n.spec.name)
        .sort(),
    ).toEqual(['billing', 'orders', 'payments']);
  },
);

dialectFreeTest('prune off: unmanaged resources are reported and left untouched', async () => {
  await run(FILE, 'apply');
  await stack.emulator.seed({
    namespaces: [{ name: 'sandbox', region: 'aws-us-east-1', retentionDays: 1 }],
    users: [{ email: 'guest@example.com' }],
  });
  stack.emulator.clearRequestLog();
  const result = await run(FILE, 'apply');
  expect(result.outcome).toBe('no-changes');
  expect(result.plan.unmanaged).toEqual([
    { kind: 'namespace', name: 'sandbox' },
    { kind: 'user', name: 'guest@example.com' },
  ]);
  expect(mutations(stack.emulator)).toEqual([]);
});

test('a grant on one namespace leaves the others', async () => {
  await run(FILE, 'apply');
  const granted = {
    ...FILE,
    serviceAccounts: FILE.serviceAccounts!.map((s) =>
      s.name === 'payments-ci'
        ? { ...s, access: { payments: 'write' as const, orders: 'read' as const } }
        : s,
    ),
  };
  // Someone granted billing to payments-ci by hand; the file does not own that account's access.
  const sa = stack.emulator.snapshot().serviceAccounts.find((s) => s.spec.name === 'payments-ci')!;
  if (cloud) {
    await stack.client.setServiceAccountNamespaceAccess({
      serviceAccountId: sa.id,
      namespace: 'billing.a1b2c',
      access: { permission: 'read' },
      resourceVersion: sa.resourceVersion,
      asyncOperationId: 'granted-by-hand',
    });
    await env.sleep('1m');
  }
  const result = await run(granted, 'apply');
  const after = stack.emulator.snapshot().serviceAccounts.find((s) => s.spec.name === 'payments-ci')!;
  if (!cloud) {
    // The given document has no operation to change an account's access: reported, not pretended.
    expect(result.applied).toEqual([
      expect.objectContaining({
        kind: 'serviceAccount',
        name: 'payments-ci',
        outcome: 'skipped',
        detail: expect.stringMatching(/OPS_API_DIALECT=cloud/),
      }),
    ]);
    return;
  }
  expect(result.applied).toEqual([expect.objectContaining({ kind: 'serviceAccount', outcome: 'done' })]);
  expect(after.spec.access?.namespaceAccesses).toEqual({
    'payments.a1b2c': { permission: 'write' },
    'orders.a1b2c': { permission: 'read' },
    'billing.a1b2c': { permission: 'read' },
  });
  expect(mutations(stack.emulator).filter((m) => m.startsWith('update'))).toEqual([]);
});

dialectFreeTest(
  'a key within its rotateBeforeDays is rotated by the rotation workflow, with its grace period',
  async () => {
    const rotating: DesiredStateInput = {
      namespaces: [{ name: 'payments', region: 'aws-us-east-1', retentionDays: 30 }],
      serviceAccounts: [
        {
          name: 'payments-ci',
          access: { payments: 'write' },
          apiKeys: [
            { displayName: 'ci-key', expiryDays: 30, rotateBeforeDays: 7, rotationGracePeriod: '2h' },
          ],
        },
      ],
    };
    await run(rotating, 'apply');
    const [old] = stack.emulator.snapshot().apiKeys;
    await env.sleep(25 * DAY); // 5 days of the key's 30 left: due
    const result = await run(rotating, 'apply');
    expect(result.applied).toEqual([
      expect.objectContaining({
        kind: 'apiKey',
        name: 'payments-ci/ci-key',
        action: 'rotate',
        outcome: 'done',
      }),
    ]);
    const keys = stack.emulator.snapshot().apiKeys;
    expect(keys).toHaveLength(1);
    expect(keys[0]!.id).not.toBe(old!.id);
    expect(keys[0]!.spec.displayName).toMatch(/^ci-key ~r[0-9a-f]{8}$/);
    // The next plan sees the replacement as the same key of the file: nothing to do.
    expect((await run(rotating, 'plan')).plan.changes).toEqual([]);
  },
);

dialectFreeTest('a bad desired state fails before any call, naming the field', async () => {
  const err = await stack.runWorker(async () =>
    (await start({ namespaces: [{ name: 'x', region: 'mars', retentionDays: 0 }] } as never, 'apply'))
      .result()
      .catch((e: unknown) => e),
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = failureOf(err);
  expect(cause.type).toBe('InvalidInput');
  expect(cause.message).toMatch(/desired\.namespaces\.0\.region/);
  expect(stack.emulator.requestLog).toEqual([]);
});

describe('changing what exists', () => {
  const withChanges = (): DesiredStateInput => ({
    ...FILE,
    namespaces: FILE.namespaces!.map((n) => (n.name === 'orders' ? { ...n, retentionDays: 7 } : n)),
    users: FILE.users!.map((u) => (u.email === 'bo@example.com' ? { ...u, role: 'read' as const } : u)),
    // Deleting sandbox needs approval in either dialect (the access changes cannot be made in one).
    prune: { access: ['ed@example.com'], namespaces: ['sandbox'] },
  });

  test('a namespace update (its answer lost) keeps the rest of the spec; a role change and an access removal need approval', async () => {
    await run(FILE, 'apply');
    await stack.emulator.seed({
      namespaces: [{ name: 'sandbox', region: 'aws-us-east-1', retentionDays: 1 }],
    });
    stack.emulator.faults.add({ kind: 'commit-then-drop', operationId: 'updateNamespace', count: 1 });
    const changed = withChanges();
    // ed loses billing (the file owns ed's access and now lists only orders).
    changed.users = changed.users!.map((u) =>
      u.email === 'ed@example.com' ? { ...u, access: { orders: 'read' as const } } : u,
    );
    const result = await stack.runWorker(async () => {
      const h = await start(changed, 'apply', { requestedBy: 'ops@example.com' });
      const s = await until(h, (st) => st.step === 'awaiting-approval');
      expect(s.approvalDeadline).toBeDefined();
      // The requester cannot approve their own apply, however they send it.
      await h.signal(approveReconcileSignal, { approver: 'OPS@example.com' });
      const refused = await until(h, (st) => st.refusedDecisions !== undefined);
      expect(refused.step).toBe('awaiting-approval');
      expect(refused.refusedDecisions).toEqual([
        expect.objectContaining({
          action: 'approve',
          by: 'OPS@example.com',
          reason: expect.stringMatching(/requested this/),
        }),
      ]);
      await h.signal(approveReconcileSignal, { approver: 'lead@example.com', comment: 'ok' });
      return h.result();
    });
    const byName = Object.fromEntries(result.applied.map((a) => [`${a.kind} ${a.name}`, a]));
    expect(byName['namespace orders']).toMatchObject({ outcome: 'done' });
    const orders = stack.emulator.snapshot().namespaces.find((n) => n.spec.name === 'orders')!;
    expect(orders.spec).toMatchObject({ retentionDays: 7, apiKeyAuth: { enabled: true } });
    expect(result.approval).toMatchObject({ by: 'lead@example.com', comment: 'ok' });
    const users = stack.emulator.snapshot().users;
    const bo = users.find((u) => u.spec.email === 'bo@example.com')!;
    const ed = users.find((u) => u.spec.email === 'ed@example.com')!;
    if (!cloud) {
      expect(byName['user bo@example.com']).toMatchObject({ outcome: 'skipped' });
      expect(bo.spec.access?.accountAccess?.role).toBe('developer');
      return;
    }
    expect(byName['user bo@example.com']).toMatchObject({ outcome: 'done' });
    expect(bo.spec.access).toEqual({
      accountAccess: { role: 'read' },
      namespaceAccesses: { 'payments.a1b2c': { permission: 'read' } },
    });
    expect(ed.spec.access?.namespaceAccesses).toEqual({ 'orders.a1b2c': { permission: 'read' } });
    // The next plan finds the account as the file says.
    expect((await run(changed, 'plan')).plan.changes).toEqual([]);
  });

  dialectFreeTest(
    'auto-approve applies destructive changes at once; with no decision in time nothing is changed',
    async () => {
      await run(FILE, 'apply');
      await stack.emulator.seed({
        namespaces: [{ name: 'sandbox', region: 'aws-us-east-1', retentionDays: 1 }],
      });
      const pruning = { ...FILE, prune: { namespaces: ['sandbox'] } };
      stack.emulator.clearRequestLog();
      const timedOut = await run(pruning, 'apply', { approvalTimeout: '1h' });
      expect(timedOut.outcome).toBe('approval-timed-out');
      expect(mutations(stack.emulator)).toEqual([]);
      const auto = await run(pruning, 'apply', { autoApprove: true });
      expect(auto.outcome).toBe('applied');
      expect(stack.emulator.snapshot().namespaces.map((n) => n.spec.name)).not.toContain('sandbox');
    },
  );
});

dialectFreeTest(
  'a plan that finds drift posts a signed summary (names and fields, never values) to the drift webhook',
  async () => {
    const received: Array<{ body: string; headers: http.IncomingHttpHeaders }> = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const secret = 'drift-secret-0123456789';
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/T000/secret-path`;
    await stack.close();
    stack = await createOpsStack(
      env,
      { asyncOperationDurationMs: { '*': 20_000 }, checkDurationMs: 5_000 },
      { driftWebhook: { url, secret } },
    );
    try {
      const result = await run(FILE, 'plan', { notifyDrift: true });
      expect(result).toMatchObject({ drift: true, notified: 'sent' });
      expect(received).toHaveLength(1);
      const [{ body, headers }] = received as [{ body: string; headers: http.IncomingHttpHeaders }];
      expect(
        verifyWebhookSignature(body, headers['x-signature-timestamp'], headers['x-signature-256'], secret),
      ).toBe(true);
      const summary = JSON.parse(body) as {
        type: string;
        name: string;
        changes: Array<{ fields: string[] }>;
      };
      expect(summary).toMatchObject({ type: 'desired-state.drift', name: 'acct' });
      expect(summary.changes[0]!.fields).toContain('retentionDays');
      expect(body).not.toContain('aws-us-east-1'); // field names, not their values
      // No drift, nothing posted.
      await run(FILE, 'apply');
      expect((await run(FILE, 'plan', { notifyDrift: true })).notified).toBeUndefined();
      expect(received).toHaveLength(1);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  },
);
