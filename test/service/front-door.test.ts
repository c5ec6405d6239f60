// The events endpoint bounds what it accepts: a client that trickles its headers or body is cut off within the
// configured time, a thousand such clients do not keep /healthz or a real event from being answered, and one address
// posting too many events gets 429 before anything is looked at.
import net from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../src/logger';
import { webhookSignatureHeaders } from '../../src/secrets/webhook-signature';
import { buildEventsServer } from '../../src/service/events';
import { createLocalEnv } from '../helpers/temporal';

const SECRET = 'front-door-secret-0123456789';
const TASK_QUEUE = `front-door-${process.pid}`;

let env: TestWorkflowEnvironment;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  env = await createLocalEnv();
  app = buildEventsServer({
    client: env.client,
    taskQueue: TASK_QUEUE,
    secret: SECRET,
    logger: silentLogger,
    limits: { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, eventsPerMinute: 3, maxConnections: 5_000 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

/** A client that sends `first`, then one more byte every `everyMs`; resolves with how long until the server hung up. */
function trickle(first: string, everyMs = 300): { closed: Promise<number>; socket: net.Socket } {
  const socket = net.connect(port, '127.0.0.1');
  const t0 = Date.now();
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.write(first);
  const timer = setInterval(() => socket.writable && socket.write('x'), everyMs);
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - t0);
    }),
  );
  return { closed, socket };
}

test('a client trickling its headers or its body is cut off within the configured timeouts', async () => {
  const headers = trickle('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  const body = trickle(
    'POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
  );
  // Headers: 1 s (checked every second); the whole request: 2 s. Node's own defaults would wait 60 s and 300 s.
  expect(await headers.closed).toBeLessThan(10_000);
  expect(await body.closed).toBeLessThan(10_000);
});

test('a thousand slow clients do not keep /healthz or a real event from being served', async () => {
  const slow = Array.from({ length: 1000 }, () => trickle('POST /events HTTP/1.1\r\nHost: x\r\n', 1_000));
  try {
    await new Promise((r) => setTimeout(r, 300));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const body = JSON.stringify({
      id: `evt-busy-${process.pid}`,
      type: 'namespace.requested',
      data: { name: `busy-${process.pid % 10000}`, region: 'aws-us-east-1', retentionDays: 3 },
    });
    const event = await fetch(`http://127.0.0.1:${port}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...webhookSignatureHeaders(body, SECRET) },
      body,
    });
    expect(event.status).toBe(202);
  } finally {
    for (const { socket } of slow) socket.destroy();
    await Promise.all(slow.map((s) => s.closed));
  }
});

test('one address posting too many events gets 429 before its signature is looked at', async () => {
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    codes.push(res.status);
    if (res.status === 429) expect(await res.json()).toMatchObject({ error: 'rate_limited' });
  }
  // Three a minute: the tests above posted some from this address already.
  expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(2);
  expect(codes.every((c) => c === 401 || c === 429)).toBe(true);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
});
