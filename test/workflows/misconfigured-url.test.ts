// A decommission against a base URL where something else answers (a proxy that 404s every path) must
// fail loudly, naming the URL, and change nothing — never report the namespace as "already gone".
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError, type ApplicationFailure } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { OpsApiClient } from '../../src/ops-api';
import { FileSecretSink } from '../../src/secrets';
import { workflowIds } from '../../src/catalog';
import { decommissionNamespace } from '../../src/workflows';
import { testDialect, workflowsPath } from '../helpers/stack';
import { bundleOnce, envPerFile } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
envPerFile((made) => (env = made));

test('decommission through a URL that 404s everything fails with the configuration error, deleting nothing', async () => {
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><h1>404 Not Found</h1></html>');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/ops`;
  try {
    const client = new OpsApiClient({ baseUrl, apiKey: 'key-0123456789', dialect: testDialect() });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'misconfigured-url',
      workflowBundle: await bundleOnce(workflowsPath),
      activities: createActivities({ client, secrets: new FileSecretSink({ dir: '/nonexistent-unused' }) }),
    });
    const err = await worker.runUntil(
      env.client.workflow
        .execute(decommissionNamespace, {
          args: [{ name: 'payments-prod', deleteServiceAccountKeys: true, deleteServiceAccounts: true }],
          workflowId: workflowIds.decommissionNamespace('payments-prod'),
          taskQueue: 'misconfigured-url',
        })
        .catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause as ApplicationFailure;
    expect(cause.type).toBe('OpsApiMisconfigured');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain(`${baseUrl}/`);
    expect(cause.message).toMatch(/not the Ops API.*OPS_API_URL/);
    // One look (the namespace listing), no retries of a hopeless call, and certainly no delete.
    expect(seen).toHaveLength(1);
    expect(seen.filter((r) => r.startsWith('DELETE'))).toEqual([]);
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});
