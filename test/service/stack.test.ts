// End to end, in-process: dev server (child process) + emulator + worker + events endpoint from startStack, driven
// by a signed event and the status URL, checked against the emulator's state and the metrics endpoint.
import { sendEvent, waitForRequest } from '../../src/service/demo';
import { freePort } from '../../src/service/dev-server';
import type { Stack } from '../../src/service/stack';
import { startTestStack } from '../helpers/service';

let stack: Stack | undefined;

afterAll(async () => {
  await stack?.stop();
});

test('a signed namespace.requested event provisions an active namespace', async () => {
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  stack = await startTestStack('stack-e2e', {
    emulatorOptions: { asyncOperationDurationMs: 1_000, checkDurationMs: 250 },
    events: { host: '127.0.0.1', port: 0 },
    metricsAddress,
  });
  const events = stack.events!;
  const sent = await sendEvent(events.url, events.secret, {
    id: 'evt-e2e-1',
    type: 'namespace.requested',
    data: {
      name: 'e2e-orders',
      region: 'aws-us-east-1',
      retentionDays: 3,
      serviceAccount: {},
      apiKey: {},
      wait: { minPollSeconds: 0.25 },
    },
  });
  expect(sent.status).toBe(202);

  const final = await waitForRequest(String(sent.body.statusUrl), undefined, 60_000);
  expect(final).toMatchObject({ status: 'COMPLETED', result: { namespace: 'e2e-orders.a1b2c' } });
  expect(JSON.stringify(final)).not.toMatch(/tmprl_/); // No token in the status answer.

  const state = stack.opsApi.emulator!.snapshot();
  expect(state.namespaces.map((n) => [n.namespace, n.state])).toEqual([['e2e-orders.a1b2c', 'active']]);
  expect(state.serviceAccounts).toHaveLength(1);
  expect(state.apiKeys).toHaveLength(1);

  const metrics = await (await fetch(stack.metricsUrl!)).text();
  expect(metrics).toMatch(/ops_api_requests\{[^}]*operation_id="createNamespace"[^}]*\} 1/);
  expect(metrics).toMatch(/temporal_/); // The SDK's own metrics.
  // The service's own answers, by route pattern (never the URL with its ids).
  const served = metrics.split('\n').filter((l) => l.startsWith('service_http_requests{'));
  expect(served.some((l) => l.includes('route="/events"') && l.includes('status="202"'))).toBe(true);
  expect(served.some((l) => l.includes('route="/requests/*"'))).toBe(true);
  expect(served.some((l) => l.includes('provision-namespace'))).toBe(false);
});
