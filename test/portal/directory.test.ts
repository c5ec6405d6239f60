// The forms' pickers read the Ops API through the service's own client, briefly cached, and survive its failures.
import { silentLogger } from '../../src/logger';
import { createDirectory } from '../../src/portal/directory';
import { startEmulator, type Emulator } from '../../src/emulator';
import { OpsApiClient } from '../../src/ops-api';

let emulator: Emulator;
let client: OpsApiClient;
let calls: string[];

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: 'directory-test-key-0123456789' });
  calls = [];
  client = new OpsApiClient({
    baseUrl: emulator.url,
    apiKey: emulator.apiKey,
    afterRequest: (e) => void calls.push(e.operationId),
  });
  await emulator.seed({
    users: [
      { email: 'zoe@example.com', access: { accountAccess: { role: 'developer' } } },
      { email: 'adam@example.com', access: { accountAccess: { role: 'developer' } } },
    ],
    serviceAccounts: [{ name: 'ci-bot', access: {} }],
  });
});

afterAll(async () => {
  await emulator?.close();
});

test('regions, users and service accounts come from the Ops API, sorted, and are kept for the TTL', async () => {
  let now = 0;
  const directory = createDirectory(client, silentLogger, 60_000, () => now);
  const regions = await directory.regions();
  expect(regions.ok && regions.value.map((r) => r.id)).toContain('aws-us-east-1');
  expect(await directory.users()).toEqual({
    ok: true,
    value: [
      { id: expect.any(String), label: 'adam@example.com' },
      { id: expect.any(String), label: 'zoe@example.com' },
    ],
  });
  expect(await directory.serviceAccounts()).toEqual({
    ok: true,
    value: [{ id: expect.any(String), label: 'ci-bot' }],
  });
  const first = calls.length;
  now = 59_000;
  await Promise.all([directory.regions(), directory.users(), directory.serviceAccounts()]);
  expect(calls.length).toBe(first); // From the cache.
  now = 61_000;
  await directory.regions();
  expect(calls.slice(first)).toEqual(['listRegions']);
});

test('an Ops API that fails is "unavailable" for a few seconds, then asked again', async () => {
  let now = 0;
  let failing = true;
  const flaky = {
    listRegions: async () => {
      if (failing) throw new Error('503');
      return { regions: [{ id: 'gcp-us-central1', cloudProvider: 'gcp', location: 'Iowa' }] };
    },
    listUsers: client.listUsers.bind(client),
    listServiceAccounts: client.listServiceAccounts.bind(client),
  };
  const directory = createDirectory(flaky, silentLogger, 60_000, () => now);
  expect(await directory.regions()).toEqual({ ok: false });
  failing = false;
  now = 1_000;
  expect(await directory.regions()).toEqual({ ok: false }); // Not hammered while it is down.
  now = 6_000;
  expect(await directory.regions()).toEqual({
    ok: true,
    value: [{ id: 'gcp-us-central1', label: 'gcp-us-central1 — gcp, Iowa' }],
  });
});
