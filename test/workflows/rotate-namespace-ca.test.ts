// rotateNamespaceCa against the emulator with real certificates (realism switch caBundleChecks on in both
// dialects): start → both CAs accepted → cut-over (timer or signal) → old CA gone; abort and rejection put the
// bundle back exactly; bad certificates refused with their reason and nothing changed; a lost answer and a worker
// restart change nothing twice. One stack for the file, one namespace per test.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import { caBundleToBase64, parseCertificates } from '../../src/certificates';
import { parseDesiredState } from '../../src/desired-state/load';
import type { DesiredStateInput } from '../../src/desired-state/schema';
import type { NamespaceSpec } from '../../src/ops-api/types';
import { main as starterMain } from '../../src/starters/rotate-namespace-ca';
import {
  abortRotationSignal,
  caRotationStatusQuery,
  confirmCutoverSignal,
  reconcile,
  rotateNamespaceCa,
  type CaRotationStatus,
} from '../../src/workflows';
import { makeTestCertificate, pemToBase64 } from '../helpers/certificates';
import { mutations, stackPerFile, testDialect, type OpsStack } from '../helpers/stack';
import { runMain } from '../starters/run-starter';
import { expectRefusedUnchanged, untilStatus } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
stackPerFile(
  {
    asyncOperationDurationMs: { '*': 20_000 },
    checkDurationMs: 10_000,
    // Real certificates in both dialects (on /cloud it is on by default).
    realism: { caBundleChecks: true },
  },
  (made) => ({ env, stack } = made),
);
beforeEach(() => stack.emulator.clearRequestLog());

const DAY = 86_400_000;
// Made once (~0.3 s each). Validity is judged by the activity's (real) clock: the test server's skips far ahead.
const certs = {
  old: makeTestCertificate({ commonName: 'Old CA' }),
  new: makeTestCertificate({ commonName: 'New CA' }),
  other: makeTestCertificate({ commonName: 'Partner CA' }),
  late: makeTestCertificate({ commonName: 'Late partner CA' }),
  expired: makeTestCertificate({ commonName: 'Expired CA', validFromDays: -30, validForDays: -1 }),
  future: makeTestCertificate({ commonName: 'Future CA', validFromDays: 300, validForDays: 400 }),
  leaf: makeTestCertificate({ commonName: 'client', ca: false }),
};
const fp = (pem: string) => parseCertificates(pem)[0]!.fingerprint;
/** A bundle as the real service keeps one (re-encoded), so what the run finds is what it puts back. */
const bundle = (...pems: string[]) => caBundleToBase64(pems.flatMap((p) => parseCertificates(p)));

/** A namespace on mTLS with `pems` accepted, and settings a whole-spec update must keep. */
async function seedNamespace(name: string, ...pems: string[]): Promise<string> {
  const spec: NamespaceSpec = {
    name,
    region: 'aws-us-east-1',
    retentionDays: 14,
    codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
    mtlsAuth: { acceptedClientCa: bundle(...pems), certificateFilters: [{ commonName: 'client' }] },
    apiKeyAuth: { enabled: true },
    // The real API's fields the product does not model: the stack fails the file if an update loses one.
    ...(testDialect() === 'cloud' ? { preserved: { lifecycle: { enableDeleteProtection: true } } } : {}),
  };
  return (await stack.emulator.seed({ namespaces: [spec] })).namespaceIds[0]!;
}

const specOf = (id: string) => stack.emulator.snapshot().namespaces.find((n) => n.namespace === id)!.spec;
const history = (id: string) => stack.emulator.acceptedCaHistory(id);
const updates = () => mutations(stack.emulator).filter((m) => m === 'updateNamespace');

function start(input: Parameters<typeof rotateNamespaceCa>[0]) {
  return env.client.workflow.start(rotateNamespaceCa, {
    args: [input],
    workflowId: workflowIds.rotateNamespaceCa(input.namespace),
    taskQueue: stack.taskQueue,
  });
}

/** Skips workflow time in small steps until the status says so; never a wall-clock wait. */
const until = (handle: WorkflowHandle<typeof rotateNamespaceCa>, done: (s: CaRotationStatus) => boolean) =>
  untilStatus(env, handle, caRotationStatusQuery, done, '10s', 200);

test('7-day grace on a timer: both CAs accepted during it, the old one gone after; nothing else changes', async () => {
  const id = await seedNamespace('ca-timer', certs.old);
  const before = specOf(id);
  const { status, during, result } = await stack.runWorker(async () => {
    const h = await start({ namespace: 'ca-timer', newCa: pemToBase64(certs.new), gracePeriod: '7d' });
    const s = await until(h, (st) => st.step === 'grace-period');
    await env.sleep('6 days');
    const mid = (await h.query(caRotationStatusQuery)).step;
    return { status: s, during: mid, result: await h.result() };
  });
  expect(during).toBe('grace-period');
  expect(status).toMatchObject({
    namespace: id,
    accepted: [{ fingerprint: fp(certs.old) }, { fingerprint: fp(certs.new), subject: 'CN=New CA' }],
    newCas: [{ fingerprint: fp(certs.new) }],
    oldCas: [{ fingerprint: fp(certs.old), subject: 'CN=Old CA' }],
    clientsOnOldCa: { measurable: false, note: expect.stringMatching(/^not measurable via the Ops API/) },
    graceEndsAt: expect.any(String),
  });
  expect(result).toMatchObject({
    outcome: 'rotated',
    graceEndedBy: 'timer',
    added: [{ subject: 'CN=New CA' }],
    removed: [{ subject: 'CN=Old CA' }],
    accepted: [{ fingerprint: fp(certs.new) }],
    bundleAsFound: bundle(certs.old),
  });

  const seen = history(id);
  expect(seen.map((h) => h.fingerprints)).toEqual([
    [fp(certs.old)],
    [fp(certs.old), fp(certs.new)],
    [fp(certs.new)],
  ]);
  expect(Date.parse(seen[2]!.time) - Date.parse(seen[1]!.time)).toBeGreaterThanOrEqual(7 * DAY);
  // Only the bundle changed: filters, codec server, API-key auth and retention are as they were.
  expect(specOf(id)).toEqual({
    ...before,
    mtlsAuth: { ...before.mtlsAuth, acceptedClientCa: bundle(certs.new) },
  });
  expect(updates()).toHaveLength(2);
});

test('the starter starts it from a PEM file and --confirm-cutover (the namespace alone) ends the grace early', async () => {
  const id = await seedNamespace('ca-starter', certs.old);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ca-rotation-'));
  const caFile = path.join(dir, 'new-ca.pem');
  await writeFile(caFile, `# the new root\n${certs.new}`);
  const cli = (...argv: string[]) =>
    runMain(starterMain, argv, {
      client: env.client,
      env: { TASK_QUEUE: stack.taskQueue, USER: 'ops-person' },
    });
  try {
    const result = await stack.runWorker(async () => {
      const started = await cli('--namespace', 'ca-starter', '--ca-file', caFile, '--grace', '30d', '--json');
      expect(started.code).toBe(0);
      const h = env.client.workflow.getHandle<typeof rotateNamespaceCa>(
        workflowIds.rotateNamespaceCa('ca-starter'),
      );
      await until(h, (st) => st.step === 'grace-period');
      // Someone other than the requester (USER) confirms: going ahead is never the requester's own decision.
      const confirmed = await cli('--namespace', 'ca-starter', '--confirm-cutover', '--approver', 'ops-lead');
      expect([confirmed.code, confirmed.stdout]).toEqual([0, expect.stringMatching(/cutover confirmed/)]);
      return h.result();
    });
    expect(result).toMatchObject({ outcome: 'rotated', graceEndedBy: 'confirmCutover' });
    expect(Date.parse(result.completedAt) - Date.parse(result.startedAt)).toBeLessThan(DAY);
    expect(history(id).map((h) => h.fingerprints)).toEqual([
      [fp(certs.old)],
      [fp(certs.old), fp(certs.new)],
      [fp(certs.new)],
    ]);
    // Bad flags are the starter's to refuse, by flag, before anything starts.
    const bad = await cli('--namespace', 'ca-starter', '--ca-file', path.join(dir, 'missing.pem'));
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--ca-file/)]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('abort puts back exactly the bundle found; a CA named in replace alone would have gone', async () => {
  const id = await seedNamespace('ca-abort', certs.old, certs.other);
  const result = await stack.runWorker(async () => {
    const h = await start({ namespace: 'ca-abort', newCa: pemToBase64(certs.new), replace: [fp(certs.old)] });
    const s = await until(h, (st) => st.step === 'grace-period');
    expect(s.oldCas).toEqual([expect.objectContaining({ fingerprint: fp(certs.old) })]);
    await h.signal(abortRotationSignal, { reason: 'clients not ready', by: 'ops' });
    return h.result();
  });
  expect(result).toMatchObject({ outcome: 'aborted', graceEndedBy: 'abort', restored: true, removed: [] });
  expect(result.abortReason).toBe('clients not ready');
  expect(specOf(id).mtlsAuth!.acceptedClientCa).toBe(bundle(certs.old, certs.other));
  const seen = history(id).map((h) => h.fingerprints);
  expect(seen).toEqual([
    [fp(certs.old), fp(certs.other)],
    [fp(certs.old), fp(certs.other), fp(certs.new)],
    [fp(certs.old), fp(certs.other)],
  ]);
  expect(updates()).toHaveLength(2);
});

test('an abort undoes only what the run did: a CA someone else added meanwhile stays', async () => {
  const id = await seedNamespace('ca-abort-late', certs.old);
  await stack.runWorker(async () => {
    const h = await start({ namespace: 'ca-abort-late', newCa: pemToBase64(certs.new) });
    await until(h, (st) => st.step === 'grace-period');
    // Someone else adds a partner's CA during the grace period (the real API's whole-spec update).
    const ns = await stack.client.getNamespace(id);
    const late = bundle(certs.old, certs.new, certs.late);
    await stack.client.updateNamespace(id, {
      resourceVersion: ns.resourceVersion,
      spec: { ...ns.spec, mtlsAuth: { ...ns.spec.mtlsAuth!, acceptedClientCa: late } },
      asyncOperationId: 'someone-else-adds-a-ca',
    });
    await env.sleep('1 minute');
    await h.signal(abortRotationSignal, { reason: 'clients not ready', by: 'ops' });
    expect(await h.result()).toMatchObject({ outcome: 'aborted', restored: true });
  });
  expect(specOf(id).mtlsAuth!.acceptedClientCa).toBe(bundle(certs.old, certs.late));
});

test('a short grace waits for an approver; a rejection puts the bundle back', async () => {
  const id = await seedNamespace('ca-approval', certs.old);
  const approval = { requestedBy: 'alice', approvers: ['bob'], required: true, reasons: ['short grace'] };
  const result = await stack.runWorker(async () => {
    const h = await start({
      namespace: 'ca-approval',
      newCa: pemToBase64(certs.new),
      gracePeriod: '1h',
      approval,
    });
    await until(h, (st) => st.step === 'awaiting-approval');
    // The requester cannot go ahead on their own request; the approver says no.
    await h.signal(confirmCutoverSignal, { by: 'alice' });
    await h.signal('reject', { approver: 'bob', reason: 'not this week' });
    return h.result();
  });
  expect(result).toMatchObject({
    outcome: 'aborted',
    restored: true,
    approval: { decision: 'rejected', by: 'bob' },
    abortReason: 'rejected by bob (not this week)',
  });
  expect(specOf(id).mtlsAuth!.acceptedClientCa).toBe(bundle(certs.old));
});

test('bad certificates and requests are refused with their reason, and nothing changes', async () => {
  await seedNamespace('ca-refused', certs.old);
  await stack.emulator.seed({
    namespaces: [{ name: 'ca-no-mtls', region: 'aws-us-east-1', retentionDays: 3 }],
  });
  const cases: Array<[Parameters<typeof rotateNamespaceCa>[0], RegExp]> = [
    [
      { namespace: 'ca-refused', newCa: pemToBase64(certs.expired) },
      /newCa: certificate 1 \(CN=Expired CA\) expired on/,
    ],
    [
      { namespace: 'ca-refused', newCa: pemToBase64(certs.future) },
      /newCa: certificate 1 .* is not valid until/,
    ],
    [
      { namespace: 'ca-refused', newCa: pemToBase64(certs.leaf) },
      /newCa: certificate 1 \(CN=client\) is not a CA/,
    ],
    [{ namespace: 'ca-refused', newCa: pemToBase64('not a certificate') }, /newCa: no PEM certificate/],
    [{ namespace: 'ca-refused', newCa: 'not base64!' }, /invalid input: newCa: must be base64-encoded PEM/],
    [
      { namespace: 'ca-refused', newCa: pemToBase64(certs.new), replace: [fp(certs.other)] },
      /replace: .* is not among the CAs namespace ca-refused accepts/,
    ],
    [{ namespace: 'ca-no-mtls', newCa: pemToBase64(certs.new) }, /accepts no client CA \(no mTLS\)/],
    [{ namespace: 'ca-missing', newCa: pemToBase64(certs.new) }, /namespace ca-missing does not exist/],
  ];
  await stack.runWorker(async () => {
    for (const [input, reason] of cases) {
      const err = await (await start(input)).result().catch((e: unknown) => e);
      expectRefusedUnchanged(err, stack.emulator, reason);
    }
  });
  // A new CA the namespace accepts already, and nothing else to remove: said so, and nothing to do.
  const same = await stack.runWorker(async () =>
    (await start({ namespace: 'ca-refused', newCa: pemToBase64(certs.old) })).result(),
  );
  expect(same).toMatchObject({ outcome: 'unchanged', alreadyAccepted: [fp(certs.old)], added: [] });
  expect(mutations(stack.emulator)).toEqual([]);
});

test('an answer lost after the commit and a worker restarted mid-way change nothing twice', async () => {
  const id = await seedNamespace('ca-faults', certs.old);
  const { faults } = stack.emulator;
  faults.add({ kind: 'commit-then-drop', operationId: 'updateNamespace', count: 1 });
  faults.add({ kind: 'error', status: 503, operationId: 'getAsyncOperation', count: 2 });
  const workflowId = workflowIds.rotateNamespaceCa('ca-faults');
  // The first worker adds the new CA and goes away during the grace period; the second one picks the run up from
  // its history (the first caches nothing, so nothing waits on a sticky queue of a worker that is gone).
  await stack.runWorker(
    async () => {
      const h = await start({ namespace: 'ca-faults', newCa: pemToBase64(certs.new), gracePeriod: '2d' });
      await until(h, (st) => st.step === 'grace-period');
    },
    { maxCachedWorkflows: 0 },
  );
  const result = await stack.runWorker(async () => {
    const h = env.client.workflow.getHandle<typeof rotateNamespaceCa>(workflowId);
    await env.sleep('2 days');
    return h.result();
  });
  expect(result).toMatchObject({ outcome: 'rotated', graceEndedBy: 'timer' });
  expect(history(id).map((h) => h.fingerprints)).toEqual([
    [fp(certs.old)],
    [fp(certs.old), fp(certs.new)],
    [fp(certs.new)],
  ]);
  // The dropped update was found by its operation id, never sent again.
  expect(updates()).toHaveLength(2);
  expect(faults.list()).toEqual([]);
});

test('desired state drives the same rollover: add the new PEM file, both accepted; drop the old one, it goes', async () => {
  const acceptedClientCa = bundle(certs.old);
  const [id] = (
    await stack.emulator.seed({
      namespaces: [
        { name: 'ca-apply', region: 'aws-us-east-1', retentionDays: 3, mtlsAuth: { acceptedClientCa } },
      ],
    })
  ).namespaceIds;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ca-desired-'));
  await writeFile(path.join(dir, 'old.pem'), certs.old);
  await writeFile(path.join(dir, 'new.pem'), certs.new);
  const desired = (...files: string[]) =>
    parseDesiredState(
      'namespaces:\n  - name: ca-apply\n    region: aws-us-east-1\n    retentionDays: 3\n' +
        `    mtlsAuth: { acceptedClientCa: [${files.join(', ')}] }\n`,
      path.join(dir, 'cloud-ops.yaml'),
    ).state as DesiredStateInput;
  const reconcileRun = (state: DesiredStateInput, mode: 'plan' | 'apply', autoApprove = false) =>
    stack.runWorker(async () =>
      (
        await env.client.workflow.start(reconcile, {
          args: [{ name: 'ca-apply', desired: state, mode, autoApprove }],
          workflowId: `${workflowIds.reconcile('ca-apply')}-${mode}-${Math.random()}`,
          taskQueue: stack.taskQueue,
        })
      ).result(),
    );
  try {
    expect(await reconcileRun(desired('old.pem', 'new.pem'), 'apply')).toMatchObject({ outcome: 'applied' });
    // Removing a CA is destructive: it waits for an approval (given at once here).
    const planned = await reconcileRun(desired('new.pem'), 'plan');
    expect(planned.plan.changes).toEqual([expect.objectContaining({ destructive: true })]);
    expect(await reconcileRun(desired('new.pem'), 'apply', true)).toMatchObject({ outcome: 'applied' });
    expect((await reconcileRun(desired('new.pem'), 'plan')).plan.changes).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  expect(history(id!).map((h) => h.fingerprints)).toEqual([
    [fp(certs.old)],
    [fp(certs.old), fp(certs.new)],
    [fp(certs.new)],
  ]);
});
