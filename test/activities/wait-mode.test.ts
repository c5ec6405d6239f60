// The wait's polling loop (src/activities/wait-mode.ts) in a mock activity context: when it polls inside the attempt,
// how often it heartbeats and with what, how a retried attempt resumes, and when it leaves the next poll to a retry.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { InAttemptWaits, pollUntilDone, type WaitProgress } from '../../src/activities/wait-mode';
import { FailureType } from '../../src/shared/failure-types';

const pending = (nextRetryDelay: number) =>
  ApplicationFailure.create({
    type: FailureType.AsyncOperationPending,
    message: 'async operation op-1 is running',
    nextRetryDelay,
  });

/** A poll that is pending `times` times (asking for `delayMs` between polls), then answers the poll's number. */
function pollPending(times: number, delayMs: number) {
  const seen: number[] = [];
  const poll = async (n: number) => {
    seen.push(n);
    if (seen.length <= times) throw pending(delayMs);
    return n;
  };
  return { poll, seen };
}

/** The failures below are the subject: the mock's own "Activity failed" warnings would only be noise. */
const quiet = new DefaultLogger('ERROR');

function activityEnv(info: ConstructorParameters<typeof MockActivityEnvironment>[0]) {
  const env = new MockActivityEnvironment(info, { logger: quiet });
  const beats: WaitProgress[] = [];
  env.on('heartbeat', (d: WaitProgress) => beats.push(d));
  return { env, beats };
}

test('a wait that ends within one heartbeat interval polls in the attempt and sends no heartbeat', async () => {
  const { env, beats } = activityEnv({ heartbeatTimeoutMs: 1_000 });
  const { poll, seen } = pollPending(3, 20);
  await expect(env.run(() => pollUntilDone('auto', poll))).resolves.toBe(4);
  expect(seen).toEqual([1, 2, 3, 4]);
  expect(beats).toEqual([]);
});

test('a longer wait heartbeats once per 0.8 × heartbeat timeout, with the polls made and what the last one saw', async () => {
  // Beats every 80 ms; 12 polls 20 ms apart take ~240 ms.
  const { env, beats } = activityEnv({ heartbeatTimeoutMs: 100 });
  const { poll } = pollPending(12, 20);
  const started = Date.now();
  await expect(env.run(() => pollUntilDone('auto', poll))).resolves.toBe(13);
  const elapsed = Date.now() - started;
  // At least every 80 ms, never more often: bounded by the time the polls really took (longer on a busy machine).
  expect(beats.length).toBeGreaterThanOrEqual(2);
  expect(beats.length).toBeLessThanOrEqual(Math.floor(elapsed / 80) + 1);
  expect(beats[0]!.last).toMatch(/is running/);
  const polls = beats.map((b) => b.polls);
  expect(polls).toEqual([...polls].sort((a, b) => a - b));
  expect(polls[0]).toBeGreaterThan(1);
});

test('a slow first poll brings the first heartbeat forward: the heartbeat timeout runs from the attempt’s start', async () => {
  // Beats due every 80 ms from the start; the first poll alone takes 70 ms.
  const { env, beats } = activityEnv({ heartbeatTimeoutMs: 100 });
  let firstPending = 0;
  let firstBeat = 0;
  env.on('heartbeat', () => (firstBeat ||= Date.now()));
  let n = 0;
  const poll = async (i: number) => {
    if (++n === 1) {
      await new Promise((r) => setTimeout(r, 70));
      firstPending = Date.now();
    }
    if (n <= 6) throw pending(20);
    return i;
  };
  await expect(env.run(() => pollUntilDone('auto', poll))).resolves.toBe(7);
  expect(beats.length).toBeGreaterThanOrEqual(1);
  // Timed from the pending answer instead, it would come a whole interval (80 ms) after it: past the timeout.
  expect(firstBeat - firstPending).toBeLessThan(80);
});

test('a retried attempt (its worker died mid-wait) counts on from the last heartbeat and polls at once', async () => {
  const { env } = activityEnv({ heartbeatTimeoutMs: 1_000, attempt: 2, heartbeatDetails: { polls: 17 } });
  const { poll, seen } = pollPending(0, 20);
  await expect(env.run(() => pollUntilDone('auto', poll))).resolves.toBe(18);
  expect(seen).toEqual([18]);
});

test('a hint as long as the heartbeat interval, or retries mode, leaves the next poll to the retry policy', async () => {
  for (const [mode, delay] of [
    ['auto', 800],
    ['retries', 20],
  ] as const) {
    const { env, beats } = activityEnv({ heartbeatTimeoutMs: 1_000, attempt: 3 });
    const { poll, seen } = pollPending(1, delay);
    const err = await env.run(() => pollUntilDone(mode, poll)).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: FailureType.AsyncOperationPending, nextRetryDelay: delay });
    // The third attempt is the third poll.
    expect(seen).toEqual([3]);
    expect(beats).toEqual([]);
  }
});

test('any other failure ends the attempt at once; a cancelled wait stops sleeping', async () => {
  const { env } = activityEnv({ heartbeatTimeoutMs: 1_000 });
  const refused = ApplicationFailure.create({ type: FailureType.AsyncOperationFailed, nonRetryable: true });
  await expect(env.run(() => pollUntilDone('auto', () => Promise.reject(refused)))).rejects.toBe(refused);

  const cancelled = activityEnv({ heartbeatTimeoutMs: 1_000 }).env;
  const { poll } = pollPending(1_000, 500);
  const running = cancelled.run(() => pollUntilDone('auto', poll));
  setTimeout(() => cancelled.cancel(), 50);
  await expect(running).rejects.toBeInstanceOf(CancelledFailure);
});

test('past the worker budget of waits in their attempts, a wait goes on by retries; a finished one frees its place', async () => {
  const slots = new InAttemptWaits(1);
  const first = activityEnv({ heartbeatTimeoutMs: 1_000 }).env;
  const holding = first.run(() => pollUntilDone('auto', pollPending(5, 20).poll, slots));
  await new Promise((resolve) => setTimeout(resolve, 10));
  const second = activityEnv({ heartbeatTimeoutMs: 1_000 }).env;
  const err = await second
    .run(() => pollUntilDone('auto', pollPending(5, 20).poll, slots))
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ type: FailureType.AsyncOperationPending });
  await expect(holding).resolves.toBe(6);
  const third = activityEnv({ heartbeatTimeoutMs: 1_000 }).env;
  await expect(third.run(() => pollUntilDone('auto', pollPending(2, 20).poll, slots))).resolves.toBe(3);
});
