import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileEventStore } from '../../src/service/event-store';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'event-store-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const seen = (eventId: string, at: number, runId?: string) => ({
  eventId,
  fingerprint: `fp-${eventId}`,
  type: 'namespace.requested',
  workflowId: `provision-namespace/${eventId}`,
  at,
  ...(runId ? { runId } : {}),
});

test('seen events survive a reopen; deletions and expired entries do not', async () => {
  const file = path.join(dir, 'events.jsonl');
  const now = Date.now();
  const store = await fileEventStore(file, 1_000, () => now);
  await store.put(seen('a', now));
  await store.put(seen('a', now, 'run-a')); // the later line wins
  await store.put(seen('b', now));
  await store.put(seen('old', now - 5_000));
  await store.delete('b');
  await store.close();

  const reopened = await fileEventStore(file, 1_000, () => now);
  expect(reopened.get('a')).toMatchObject({ runId: 'run-a' });
  expect(reopened.get('b')).toBeUndefined();
  expect(reopened.get('old')).toBeUndefined();
  await reopened.close();
  // Compacted on open: one line per live event.
  expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
});

test('a torn last line (crash mid-append) is ignored', async () => {
  const file = path.join(dir, 'events.jsonl');
  const store = await fileEventStore(file);
  await store.put(seen('a', Date.now(), 'run-a'));
  await store.close();
  const { appendFile } = await import('node:fs/promises');
  await appendFile(file, '{"eventId":"b","finger');
  const reopened = await fileEventStore(file);
  expect(reopened.get('a')?.runId).toBe('run-a');
  expect(reopened.get('b')).toBeUndefined();
  await reopened.close();
});
