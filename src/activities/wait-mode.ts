// How one wait on an async operation spends its Temporal Cloud Actions. A poll that finds the operation unfinished
// either fails with the next poll's delay (the retry is the next poll: one Action per poll, and the wait sleeps on
// a server timer), or sleeps inside the attempt and polls again, heartbeating only as often as the heartbeat
// timeout demands (one Action per heartbeat sent). Whichever costs fewer Actions for the poll interval at hand.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../shared/failure-types';

/**
 * `auto`: poll inside a heartbeating attempt when the hint is shorter than the heartbeat interval (fewer Actions),
 * by retries otherwise; `retries`: always by retries — for test servers that skip time, which they cannot do
 * while an activity sleeps.
 */
export type WaitMode = 'auto' | 'retries';

/** The SDK sends at most one heartbeat per 0.8 × heartbeatTimeout; ours go out exactly that often, and no sooner. */
const HEARTBEAT_SHARE = 0.8;

/** What a heartbeat records, and what a retried attempt (the worker died mid-wait) resumes from. */
export interface WaitProgress {
  polls: number;
  /** What the last poll saw (e.g. "async operation … is running"). */
  last?: string;
}

/**
 * How many waits of this worker may hold an activity slot between polls at once: a wait by retries gives its slot
 * back between polls, one inside its attempt keeps it. Past this many, a wait goes on by retries (one Action per
 * poll, as before), so the worker's other activities always find slots.
 */
export class InAttemptWaits {
  #held = 0;
  constructor(readonly max: number) {}

  tryTake(): boolean {
    if (this.#held >= this.max) return false;
    this.#held++;
    return true;
  }

  release(): void {
    this.#held--;
  }
}

/** The polls made before this attempt: the attempts before it, or more if a heartbeating attempt recorded them. */
export function pollsBefore(): number {
  const { attempt, heartbeatDetails } = Context.current().info;
  const recorded = (heartbeatDetails as Partial<WaitProgress> | undefined)?.polls;
  return Math.max(attempt - 1, typeof recorded === 'number' ? recorded : 0);
}

/**
 * Runs `poll` (given the number of this poll, counting from 1 across attempts) until it returns or fails with
 * something other than "still pending". A pending poll whose next delay is shorter than the heartbeat interval
 * sleeps in this attempt and polls again; otherwise its failure goes to the retry policy (the next attempt is the
 * next poll, on a server timer).
 */
export async function pollUntilDone<T>(
  mode: WaitMode,
  poll: (n: number) => Promise<T>,
  slots = new InAttemptWaits(Infinity),
): Promise<T> {
  const ctx = Context.current();
  const beatMs = (ctx.info.heartbeatTimeoutMs ?? 0) * HEARTBEAT_SHARE;
  const progress: WaitProgress = { polls: pollsBefore() };
  // The heartbeat timeout runs from the attempt's start, not from the first pending answer (a slow first poll).
  const attemptStart = Date.now();
  let beats: { stop(): void } | undefined;
  let holding = false;
  try {
    for (;;) {
      progress.polls++;
      try {
        return await poll(progress.polls);
      } catch (err) {
        const delay = pendingDelay(err);
        if (mode !== 'auto' || delay === undefined || delay >= beatMs) throw err;
        if (!holding && !(holding = slots.tryTake())) throw err;
        progress.last = (err as Error).message;
        // Heartbeats start only once the attempt outlives a heartbeat interval, so a wait that ends within one
        // costs no heartbeat at all.
        beats ??= heartbeatEvery(beatMs, beatMs - (Date.now() - attemptStart), () =>
          ctx.heartbeat({ ...progress }),
        );
        await ctx.sleep(delay); // rejects when the activity is cancelled
      }
    }
  } finally {
    beats?.stop();
    if (holding) slots.release();
  }
}

/** `beat` after `firstMs` (at once if that is past), then every `everyMs`, until stopped. */
function heartbeatEvery(everyMs: number, firstMs: number, beat: () => void): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> = setTimeout(
    function next() {
      beat();
      timer = setTimeout(next, everyMs);
    },
    Math.max(0, firstMs),
  );
  return { stop: () => clearTimeout(timer) };
}

/** The delay a "still pending" poll asks for before the next one; undefined for any other failure. */
function pendingDelay(err: unknown): number | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== FailureType.AsyncOperationPending)
    return undefined;
  return typeof err.nextRetryDelay === 'number' ? err.nextRetryDelay : undefined;
}
