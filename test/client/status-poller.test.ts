import type { Client, WorkflowHandle } from '@temporalio/client';
import { pollStatus, resultWithStatus } from '../../src/client/status-poller';

/** A client whose queries are answered by hand, recording the deadline each one ran under. */
function fakes() {
  const deadlines: number[] = [];
  const pending: Array<{ resolve(v: unknown): void; reject(e: unknown): void }> = [];
  let current: number | undefined;
  const client = {
    connection: {
      async withDeadline<R>(deadline: number, fn: () => Promise<R>): Promise<R> {
        current = deadline;
        try {
          return await fn();
        } finally {
          current = undefined;
        }
      },
    },
  } as unknown as Client;
  let result!: (v: unknown) => void;
  const handle = {
    workflowId: 'wf',
    query: () => {
      if (current === undefined) throw new Error('query sent without a deadline');
      deadlines.push(current);
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    result: () => new Promise((resolve) => (result = resolve)),
  } as unknown as WorkflowHandle;
  return { client, handle, deadlines, pending, finish: (v: unknown) => result(v) };
}

const tick = () => new Promise((r) => setImmediate(r));

test('every query runs under a deadline, and stop() waits for the one in flight instead of abandoning it', async () => {
  const f = fakes();
  const seen: unknown[] = [];
  const before = Date.now();
  const poller = pollStatus({
    client: f.client,
    handle: f.handle,
    query: 'status',
    intervalMs: 10,
    queryTimeoutMs: 3_000,
    onStatus: (s) => seen.push(s),
  });
  await tick();
  expect(f.pending).toHaveLength(1);
  expect(f.deadlines[0]).toBeGreaterThanOrEqual(before + 3_000);
  expect(f.deadlines[0]).toBeLessThanOrEqual(Date.now() + 3_000);

  let stopped = false;
  const stopping = poller.stop().then(() => (stopped = true));
  await tick();
  // An abandoned call would leave the SDK's retry timer to fire on a closed connection.
  expect(stopped).toBe(false);
  f.pending[0]!.resolve({ step: 'late' });
  await stopping;
  expect(stopped).toBe(true);
  // An answer that lands after stop() is not reported, and no further query is sent.
  expect(seen).toEqual([]);
  expect(f.pending).toHaveLength(1);
});

test('resultWithStatus reports answers, passes failures to onError, and returns the result once polling stopped', async () => {
  const f = fakes();
  const seen: unknown[] = [];
  const errors: unknown[] = [];
  const done = resultWithStatus<string, { step: string }>(f.handle, {
    client: f.client,
    query: 'status',
    intervalMs: 1,
    onStatus: (s) => seen.push(s.step),
    onError: (e) => errors.push((e as Error).message),
  });
  await tick();
  f.pending[0]!.resolve({ step: 'creating' });
  while (f.pending.length < 2) await tick();
  f.pending[1]!.reject(new Error('no worker'));
  while (f.pending.length < 3) await tick();
  f.finish('ok');
  let settled = false;
  void done.then(() => (settled = true));
  await tick();
  expect(settled).toBe(false); // the third query is still in flight
  f.pending[2]!.resolve({ step: 'done' });
  await expect(done).resolves.toBe('ok');
  expect(seen).toEqual(['creating']);
  expect(errors).toEqual(['no worker']);
});
