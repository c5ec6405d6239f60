// The events endpoint against a real (in-memory) dev server, without a worker: a started workflow simply waits
// in its task queue, which is all these tests need to see whether something was started.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../src/logger';
import { argsFingerprint } from '../../src/client';
import { webhookSignatureHeaders } from '../../src/secrets/webhook-signature';
import { buildEventsServer } from '../../src/service/events';
import { REQUEST_MEMO } from '../../src/shared/request-memo';
import { receiptWorkflowId, temporalReceipts } from '../../src/requests/receipts';
import { statusLinkKey } from '../../src/requests/request-status';
import { createLocalEnv } from '../helpers/temporal';

const SECRET = 'test-events-secret-0123456789';
const TASK_QUEUE = `events-test-${process.pid}`;

let env: TestWorkflowEnvironment;
let client: Client;
let app: FastifyInstance;
let base: string;
let now = Math.floor(Date.now() / 1000);

// Below Temporal's default (1000 bytes, which the endpoint checks itself) so that the server's own refusal of
// an id can be seen too.
const SERVER_MAX_ID_LENGTH = 100;

beforeAll(async () => {
  env = await createLocalEnv({
    extraArgs: ['--dynamic-config-value', `limit.maxIDLength=${SERVER_MAX_ID_LENGTH}`],
  });
  client = env.client;
  app = buildEventsServer({
    client,
    taskQueue: TASK_QUEUE,
    secret: SECRET,
    logger: silentLogger,
    publicUrl: 'http://events.test',
    nowSec: () => now,
  });
  // Over real HTTP: app.inject() pulls in an ESM-only dependency jest cannot load.
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

interface Reply {
  statusCode: number;
  json<T = Record<string, any>>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function request(
  method: 'GET' | 'POST',
  url: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${base}${url}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { statusCode: res.status, json: () => JSON.parse(text) };
}

afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

let seq = 0;
const uniqueName = () => `ev-${process.pid % 10000}-${++seq}`;
const namespaceEvent = (name: string, id = `evt-${name}`) => ({
  id,
  type: 'namespace.requested',
  data: { name, region: 'aws-us-east-1', retentionDays: 7 },
});

function post(body: string, headers: Record<string, string> = webhookSignatureHeaders(body, SECRET, now)) {
  return request('POST', '/events', body, { 'content-type': 'application/json', ...headers });
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

test('a good event starts the workflow under its business-key id', async () => {
  const name = uniqueName();
  const res = await post(JSON.stringify(namespaceEvent(name)));
  expect(res.statusCode).toBe(202);
  const body = res.json<{ workflowId: string; runId: string; statusUrl: string }>();
  expect(body.workflowId).toBe(`provision-namespace/${name}`);
  expect(body.statusUrl).toBe(
    `http://events.test/requests/${encodeURIComponent(body.workflowId)}?key=${statusLinkKey(SECRET, body.workflowId)}`,
  );
  const info = await client.workflow.getHandle(body.workflowId).describe();
  expect(info.type).toBe('provisionNamespace');
  expect(info.runId).toBe(body.runId);
  expect(info.memo?.[REQUEST_MEMO.eventId]).toBe(`evt-${name}`);
  // Tagged for the portal's list of requests; the events endpoint knows no person, so no requester.
  expect(info.memo?.[REQUEST_MEMO.source]).toBe('events');
  expect(info.memo).not.toHaveProperty(REQUEST_MEMO.requestedBy);

  const status = await request('GET', new URL(body.statusUrl).pathname + new URL(body.statusUrl).search);
  expect(status.statusCode).toBe(200);
  expect(status.json()).toMatchObject({
    workflowId: body.workflowId,
    runId: body.runId,
    status: 'RUNNING',
    done: false,
  });
});

test('a re-delivered event returns the same run (200) and starts nothing new', async () => {
  const payload = JSON.stringify(namespaceEvent(uniqueName()));
  const first = await post(payload);
  now += 30; // A later delivery, freshly signed.
  const again = await post(payload);
  expect(first.statusCode).toBe(202);
  expect(again.statusCode).toBe(200);
  expect(again.json()).toMatchObject({ runId: first.json().runId, duplicate: true });
});

test('concurrent duplicate deliveries start one run', async () => {
  const payload = JSON.stringify(namespaceEvent(uniqueName()));
  const responses = await Promise.all(Array.from({ length: 6 }, () => post(payload)));
  const codes = responses.map((r) => r.statusCode).sort();
  expect(codes).toEqual([200, 200, 200, 200, 200, 202]);
  expect(new Set(responses.map((r) => r.json().runId)).size).toBe(1);
});

test('a new event for a business key already running attaches to that run', async () => {
  const name = uniqueName();
  const first = await post(JSON.stringify(namespaceEvent(name, `a-${name}`)));
  const second = await post(JSON.stringify(namespaceEvent(name, `b-${name}`)));
  expect(second.statusCode).toBe(200);
  expect(second.json()).toMatchObject({ runId: first.json().runId, attached: true });
});

describe('seen ids live in Temporal, not in the process', () => {
  const rotationEvent = (id: string, ownerId: string, expiryDays = 30) => ({
    id,
    type: 'apikey.rotation.requested',
    data: { ownerType: 'service-account', ownerId, expiryDays },
  });

  test('the id is claimed by a receipt whose memo holds the fingerprint of the body', async () => {
    const res = await post(JSON.stringify(namespaceEvent(uniqueName(), 'evt-receipt')));
    expect(res.statusCode).toBe(202);
    const receipt = await client.workflow.getHandle(receiptWorkflowId('evt-receipt')).describe();
    expect(receipt).toMatchObject({ type: 'requestReceipt', status: { name: 'RUNNING' } });
    expect(receipt.memo).toMatchObject({
      workflowId: res.json().workflowId,
      fingerprint: expect.any(String),
    });
    // It never runs: no task is queued for it, and nothing polls its task queue.
    expect(receipt.raw.pendingWorkflowTask).toBeFalsy();
  });

  test('a delivery that claimed its id but crashed before starting: the re-delivery starts the run once', async () => {
    const name = uniqueName();
    const event = namespaceEvent(name, `evt-crashed-${name}`);
    // What the crashed replica left behind: the receipt, and no run.
    await temporalReceipts(client, TASK_QUEUE).claim(event.id, {
      fingerprint: argsFingerprint([event.type, event.data]),
      type: event.type,
      workflowId: `provision-namespace/${name}`,
    });
    const again = await post(JSON.stringify(event));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, workflowId: `provision-namespace/${name}` });
    expect(await exists(`provision-namespace/${name}`)).toBe(true);
    expect((await post(JSON.stringify(event))).json().runId).toBe(again.json().runId);
  });

  test('a re-delivered rotation is answered with its own run, after newer runs of the same owner', async () => {
    const owner = `sa-${uniqueName()}`;
    const first = await post(JSON.stringify(rotationEvent(`rot-a-${owner}`, owner)));
    expect(first.statusCode).toBe(202);
    await client.workflow.getHandle(first.json().workflowId).terminate('test: the rotation finished');
    const second = await post(JSON.stringify(rotationEvent(`rot-b-${owner}`, owner)));
    expect(second.statusCode).toBe(202); // Rotations recur: a new request, a new run.
    await client.workflow.getHandle(second.json().workflowId).terminate('test: this one finished too');
    // The first event again: its run (found among the owner's runs), not a third rotation.
    const again = await post(JSON.stringify(rotationEvent(`rot-a-${owner}`, owner)));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, runId: first.json().runId });
    const runs = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = '${first.json().workflowId}'` }))
      runs.push(run.runId);
    expect(runs.sort()).toEqual([first.json().runId, second.json().runId].sort());
  });

  test('a request refused because its key runs another one frees its id for a corrected request', async () => {
    const owner = `sa-${uniqueName()}`;
    expect((await post(JSON.stringify(rotationEvent(`busy-${owner}`, owner)))).statusCode).toBe(202);
    const refused = await post(JSON.stringify(rotationEvent(`other-${owner}`, owner, 60)));
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toBe('conflict');
    // Nothing started, so the id is not "used": the same id with another body is a new request.
    const corrected = await post(JSON.stringify(rotationEvent(`other-${owner}`, `${owner}-2`)));
    expect(corrected.statusCode).toBe(202);
  });
});

describe('rejected requests start nothing', () => {
  test.each([
    ['no signature headers', () => ({})],
    ['a wrong signature', (b: string) => webhookSignatureHeaders(b, 'another-secret-0123456789', now)],
    ['a signature over another body', (b: string) => webhookSignatureHeaders(`${b} `, SECRET, now)],
    ['a timestamp 6 minutes old', (b: string) => webhookSignatureHeaders(b, SECRET, now - 360)],
  ])('401 for %s', async (_case, headers: (body: string) => Record<string, string>) => {
    const name = uniqueName();
    const payload = JSON.stringify(namespaceEvent(name));
    const res = await post(payload, headers(payload));
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('unauthenticated');
    expect(await exists(`provision-namespace/${name}`)).toBe(false);
  });

  test('409 when an event id is replayed with another body', async () => {
    const first = uniqueName();
    const other = uniqueName();
    expect((await post(JSON.stringify(namespaceEvent(first, 'evt-reused')))).statusCode).toBe(202);
    const res = await post(JSON.stringify(namespaceEvent(other, 'evt-reused')));
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toBe('event_id_reused');
    expect(await exists(`provision-namespace/${other}`)).toBe(false);
  });

  test('413 for a body over the limit', async () => {
    const name = uniqueName();
    const event = { ...namespaceEvent(name), padding: 'x'.repeat(70 * 1024) };
    const res = await post(JSON.stringify(event));
    expect(res.statusCode).toBe(413);
    expect(await exists(`provision-namespace/${name}`)).toBe(false);
  });

  test('400 naming the field for invalid data', async () => {
    const name = uniqueName();
    const event = namespaceEvent(name);
    const res = await post(
      JSON.stringify({
        ...event,
        data: {
          ...event.data,
          retentionDays: 0,
          colour: 'red',
          serviceAccount: { scope: 'namespace', accountRole: 'read' },
        },
      }),
    );
    expect(res.statusCode).toBe(400);
    const fields = res.json<{ problems: Array<{ field: string }> }>().problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining(['data.retentionDays', 'data', 'data.serviceAccount.accountRole']),
    );
    expect(res.json().message).toMatch(/data\.retentionDays: must be at least 1/);
    expect(await exists(`provision-namespace/${name}`)).toBe(false);
  });

  test('400 for malformed JSON, an unknown type and a rotation without its owner', async () => {
    const malformed = await post('{"id": "x", ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().message).toMatch(/not valid JSON/);

    const unknown = await post(JSON.stringify({ id: 'evt-u', type: 'namespace.exploded', data: {} }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().problems[0].field).toBe('type');

    const rotation = await post(
      JSON.stringify({ id: 'evt-r', type: 'apikey.rotation.requested', data: { keyId: 'k1' } }),
    );
    expect(rotation.statusCode).toBe(400);
    expect(rotation.json().problems[0].field).toBe('data.ownerId');
  });

  test('400 naming the field whose value makes the workflow id longer than Temporal allows', async () => {
    // 1,162 characters: a valid email, but `offboard-user/<email>` is over Temporal's 1000-byte limit.
    const email = `${'a'.repeat(1150)}@example.com`;
    const res = await post(
      JSON.stringify({ id: 'evt-long', type: 'user.offboarding.requested', data: { email } }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().problems).toEqual([
      { field: 'data.email', message: expect.stringMatching(/too long.*1176 bytes.*at most 1000/) },
    ]);
    expect(await exists(`offboard-user/${email}`)).toBe(false);
  });

  test('400, not 503, when Temporal itself refuses the start as invalid', async () => {
    // Within our 1000-byte check but over this server's lower limit: the server answers INVALID_ARGUMENT.
    const userId = `u-${'x'.repeat(SERVER_MAX_ID_LENGTH)}`;
    const res = await post(
      JSON.stringify({ id: 'evt-refused', type: 'user.offboarding.requested', data: { userId } }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'invalid_argument',
      problems: [{ field: 'data.userId', message: expect.stringMatching(/^Temporal rejected it: /) }],
    });
    // Nothing was recorded: a corrected event with the same id is not a "reused id" conflict.
    const fixed = await post(
      JSON.stringify({ id: 'evt-refused', type: 'user.offboarding.requested', data: { userId: 'u-1' } }),
    );
    expect(fixed.statusCode).toBe(202);
  });

  test('415 for a correctly signed body that is not JSON, before the signature is looked at', async () => {
    const name = uniqueName();
    const payload = JSON.stringify(namespaceEvent(name));
    for (const headers of [webhookSignatureHeaders(payload, SECRET, now), {}]) {
      const res = await request('POST', '/events', payload, { 'content-type': 'text/plain', ...headers });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ error: 'unsupported_media_type' });
    }
    expect(await exists(`provision-namespace/${name}`)).toBe(false);
  });
});

test('status of an unknown request is 404; /healthz answers', async () => {
  const id = 'provision-namespace/nope';
  const res = await request('GET', `/requests/${encodeURIComponent(id)}?key=${statusLinkKey(SECRET, id)}`);
  expect(res.statusCode).toBe(404);
  expect((await request('GET', '/healthz')).statusCode).toBe(200);
});

test('a status without its link, with a wrong link or of another task queue is the same 404 as no run at all', async () => {
  const email = `${uniqueName()}@example.com`;
  const sent = await post(
    JSON.stringify({ id: `evt-${email}`, type: 'user.offboarding.requested', data: { email } }),
  );
  expect(sent.statusCode).toBe(202);
  const { workflowId, statusUrl } = sent.json<{ workflowId: string; statusUrl: string }>();
  const path = `/requests/${encodeURIComponent(workflowId)}`;
  const nothing = await request('GET', `/requests/${encodeURIComponent('offboard-user/nobody@example.com')}`);
  expect(nothing.statusCode).toBe(404);
  const notFound = (id: string) => ({ error: 'not_found', message: `no request with workflow id ${id}` });
  expect(nothing.json()).toEqual(notFound('offboard-user/nobody@example.com'));
  for (const url of [
    path,
    `${path}?key=`,
    `${path}?key=${statusLinkKey('another-secret-0123', workflowId)}`,
  ]) {
    const res = await request('GET', url);
    expect({ url, status: res.statusCode, body: res.json() }).toEqual({
      url,
      status: 404,
      body: notFound(workflowId),
    });
  }
  // The link of the 202 works.
  expect((await request('GET', new URL(statusUrl).pathname + new URL(statusUrl).search)).statusCode).toBe(
    200,
  );

  // A request workflow of another task queue, even with a valid link: not this service's.
  const other = `offboard-user/${uniqueName()}@example.com`;
  await client.workflow.start('offboardUser', {
    workflowId: other,
    taskQueue: `${TASK_QUEUE}-other`,
    args: [{ email: 'x@example.com' }],
  });
  const foreign = await request(
    'GET',
    `/requests/${encodeURIComponent(other)}?key=${statusLinkKey(SECRET, other)}`,
  );
  expect(foreign.statusCode).toBe(404);
  expect(foreign.json()).toEqual(notFound(other));
});

test('the run records the approval the policy asks for; a request that tries to say it is refused', async () => {
  const email = `${uniqueName()}@example.com`;
  const sent = await post(
    JSON.stringify({ id: `evt-${email}`, type: 'user.offboarding.requested', data: { email } }),
  );
  expect(sent.statusCode).toBe(202);
  const [input] = (
    await client.workflow.getHandle(sent.json().workflowId).fetchHistory()
  ).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!.map((p) =>
    JSON.parse(Buffer.from(p.data!).toString('utf8')),
  );
  // The default policy: offboarding waits for an approver; this server names none, so nobody may approve yet.
  expect(input).toEqual({
    email,
    approval: {
      requestedBy: 'signed event',
      approvers: [],
      required: true,
      reasons: [expect.stringMatching(/offboarding/)],
    },
  });

  const lowered = await post(
    JSON.stringify({
      id: `evt-low-${email}`,
      type: 'user.offboarding.requested',
      data: { email: `low-${email}`, approval: { requestedBy: 'x', approvers: '*', required: false } },
    }),
  );
  expect(lowered.statusCode).toBe(400);
  expect(lowered.json().problems).toEqual([
    { field: 'data.approval', message: expect.stringMatching(/decided by the server's approval policy/) },
  ]);
  expect(await exists(`offboard-user/low-${email}`)).toBe(false);
});

test('status without a workflow id, or with one Temporal cannot hold, is a 400 saying so', async () => {
  const empty = await request('GET', '/requests/');
  expect(empty.statusCode).toBe(400);
  expect(empty.json()).toEqual({
    error: 'invalid_argument',
    message: expect.stringContaining('GET /requests/<url-encoded workflow id>'),
  });
  const long = await request('GET', `/requests/${'x'.repeat(1001)}`);
  expect(long.statusCode).toBe(400);
  expect(long.json().message).toMatch(/too long/);
});
