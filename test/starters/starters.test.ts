import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../src/catalog';
import { silentLogger } from '../../src/logger';
import { defaultPolicy } from '../../src/policy/policy';
import { createIntake } from '../../src/requests/intake';
import { ANY_APPROVER } from '../../src/shared/approval';
import { mutations, stackPerFile, type OpsStack } from '../helpers/stack';
import { createLocalEnv } from '../helpers/temporal';
import { main as decommissionMain } from '../../src/starters/decommission-namespace';
import { main as provisionMain } from '../../src/starters/provision-namespace';
import { main as updateMain } from '../../src/starters/update-namespace';
import { hermeticEnv, jsonOut, runMain, runStarter, type StarterRun } from './run-starter';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
let childEnv: NodeJS.ProcessEnv;
let tmp: string;

// Real time: async operations finish in 200 ms and hint 100 ms polls (the workflows poll at most 1/s unless the hidden
// --min-poll-seconds says otherwise).
stackPerFile(
  { asyncOperationDurationMs: 200, checkDurationMs: 100 },
  (made) => ({ env, stack } = made),
  createLocalEnv,
);
beforeAll(async () => {
  childEnv = hermeticEnv({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: stack.taskQueue,
  });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'starters-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  stack.emulator.faults.clear();
  stack.emulator.clearRequestLog();
});

const run = (name: string, ...args: string[]) => runStarter(name, args, childEnv);
// The same shell in this process (no child's start-up cost): for what a process adds nothing to.
const inProcess = (main: typeof provisionMain, ...args: string[]) =>
  runMain(main, args, { client: env.client, env: { TASK_QUEUE: stack.taskQueue } });
const FAST = ['--min-poll-seconds', '0.2'];

function noStackTrace(r: Pick<StarterRun, 'stdout' | 'stderr'>): void {
  expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
}

async function workflowExists(workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

test('--help prints usage with every flag and exits 0, for each starter', async () => {
  const [provision, update, decommission] = await Promise.all([
    run('provision-namespace', '--help'),
    inProcess(updateMain, '-h'),
    inProcess(decommissionMain, '--help', '--bogus'),
  ]);
  for (const r of [provision, update, decommission]) {
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run [a-z-]+ -- \[flags\]/);
    expect(r.stdout).toContain('--wait');
    expect(r.stdout).toContain('Exit codes: 0 success, 1 workflow failed, 2 bad flags');
  }
  expect(provision.stdout).toContain('--service-account[=NAME]');
  expect(provision.stdout).not.toContain('--min-poll-seconds');
  expect(update.stdout).toContain('--clear-codec');
  expect(decommission.stdout).toContain('--delete-service-accounts');
});

test('bad flags exit 2, name every offending flag and start nothing', async () => {
  const [provision, provisionJson, update, decommission] = await Promise.all([
    inProcess(
      provisionMain,
      ...['--name', 'payments-bad', '--region', 'aws-us-east-1', '--retention-days', '91'],
      ...['--service-account', '--permission', 'owner', '--api-key', '--key-expiry-days', 'ninety'],
      ...['--account-role', 'owner'],
      '--wait',
    ),
    inProcess(provisionMain, '--name', 'payments-bad', '--api-key', '--retention-days', '--json'),
    inProcess(
      updateMain,
      '--name',
      'payments-bad',
      '--codec-endpoint',
      'http://codec.example',
      '--clear-codec',
    ),
    run('decommission-namespace', '--name', 'Payments_Bad', '--delete-everything'),
  ]);

  expect(provision.code).toBe(2);
  expect(provision.stderr).toContain('--retention-days: must be at most 90');
  expect(provision.stderr).toContain('--permission: must be one of admin, write, read');
  expect(provision.stderr).toContain('--key-expiry-days: must be a number, got "ninety"');
  expect(provision.stderr).toContain('--account-role: must be one of admin, developer, read');
  expect(provision.stdout).toBe('');

  expect(provisionJson.code).toBe(2);
  const doc = jsonOut(provisionJson);
  expect(doc).toMatchObject({ ok: false, error: { kind: 'usage' } });
  expect((doc.error as { problems: unknown[] }).problems).toEqual(
    expect.arrayContaining([
      { flag: '--retention-days', message: 'needs a value' },
      { flag: '--api-key', message: expect.stringContaining('needs --service-account') },
      { flag: '--region', message: 'is required' },
    ]),
  );

  expect(update.code).toBe(2);
  expect(update.stderr).toContain('--codec-endpoint: cannot be combined with --clear-codec');

  expect(decommission.code).toBe(2);
  expect(decommission.stderr).toContain('--delete-everything: unknown flag');
  expect(decommission.stderr).toMatch(/--name: must be 2–39 characters/);

  for (const r of [provision, provisionJson, update, decommission]) noStackTrace(r);
  expect(stack.emulator.requestLog).toEqual([]);
  expect(await workflowExists(workflowIds.provisionNamespace('payments-bad'))).toBe(false);
  expect(await workflowExists(workflowIds.updateNamespace('payments-bad'))).toBe(false);
});

test('provision --wait --json: progress on stderr, result JSON on stdout, token nowhere', async () => {
  const r = await stack.runWorker(() =>
    run(
      'provision-namespace',
      ...['--name', 'payments-prod', '--region', 'aws-us-east-1', '--retention-days', '30'],
      ...['--service-account', '--permission', 'write', '--api-key=payments-ci', '--key-expiry-days', '30'],
      ...['--account-role', 'developer', '--wait', '--json'],
    ),
  );
  expect(r.code).toBe(0);
  const doc = jsonOut(r);
  const state = stack.emulator.snapshot();
  const key = state.apiKeys[0]!;
  expect(doc).toMatchObject({
    ok: true,
    workflowId: 'provision-namespace/payments-prod',
    started: true,
    status: 'COMPLETED',
    result: {
      namespace: 'payments-prod.a1b2c',
      serviceAccountId: state.serviceAccounts[0]!.id,
      apiKeyId: key.id,
      secretRef: `file:api-keys/${key.id}`,
    },
  });
  expect(key.spec.displayName).toBe('payments-ci');
  expect(state.serviceAccounts[0]!.spec.name).toBe('payments-prod-sa');
  // --account-role: an account-wide account with that role instead of a namespace-scoped one.
  expect(doc).toMatchObject({ result: { serviceAccountScope: 'account' } });
  expect(state.serviceAccounts[0]!.spec.access?.accountAccess).toEqual({ role: 'developer' });
  expect(r.stderr).toContain('started new run of provision-namespace/payments-prod');
  expect(r.stderr).toMatch(/\[\d+\.\ds\] (creating|waiting-for)-/);

  const token = (await stack.secrets.read(`api-keys/${key.id}`))!.secret;
  expect(token).toMatch(/^tmprl_/);
  expect(r.stdout + r.stderr).not.toContain(token);
});

test('starting the same provisioning again attaches to the one run, running or finished', async () => {
  const args = ['--name', 'orders-prod', '--region', 'aws-us-east-1', '--retention-days', '7', ...FAST];
  const id = workflowIds.provisionNamespace('orders-prod');

  // No worker yet: the first run stays RUNNING, so the second start must attach to it.
  const first = await run('provision-namespace', ...args);
  const second = await run('provision-namespace', ...args, '--json');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/^started new run of provision-namespace\/orders-prod \(run [\w-]+/);
  const runId = /\(run ([\w-]+)/.exec(first.stdout)![1];
  expect(second.code).toBe(0);
  expect(jsonOut(second)).toEqual({ ok: true, workflowId: id, runId, started: false, status: 'RUNNING' });

  const third = await stack.runWorker(() => run('provision-namespace', ...args, '--wait', '--json'));
  expect(third.code).toBe(0);
  expect(jsonOut(third)).toMatchObject({ started: false, runId, result: { namespace: 'orders-prod.a1b2c' } });

  // Finished: ids are not reused, so this reports that run's result without starting anything (once the worker has
  // said that its namespace is still there).
  const fourth = await stack.runWorker(() => run('provision-namespace', ...args, '--wait'));
  expect(fourth.code).toBe(0);
  expect(fourth.stderr).toContain(`attached to existing run of ${id} (run ${runId}, COMPLETED)`);
  expect(fourth.stderr).toContain('pass --workflow-id to start a separate run');
  expect(fourth.stdout).toContain('namespace orders-prod.a1b2c is ready at');

  const runs = [];
  for await (const info of env.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(info.runId);
  expect(runs).toEqual([runId]);
  expect(stack.emulator.snapshot().namespaces.filter((n) => n.spec.name === 'orders-prod')).toHaveLength(1);
  expect(mutations(stack.emulator).filter((m) => m === 'createNamespace')).toHaveLength(1);
});

test('a finished provisioning whose namespace is gone since is not reported but run anew, from a starter and from a request', async () => {
  const args = ['--name', 'gone-prod', '--region', 'aws-us-east-1', '--retention-days', '7', ...FAST];
  const id = workflowIds.provisionNamespace('gone-prod');
  const decommission = () =>
    env.client.workflow.execute('decommissionNamespace', {
      workflowId: workflowIds.decommissionNamespace('gone-prod'),
      taskQueue: stack.taskQueue,
      args: [{ name: 'gone-prod' }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  const live = () => stack.emulator.snapshot().namespaces.filter((n) => n.spec.name === 'gone-prod');

  const first = await stack.runWorker(() => run('provision-namespace', ...args, '--wait', '--json'));
  expect(jsonOut(first)).toMatchObject({ ok: true, started: true });
  const firstRun = jsonOut(first).runId as string;
  expect(await stack.runWorker(decommission)).toMatchObject({ outcome: 'deleted' });
  expect(live()).toEqual([]);

  // The finished run's result would say "ready" for a namespace that no longer exists: a new run makes it again.
  const again = await stack.runWorker(() => run('provision-namespace', ...args, '--wait'));
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(
    `namespace gone-prod is gone since run ${firstRun} finished: starting a new run`,
  );
  expect(again.stderr).toMatch(/started new run of provision-namespace\/gone-prod \(run [\w-]+/);
  expect(again.stderr).not.toContain('attached to existing run');
  expect(again.stdout).toContain('namespace gone-prod.a1b2c is ready at');
  expect(live()).toEqual([expect.objectContaining({ state: 'active' })]);

  // A signed event or a portal form (the intake) does the same.
  expect(await stack.runWorker(decommission)).toMatchObject({ outcome: 'deleted' });
  const intake = createIntake({
    client: env.client,
    taskQueue: stack.taskQueue,
    logger: silentLogger,
    policy: defaultPolicy(ANY_APPROVER),
  });
  const data = { name: 'gone-prod', region: 'aws-us-east-1', retentionDays: 7 };
  const outcome = await stack.runWorker(async () => {
    const submitted = await intake.submit(
      { id: 'evt-gone-prod', type: 'namespace.requested', data },
      { source: 'events' },
    );
    if (submitted.kind === 'started') await env.client.workflow.getHandle(id, submitted.runId).result();
    return submitted;
  });
  expect(outcome).toMatchObject({ kind: 'started', workflowId: id });
  expect(live()).toEqual([expect.objectContaining({ state: 'active' })]);

  const runs = [];
  for await (const info of env.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(info.runId);
  expect(runs).toHaveLength(3);
});

test('update-namespace --wait changes settings; a later change runs anew, a conflicting one in flight is refused', async () => {
  const [nsId] = (
    await stack.emulator.seed({
      namespaces: [{ name: 'billing-prod', region: 'aws-us-east-1', retentionDays: 30 }],
    })
  ).namespaceIds;
  const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUexample\n-----END CERTIFICATE-----\n';
  const caFile = path.join(tmp, 'ca.pem');
  await writeFile(caFile, pem);

  const r = await stack.runWorker(() =>
    run(
      'update-namespace',
      '--name',
      'billing-prod',
      '--retention-days',
      '14',
      '--mtls-ca-file',
      caFile,
      '--wait',
    ),
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('namespace billing-prod.a1b2c updated');
  const spec = () => stack.emulator.snapshot().namespaces.find((n) => n.namespace === nsId)!.spec;
  expect(spec().retentionDays).toBe(14);
  expect(spec().mtlsAuth?.acceptedClientCa).toBe(Buffer.from(pem).toString('base64'));

  // Updates recur: once that run has closed, a different change starts a run of its own under the same id.
  const other = await stack.runWorker(() =>
    run('update-namespace', '--name', 'billing-prod', '--clear-mtls', '--wait', '--json'),
  );
  expect(other.code).toBe(0);
  expect(jsonOut(other)).toMatchObject({
    ok: true,
    started: true,
    workflowId: 'update-namespace/billing-prod',
  });
  expect(spec().mtlsAuth).toBeUndefined();
  expect(spec().retentionDays).toBe(14);

  // While a run is in flight, a different change is refused rather than reported as that run's outcome.
  const inFlight = await run('update-namespace', '--name', 'billing-prod', '--retention-days', '21');
  expect(inFlight.code).toBe(0);
  const conflicting = await run(
    'update-namespace',
    '--name',
    'billing-prod',
    '--retention-days',
    '7',
    '--json',
  );
  expect(conflicting.code).toBe(2);
  expect(jsonOut(conflicting)).toMatchObject({
    ok: false,
    started: false,
    status: 'RUNNING',
    error: { kind: 'conflict', message: expect.stringContaining('with different input') },
  });
  expect(conflicting.stderr).toContain('Pass --workflow-id to run it anyway');
  await stack.runWorker(() => env.client.workflow.getHandle('update-namespace/billing-prod').result());
  expect(spec().retentionDays).toBe(21);
});

test('decommission-namespace waits for an approver (never its requester), then deletes the namespace and its only-here service account', async () => {
  const seeded = await stack.emulator.seed({
    namespaces: [{ name: 'legacy-prod', region: 'aws-us-east-1', retentionDays: 30 }],
  });
  const nsId = seeded.namespaceIds[0]!;
  await stack.emulator.seed({
    serviceAccounts: [
      { name: 'legacy-sa', access: { namespaceAccesses: { [nsId]: { permission: 'write' } } } },
    ],
  });

  const decommission = (...args: string[]) => run('decommission-namespace', '--name', 'legacy-prod', ...args);
  const r = await stack.runWorker(async () => {
    const started = await decommission('--delete-service-accounts', '--requested-by', 'ops@example.com');
    expect(started.code).toBe(0);
    // The requester's own approval is refused by the run itself, and the command says so.
    const own = await decommission('--approve', '--approver', 'OPS@example.com');
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/refused the approve by OPS@example.com: .*requested this/);
    expect(stack.emulator.snapshot().namespaces.find((n) => n.namespace === nsId)?.state).toBe('active');
    return decommission('--approve', '--approver', 'lead@example.com', '--wait', '--json');
  });
  expect(r.code).toBe(0);
  expect(jsonOut(r)).toMatchObject({
    ok: true,
    signal: 'approve',
    result: {
      name: 'legacy-prod',
      namespace: nsId,
      outcome: 'deleted',
      deletedServiceAccounts: [expect.any(String)],
      approval: { decision: 'approved', by: 'lead@example.com' },
    },
  });
  const state = stack.emulator.snapshot();
  expect(state.namespaces.find((n) => n.namespace === nsId)).toBeUndefined();
  expect(state.serviceAccounts.find((s) => s.spec.name === 'legacy-sa')).toBeUndefined();
});

test('a failing workflow exits 1 with its message and cause chain, not a stack trace', async () => {
  stack.emulator.faults.add({
    kind: 'async-fail',
    operationId: 'createNamespace',
    reason: 'quota exceeded',
    count: 1,
  });
  const r = await stack.runWorker(() =>
    run(
      'provision-namespace',
      ...['--name', 'fraud-prod', '--region', 'aws-us-east-1', '--retention-days', '30', ...FAST],
      ...['--wait', '--json'],
    ),
  );
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(
    /workflow provision-namespace\/fraud-prod \(run [\w-]+\) failed: provisioning fraud-prod failed/,
  );
  expect(r.stderr).toMatch(/caused by .*quota exceeded/);
  noStackTrace(r);
  const doc = jsonOut(r);
  expect(doc).toMatchObject({
    ok: false,
    started: true,
    status: 'FAILED',
    error: { kind: 'workflow', type: 'ProvisioningFailed', message: expect.stringContaining('Rolled back') },
  });
  expect(JSON.stringify(doc)).toContain('quota exceeded');
});
