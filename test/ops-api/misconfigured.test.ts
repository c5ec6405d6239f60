// What answers is not always the Ops API: a wrong base URL meets a proxy's 404, a web page, or another
// API. None of it may ever read as "not found", and the message must name the URL to fix.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import { toApplicationFailure } from '../../src/activities/failures';
import { DIALECTS, MutationGate, OpsApiClient, OpsApiError } from '../../src/ops-api';
import { FileSecretSink } from '../../src/secrets';

interface Served {
  url: string;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** A server that answers every request the same way. */
async function serve(
  status: number,
  body: string,
  type: string | undefined = 'text/html',
  headers: Record<string, string> = {},
): Promise<Served> {
  const requests: Served['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    res.writeHead(status, { ...(type ? { 'content-type': type } : {}), ...headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as OpsApiError,
  );

describe.each(DIALECTS.map((d) => [d]))('%s dialect', (dialect) => {
  test('a proxy’s 404 page is a configuration error naming the URL, never "not found"', async () => {
    const proxy = await serve(404, '<html><body>404 Not Found</body></html>');
    try {
      const client = new OpsApiClient({ baseUrl: `${proxy.url}/wrong`, apiKey: 'k-123456', dialect });
      const err = await failure(client.getNamespace('orders.a1b2c'));
      expect(err).toBeInstanceOf(OpsApiError);
      expect(err).toMatchObject({
        kind: 'misconfigured',
        code: 'not_the_ops_api',
        status: 404,
        retryable: false,
      });
      expect(err!.message).toContain(`${proxy.url}/wrong/`);
      expect(err!.message).toMatch(/OPS_API_URL/);
      expect(err!.message).not.toContain('k-123456');
    } finally {
      await proxy.close();
    }
  });

  test('a web page answering 200 is a configuration error too', async () => {
    const page = await serve(200, '<!doctype html><title>Welcome</title>');
    try {
      const client = new OpsApiClient({ baseUrl: page.url, apiKey: 'k-123456', dialect });
      expect(await failure(client.deleteApiKey('k1', { asyncOperationId: 'op' }))).toMatchObject({
        kind: 'misconfigured',
        retryable: false,
      });
    } finally {
      await page.close();
    }
  });

  test('another JSON API is not this one: its 404 and its 200 are configuration errors', async () => {
    const other = await serve(
      404,
      JSON.stringify({ error: 'Not Found', statusCode: 404 }),
      'application/json',
    );
    const empty = await serve(200, '{}', 'application/json');
    try {
      const a = new OpsApiClient({ baseUrl: other.url, apiKey: 'k-123456', dialect });
      expect(await failure(a.getUser('u1'))).toMatchObject({
        kind: 'misconfigured',
        code: 'not_the_ops_api',
      });
      const b = new OpsApiClient({ baseUrl: empty.url, apiKey: 'k-123456', dialect });
      expect(await failure(b.deleteUser('u1'))).toMatchObject({ kind: 'misconfigured' });
    } finally {
      await other.close();
      await empty.close();
    }
  });

  // What the load balancer or gateway answers in its own words: transient whatever the body, a mutation
  // possibly applied; Retry-After honoured when it comes.
  test.each([
    [503, '<html><h1>503 Service Temporarily Unavailable</h1></html>', 'text/html', { 'retry-after': '1' }],
    [429, 'Too Many Requests', 'text/plain', {}],
    [502, '', undefined, {}],
    [504, '<html><h1>504 Gateway Time-out</h1></html>', 'text/html', {}],
  ] as const)(
    'the edge’s %d (%j) is transient, not a configuration error',
    async (status, body, type, headers) => {
      const edge = await serve(status, body, type, headers);
      try {
        const client = new OpsApiClient({ baseUrl: edge.url, apiKey: 'k-123456', dialect });
        const err = await failure(client.deleteUser('u1', { asyncOperationId: 'op-1' }));
        expect(err).toMatchObject({
          kind: 'edge',
          status,
          code: status === 429 ? 'rate_limited' : 'unavailable',
          retryable: true,
          retryAfterMs: 'retry-after' in headers ? 1_000 : undefined,
        });
        expect(err!.message).toContain(String(status));
        // The activity's failure is retried, after Retry-After when the edge gave one.
        const failed = toApplicationFailure(err) as ApplicationFailure;
        expect(failed.nonRetryable).toBe(false);
        expect(failed.nextRetryDelay).toBe('retry-after' in headers ? 1_000 : undefined);
      } finally {
        await edge.close();
      }
    },
  );

  test('a page from the edge with any other status (a proxy’s 401, 403, 500) is a configuration error', async () => {
    for (const status of [401, 403, 500]) {
      const page = await serve(status, '<html>nope</html>');
      try {
        const client = new OpsApiClient({ baseUrl: page.url, apiKey: 'k-123456', dialect });
        expect(await failure(client.listRegions())).toMatchObject({
          kind: 'misconfigured',
          status,
          retryable: false,
        });
      } finally {
        await page.close();
      }
    }
  });
});

test('an answer of the wrong shape is described by its keys, never its values (a token stays out)', async () => {
  const token = 'tmprl_0123456789abcdefghijklmnopqrstuvwxyzABCD';
  const odd = await serve(200, JSON.stringify({ token, key: 'k1' }), 'application/json');
  try {
    for (const dialect of DIALECTS) {
      const client = new OpsApiClient({ baseUrl: odd.url, apiKey: 'k-123456', dialect });
      const err = await failure(
        client.createApiKey({
          spec: {
            displayName: 'k',
            ownerId: 'sa',
            ownerType: 'service-account',
            expiryTime: '2030-01-01T00:00:00Z',
          },
        }),
      );
      expect(err).toMatchObject({ kind: 'misconfigured' });
      expect(err!.message).toMatch(/a JSON object with keys token, key/);
      expect(JSON.stringify(err)).not.toContain(token);
      expect(String(err)).not.toContain(token);
    }
  } finally {
    await odd.close();
  }
});

test('"not found" for a list means the route is wrong, whatever the body says', async () => {
  const api = await serve(
    404,
    JSON.stringify({ code: 'not_found', message: 'no operation' }),
    'application/json',
  );
  try {
    const client = new OpsApiClient({ baseUrl: api.url, apiKey: 'k-123456', dialect: 'openapi' });
    expect(await failure(client.listNamespaces())).toMatchObject({ kind: 'misconfigured' });
    // For one resource the same answer is the API's own NotFound.
    expect(await failure(client.getNamespace('x'))).toMatchObject({ kind: 'http', code: 'not_found' });
  } finally {
    await api.close();
  }
});

test('the cloud dialect pins its version header on every request; the openapi dialect sends none', async () => {
  const api = await serve(200, JSON.stringify({ regions: [] }), 'application/json');
  try {
    await new OpsApiClient({
      baseUrl: api.url,
      apiKey: 'k-123456',
      dialect: 'cloud',
      apiVersion: 'v0.19.1',
    }).listRegions();
    await new OpsApiClient({ baseUrl: api.url, apiKey: 'k-123456', dialect: 'cloud' }).listRegions();
    await new OpsApiClient({ baseUrl: api.url, apiKey: 'k-123456', dialect: 'openapi' }).listRegions();
    expect(api.requests.map((r) => [r.url, r.headers['temporal-cloud-api-version']])).toEqual([
      ['/cloud/regions', 'v0.19.1'],
      ['/cloud/regions', 'v0.17.0'],
      ['/api/v1/regions', undefined],
    ]);
  } finally {
    await api.close();
  }
});

describe('mutation gate: at most N async operations of this process in flight', () => {
  test('a mutation waits for a slot; a poll that sees an operation finish frees it', async () => {
    let t = 0;
    const gate = new MutationGate(2, 60_000, () => t);
    expect(await gate.acquire(0)).toBe(true);
    gate.hold('op-1');
    expect(await gate.acquire(0)).toBe(true);
    gate.hold('op-2');
    expect(await gate.acquire(0)).toBe(false); // full: a third would exceed the cap
    const waiting = gate.acquire(5_000);
    gate.finished('op-1');
    expect(await waiting).toBe(true);
    gate.release(); // that request started nothing
    expect(gate.inFlight).toBe(1);
    gate.hold('op-2'); // a repeat of an operation already counted takes no second slot
    expect(gate.inFlight).toBe(1);
    t += 60_000; // a hold the process never hears about ends after the hold limit
    expect(gate.inFlight).toBe(0);
  });

  test('the client takes a slot per mutation and gives it back when the operation is seen finished', async () => {
    const gate = new MutationGate(1);
    let state = 'STATE_PENDING';
    const server = http.createServer((req, res) => {
      const body = req.url!.startsWith('/cloud/operations/')
        ? { asyncOperation: { id: 'op-1', state } }
        : { asyncOperation: { id: 'op-1', state: 'STATE_PENDING' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new OpsApiClient({
        baseUrl: url,
        apiKey: 'k',
        dialect: 'cloud',
        mutationGate: gate,
        timeoutMs: 300,
      });
      await client.deleteUser('u1', { asyncOperationId: 'op-1' });
      expect(gate.inFlight).toBe(1);
      // The next mutation is held back (retryably) while the first operation runs.
      expect(await failure(client.deleteUser('u2'))).toMatchObject({ kind: 'throttled', retryable: true });
      await client.getAsyncOperation('op-1');
      expect(gate.inFlight).toBe(1);
      state = 'STATE_FULFILLED';
      await client.getAsyncOperation('op-1');
      expect(gate.inFlight).toBe(0);
      await client.deleteUser('u2');
      expect(gate.inFlight).toBe(1);
      // The gate is full again; the operation finishes while nobody here polls it (another worker
      // waits on it): the next mutation asks about it first, and gets the slot.
      state = 'STATE_PENDING';
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      state = 'STATE_FULFILLED';
      await client.deleteUser('u3');
      expect(gate.inFlight).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe.each(DIALECTS.map((d) => [d]))(
  '%s dialect: a wrong route that answers in the API’s own words',
  (dialect) => {
    // What a gateway (or the emulator) answers for a path it has no route for: the API's NotFound shape.
    const body =
      dialect === 'cloud'
        ? { code: 5, message: 'Not Found', details: [] }
        : { code: 'not_found', message: 'no route' };

    test('a delete never reports "already gone": the base URL is checked first', async () => {
      const wrong = await serve(404, JSON.stringify(body), 'application/json');
      try {
        const client = new OpsApiClient({ baseUrl: `${wrong.url}/v2`, apiKey: 'k-123456', dialect });
        const activities = createActivities({
          client,
          secrets: new FileSecretSink({ dir: '/nonexistent-unused' }),
        });
        const deleted = await failure(
          activities.deleteApiKeyIfExists({ keyId: 'k1', operationKey: 'wf/run/delete' }),
        );
        expect(deleted).toMatchObject({ type: 'OpsApiMisconfigured', nonRetryable: true });
        const ours = await failure(
          activities.ensureNamespace({
            spec: { name: 'orders', region: 'aws-us-east-1', retentionDays: 7 },
            operationKey: 'wf/run/create',
          }),
        );
        // A create that meets "not found" is refused, never taken for "made": it fails for good.
        expect(ours).toMatchObject({ nonRetryable: true });
        // Nothing but reads and the probe of a route that always exists.
        expect(wrong.requests.map((r) => r.method)).not.toContain('DELETE');
      } finally {
        await wrong.close();
      }
    });
  },
);
