import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, startEmulator } from '../../src/emulator';
import { API_KEY, T0, httpClient, inDays, nsSpec } from './helpers';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'emulator-state-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('state survives a restart with statePath, including operations still in flight', async () => {
  const statePath = path.join(dir, 'nested', 'state.json');
  const clock = new ManualClock(T0);
  const first = await startEmulator({ apiKey: API_KEY, clock, statePath });
  const http = httpClient(first.url, API_KEY);
  const ns = await http.post('/api/v1/namespaces', nsSpec('durable'));
  const sa = await http.post('/api/v1/service-accounts', { spec: { name: 'keeper' } });
  clock.advance(1000);
  const key = await http.post('/api/v1/api-keys', {
    spec: {
      displayName: 'k',
      ownerId: sa.body.serviceAccountId,
      ownerType: 'service-account',
      expiryTime: inDays(T0, 10),
    },
  });
  const before = first.snapshot();
  await first.close();

  const file = await readFile(statePath, 'utf8');
  expect(file).not.toContain(key.body.token);
  expect(file).not.toContain(API_KEY);
  expect((await readdir(path.dirname(statePath))).filter((f) => f.endsWith('.tmp'))).toEqual([]);

  const second = await startEmulator({ apiKey: 'another-key', clock, statePath });
  try {
    expect(second.snapshot()).toEqual(before);
    const http2 = httpClient(second.url, 'another-key');
    expect((await http2.get('/api/v1/namespaces/durable.a1b2c')).body.state).toBe('activating');
    clock.advance(4000);
    expect((await http2.get(`/api/v1/async-operations/${ns.body.asyncOperationId}`)).body.state).toBe(
      'fulfilled',
    );
    expect((await http2.get('/api/v1/namespaces/durable.a1b2c')).body.state).toBe('active');
    expect((await http2.get(`/api/v1/api-keys/${key.body.keyId}`)).body.state).toBe('active');
    // New ids continue to sort after the restored ones.
    await http2.post('/api/v1/service-accounts', { spec: { name: 'after-restart' } });
    const names = (await http2.get('/api/v1/service-accounts')).body.serviceAccounts.map(
      (s: { spec: { name: string } }) => s.spec.name,
    );
    expect(names).toEqual(['keeper', 'after-restart']);
  } finally {
    await second.close();
  }
});

test('seeded resources are persisted too', async () => {
  const statePath = path.join(dir, 'state.json');
  const first = await startEmulator({ apiKey: API_KEY, statePath });
  await first.seed({ users: [{ email: 'seeded@example.com' }] });
  await first.close();
  const second = await startEmulator({ apiKey: API_KEY, statePath });
  try {
    expect(second.snapshot().users.map((u) => [u.spec.email, u.state])).toEqual([
      ['seeded@example.com', 'active'],
    ]);
  } finally {
    await second.close();
  }
});

test('a corrupt state file fails start-up instead of silently starting empty', async () => {
  const statePath = path.join(dir, 'state.json');
  await writeFile(statePath, '{"version":1,');
  await expect(startEmulator({ statePath })).rejects.toThrow(/not valid JSON/);
});

test('a state file from another account is refused', async () => {
  const statePath = path.join(dir, 'state.json');
  const first = await startEmulator({ statePath, accountId: 'zz9' });
  await first.seed({ namespaces: [{ name: 'mine', region: 'aws-us-east-1', retentionDays: 1 }] });
  await first.close();
  await expect(startEmulator({ statePath })).rejects.toThrow(/account 'zz9'/);
});
