import { readFile, stat } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { provisionNamespace, provisionStatusQuery } from '../../src/workflows';
import { provisionNamespaceKind, workflowIds } from '../../src/catalog';
import { historyEventCount, historyText, searchableText } from '../helpers/history';
import {
  apiAnswers,
  dialectFreeTest,
  isClientError,
  mutations,
  runtimeLogs,
  stackPerTest,
  type OpsStack,
} from '../helpers/stack';
import { expectOneOfEach, expectRefusedUnchanged, failOperationOnce, provisionRequest } from './support';

let env: TestWorkflowEnvironment;
let stack: OpsStack;

stackPerTest(
  { asyncOperationDurationMs: { createNamespace: 15 * 60_000, '*': 20_000 }, checkDurationMs: 30_000 },
  (made) => ({ env, stack } = made),
);

const baseInput = provisionRequest;

function start(input: unknown, id = workflowIds.provisionNamespace((input as { name: string }).name)) {
  return env.client.workflow.start(provisionNamespace, {
    args: [input as Parameters<typeof provisionNamespace>[0]],
    workflowId: id,
    taskQueue: stack.taskQueue,
  });
}

test('provisions a namespace, service account and key; polls as the checkDuration hint says', async () => {
  const result = await stack.runWorker(async () => {
    const handle = await start(baseInput);
    return handle.result();
  });

  const state = stack.emulator.snapshot();
  expect(state.namespaces).toHaveLength(1);
  expect(state.namespaces[0]).toMatchObject({ namespace: result.namespace, state: 'active' });
  expect(state.serviceAccounts).toHaveLength(1);
  expect(state.apiKeys).toHaveLength(1);
  expect(result).toMatchObject({
    namespace: 'payments-prod.a1b2c',
    serviceAccountId: state.serviceAccounts[0]!.id,
    apiKeyId: state.apiKeys[0]!.id,
    secretRef: `file:api-keys/${state.apiKeys[0]!.id}`,
    created: { namespace: 'payments-prod.a1b2c' },
  });
  expect(result.endpoints.grpcAddress).toContain('payments-prod.a1b2c');

  // 15 min activation with a 30 s hint: 30 polls while pending + the one that sees it fulfilled.
  const nsOp = state.namespaces[0]!.asyncOperationId;
  // Polls the API answered. One the edge answered instead (realism switch edgeAnswers) is asked again after the
  // retry's backoff rather than the hint, so each such answer may add one poll.
  const isPoll = (e: { operationId?: string; path: string }) =>
    e.operationId === 'getAsyncOperation' && e.path.endsWith(`/${nsOp}`);
  const nsPolls = apiAnswers(stack.emulator).filter(isPoll);
  const edgeAnswered = stack.emulator.requestLog.filter((e) => isPoll(e) && e.edge !== undefined).length;
  expect(nsPolls.length).toBeGreaterThanOrEqual(30);
  expect(nsPolls.length).toBeLessThanOrEqual(32 + edgeAnswered);
});

test('the API key token is only in the secret sink: not in history, results, queries or logs', async () => {
  // A finished workflow answers queries by replay, so ask while the worker still runs.
  const { handle, status } = await stack.runWorker(async () => {
    const h = await start(baseInput);
    await h.result();
    return { handle: h, status: await h.query(provisionStatusQuery) };
  });
  const keyId = stack.emulator.snapshot().apiKeys[0]!.id;
  const stored = await stack.secrets.read(`api-keys/${keyId}`);
  const token = stored!.secret;
  expect(token).toMatch(/^tmprl_/);
  expect((await stat(stack.secrets.pathFor(`api-keys/${keyId}`))).mode & 0o777).toBe(0o600);

  const history = historyText(await handle.fetchHistory());
  expect(history).toContain(keyId);
  expect(history).not.toContain(token);
  expect(status.created.apiKeyId).toBe(keyId);
  expect(JSON.stringify(status)).not.toContain(token);
  const logs = searchableText(runtimeLogs);
  expect(logs).toContain('awaitAsyncOperation'); // activity attempts were logged, so the check has teeth
  expect(logs).not.toContain(token);
  expect(logs).not.toContain(stack.emulator.apiKey);
  expect(await readFile(stack.secrets.pathFor(`api-keys/${keyId}`), 'utf8')).toContain(token);
});

test('a failed async operation fails the run with the server reason and rolls back what it created', async () => {
  failOperationOnce(stack.emulator, 'createApiKey');
  const err = await stack.runWorker(async () => {
    const h = await start(baseInput);
    return h.result().catch((e: unknown) => e);
  });
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const message = failureMessages(err);
  expect(message).toContain('quota exceeded');
  expect(message).toMatch(/Rolled back: .*payments-prod\.a1b2c/);

  const state = stack.emulator.snapshot();
  expect(state.namespaces).toHaveLength(0);
  expect(state.serviceAccounts).toHaveLength(0);
  expect(state.apiKeys).toHaveLength(0);
});

test('keepOnFailure leaves what was made in place and says so', async () => {
  failOperationOnce(stack.emulator, 'createServiceAccount', 'boom');
  const err = await stack.runWorker(async () =>
    (await start({ ...baseInput, keepOnFailure: true })).result().catch((e: unknown) => e),
  );
  expect(failureMessages(err)).toMatch(/Left in place: namespace payments-prod\.a1b2c.*keepOnFailure/);
  expect(stack.emulator.snapshot().namespaces).toHaveLength(1);
});

test('an existing namespace with the same spec is adopted, not recreated or rolled back', async () => {
  await stack.emulator.seed({
    namespaces: [
      { name: 'payments-prod', region: 'aws-us-east-1', retentionDays: 30, apiKeyAuth: { enabled: true } },
    ],
  });
  const result = await stack.runWorker(async () => (await start(baseInput)).result());
  expect(result.adopted.namespace).toBe('payments-prod.a1b2c');
  expect(result.created.namespace).toBeUndefined();
  // The create was refused (the name is taken: 409 ALREADY_EXISTS, or another code); the namespace was read.
  expect(
    apiAnswers(stack.emulator)
      .filter((e) => e.operationId === 'createNamespace')
      .map((e) => isClientError(e.status)),
  ).toEqual([true]);
  expect(stack.emulator.snapshot().namespaces).toHaveLength(1);
});

test('the namespace made has API-key auth on, so the key this run mints can reach it', async () => {
  const result = await stack.runWorker(async () => (await start(baseInput)).result());
  const ns = stack.emulator.snapshot().namespaces.find((n) => n.namespace === result.namespace)!;
  expect(ns.spec.apiKeyAuth).toEqual({ enabled: true });
  // Its clients connect with API keys: at the API-key endpoint, not the mTLS one (which may even be empty).
  expect(result.readyAt).toBe(result.endpoints.apiKeyGrpcAddress);
  expect(result.readyAt).not.toBe(result.endpoints.mtlsGrpcAddress);
  expect(provisionNamespaceKind.starter!.summarize!(result)).toContain(
    `is ready at ${result.endpoints.apiKeyGrpcAddress}`,
  );
});

test('an existing namespace without API-key auth is not adopted for a key: the failure says why', async () => {
  await stack.emulator.seed({
    namespaces: [{ name: 'payments-prod', region: 'aws-us-east-1', retentionDays: 30 }],
  });
  const err = await stack.runWorker(async () => (await start(baseInput)).result().catch((e: unknown) => e));
  expect(failureMessages(err)).toMatch(
    /different spec.*apiKeyAuth: \{"enabled":false\} ≠ \{"enabled":true\}/,
  );
  expect(mutations(stack.emulator)).toEqual(['createNamespace']);
  // Without a key the same namespace is adopted as it is.
  const { apiKey: _none, serviceAccount: _sa, ...withoutKey } = baseInput;
  const result = await stack.runWorker(async () =>
    (await start(withoutKey, 'provision-namespace/payments-prod-again')).result(),
  );
  expect(result.adopted.namespace).toBe('payments-prod.a1b2c');
});

test('an existing namespace with a different spec fails without changing anything', async () => {
  await stack.emulator.seed({
    namespaces: [{ name: 'payments-prod', region: 'aws-us-east-1', retentionDays: 7 }],
  });
  const err = await stack.runWorker(async () => (await start(baseInput)).result().catch((e: unknown) => e));
  expect(failureMessages(err)).toMatch(/different spec.*retentionDays: 7 ≠ 30/);
  // The one create was refused (the name is taken); nothing else was attempted and nothing changed.
  expect(
    apiAnswers(stack.emulator)
      .filter((e) => e.method !== 'GET')
      .map((e) => [e.operationId, isClientError(e.status)]),
  ).toEqual([['createNamespace', true]]);
  expect(stack.emulator.snapshot().namespaces).toHaveLength(1);
  expect(stack.emulator.snapshot().namespaces[0]!.spec.retentionDays).toBe(7);
});

test('commit-then-drop, 5xx bursts and 429s: exactly one of each resource, Retry-After honoured', async () => {
  // The injected faults only: the edge's answers (edge-answers.test.ts) come on a schedule of request counts, and
  // one landing on the injected 429 replaces it (a 502 with its own Retry-After) — which it does whenever the
  // requests before it change in number.
  stack.emulator.configure({ realism: { edgeAnswers: false } });
  for (const operationId of ['createNamespace', 'createServiceAccount', 'createApiKey']) {
    stack.emulator.faults.add({ kind: 'commit-then-drop', operationId, count: 1 });
  }
  stack.emulator.faults.add({ kind: 'error', status: 503, operationId: 'listNamespaces', count: 2 });
  stack.emulator.faults.add({ kind: 'error', status: 500, operationId: 'getAsyncOperation', count: 2 });
  stack.emulator.faults.add({
    kind: 'rate-limit',
    retryAfterSeconds: 120,
    operationId: 'createServiceAccount',
    count: 1,
  });

  const result = await stack.runWorker(async () => (await start(baseInput)).result());
  const state = expectOneOfEach(stack.emulator);
  expect(result.created).toEqual({
    namespace: state.namespaces[0]!.namespace,
    serviceAccountId: state.serviceAccounts[0]!.id,
    apiKeyId: state.apiKeys[0]!.id,
  });
  // The lost create response made a key whose token never reached the sink: it was deleted again and
  // replaced, so the one key left is the one whose token we hold.
  expect(await stack.secrets.read(`api-keys/${state.apiKeys[0]!.id}`)).toBeDefined();

  const log = stack.emulator.requestLog;
  // The fault's 429 (an edge's plain 429 carries no Retry-After; edgeAnswers marks it).
  const limited = log.findIndex((e) => e.status === 429 && e.edge === undefined);
  expect(limited).toBeGreaterThanOrEqual(0);
  const retry = log.slice(limited + 1).find((e) => e.operationId === 'createServiceAccount');
  expect(retry!.time - log[limited]!.time).toBeGreaterThanOrEqual(120_000);
});

dialectFreeTest('a duplicate start with the same business key joins the existing run', async () => {
  await stack.runWorker(async () => {
    const first = await start(baseInput);
    const second = await env.client.workflow.start(provisionNamespace, {
      args: [baseInput],
      workflowId: workflowIds.provisionNamespace(baseInput.name),
      taskQueue: stack.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    await first.result();
  });
  expect(stack.emulator.snapshot().namespaces).toHaveLength(1);
  expect(mutations(stack.emulator).filter((m) => m === 'createNamespace')).toHaveLength(1);
});

describe('bad input fails fast, names the field and changes nothing', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['name too short', { name: 'a' }, /name: must be 2–39/],
    ['name too long', { name: 'a'.repeat(40) }, /name: must be 2–39/],
    ['name with uppercase', { name: 'Payments' }, /name: must be/],
    ['name with underscore', { name: 'pay_ments' }, /name: must be/],
    ['name starting with a digit', { name: '1payments' }, /name: must be/],
    ['name ending with a hyphen', { name: 'payments-' }, /name: must be/],
    ['unknown region', { region: 'mars-north-1' }, /region: unknown region "mars-north-1"/],
    ['retention 0', { retentionDays: 0 }, /retentionDays: must be at least 1/],
    ['retention 91', { retentionDays: 91 }, /retentionDays: must be at most 90/],
    ['missing name', { name: undefined }, /name: is required/],
    ['retention of the wrong type', { retentionDays: '30' }, /retentionDays: must be a number/],
    ['unknown field', { colour: 'blue' }, /unknown field\(s\): colour/],
    ['key without owner', { serviceAccount: undefined }, /apiKey: an API key needs a service account/],
  ];
  dialectFreeTest.each(cases)('%s', async (_label, change, expected) => {
    const input = { ...baseInput, ...change };
    const err = await stack.runWorker(async () =>
      (await start(input, `provision-namespace/bad-${Math.random()}`)).result().catch((e: unknown) => e),
    );
    const cause = expectRefusedUnchanged(err, stack.emulator, expected);
    expect(cause.type).toBe('InvalidInput');
  });

  dialectFreeTest('every problem is listed at once', async () => {
    const err = await stack.runWorker(async () =>
      (await start({ name: 'Bad', region: 'nowhere', retentionDays: 0 }, 'provision-namespace/many'))
        .result()
        .catch((e: unknown) => e),
    );
    const message = failureMessages(err);
    expect(message).toMatch(/name: /);
    expect(message).toMatch(/region: unknown region/);
    expect(message).toMatch(/retentionDays: /);
  });
});

dialectFreeTest('a 6-hour activation keeps the workflow history small', async () => {
  stack.emulator.configure({
    asyncOperationDurationMs: { createNamespace: 6 * 60 * 60_000, '*': 1000 },
    checkDurationMs: 60_000,
  });
  const handle = await stack.runWorker(async () => {
    const h = await start({ ...baseInput, wait: { timeoutMinutes: 12 * 60 } });
    await h.result();
    return h;
  });
  const history = await handle.fetchHistory();
  // ~360 polls happened, yet each wait is three events in history: its length does not follow the wait's.
  const polls = stack.emulator.requestLog.filter((e) => e.operationId === 'getAsyncOperation').length;
  expect(polls).toBeGreaterThan(350);
  expect(historyEventCount(history)).toBeLessThan(100);
});

function failureMessages(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as Error | undefined; e; e = (e as { cause?: Error }).cause) parts.push(e.message);
  return parts.join(' <- ');
}
