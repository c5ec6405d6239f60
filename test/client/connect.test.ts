// Connecting like the worker does: an address where nothing listens is said at once and plainly, by the client and
// by the commands (exit 3), instead of after gRPC's connect deadline.
import net from 'node:net';
import path from 'node:path';
import { connectClient, TemporalConnectError } from '../../src/client';
import type { StarterIO } from '../../src/starters/cli';
import { main as planMain } from '../../src/starters/plan';
import { main as provisionMain } from '../../src/starters/provision-namespace';

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const envFor = (address: string) => ({
  TEMPORAL_ADDRESS: address,
  // A developer's ~/.config/temporalio profile must not point it elsewhere.
  TEMPORAL_CONFIG_FILE: path.join(__dirname, 'no-such-temporal.toml'),
});

function captured(env: Record<string, string>) {
  const io = { stdout: '', stderr: '' };
  const streams: StarterIO = {
    stdout: { write: (s: string) => (io.stdout += s) },
    stderr: { write: (s: string) => (io.stderr += s) },
    env,
  };
  return { io, streams };
}

test('nothing listening at the address is a connect error at once, not at the deadline', async () => {
  const address = `127.0.0.1:${await closedPort()}`;
  // A deadline far beyond this test's own timeout: only the refusal itself can end the call in time.
  const err = (await connectClient({ env: envFor(address), connectTimeoutMs: 600_000 }).catch(
    (e: unknown) => e,
  )) as Error;
  expect(err).toBeInstanceOf(TemporalConnectError);
  expect(err.message).toBe(
    `could not connect to Temporal at ${address}: nothing is listening there (ECONNREFUSED); ` +
      'is Temporal running (`npm start`), and is TEMPORAL_ADDRESS right?',
  );
});

test('plan and the starters say Temporal is not there and exit 3', async () => {
  const address = `127.0.0.1:${await closedPort()}`;
  const file = path.join(__dirname, '../../examples/cloud-ops.yaml');

  const plan = captured(envFor(address));
  expect(await planMain(['-f', file], plan.streams)).toBe(3);
  expect(plan.io.stderr).toBe(
    `plan: could not connect to Temporal at ${address}: nothing is listening there (ECONNREFUSED); ` +
      'is Temporal running (`npm start`), and is TEMPORAL_ADDRESS right?\n',
  );
  expect(plan.io.stdout).toBe('');

  const planJson = captured(envFor(address));
  expect(await planMain(['-f', file, '--json'], planJson.streams)).toBe(3);
  expect(JSON.parse(planJson.io.stdout)).toEqual({
    ok: false,
    error: { kind: 'temporal', message: expect.stringContaining('nothing is listening there') },
  });

  const provision = captured(envFor(address));
  const argv = ['--name', 'payments-dev', '--region', 'aws-us-east-1', '--retention-days', '7', '--wait'];
  expect(await provisionMain(argv, provision.streams)).toBe(3);
  expect(provision.io.stderr).toContain('provision-namespace: could not connect to Temporal at');
});
