// Polling a run's status query while its result is awaited (the starters' progress lines); see test/README.md,
// "Late gRPC retries", for why each query carries a deadline and is never cancelled.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';

export interface StatusPollerOptions<S> {
  client: Client;
  handle: WorkflowHandle;
  /** The query's name. */
  query: string;
  intervalMs: number;
  /** Longest one query may take; default the interval, at least 5 s. */
  queryTimeoutMs?: number;
  onStatus(status: S): void;
  /** A query failed (no worker yet, run closed, …): progress is best effort. */
  onError?(err: unknown): void;
}

export interface StatusPoller {
  /** Stops polling; resolves once no query is in flight (at most one query's timeout). */
  stop(): Promise<void>;
}

export function pollStatus<S>(o: StatusPollerOptions<S>): StatusPoller {
  const stopped = new AbortController();
  const timeoutMs = o.queryTimeoutMs ?? Math.max(o.intervalMs, 5_000);
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      try {
        const status = await o.client.connection.withDeadline(Date.now() + timeoutMs, () =>
          o.handle.query<S>(o.query),
        );
        if (!stopped.signal.aborted) o.onStatus(status);
      } catch (err) {
        if (!stopped.signal.aborted) o.onError?.(err);
      }
      // Only the pause between queries is cut short.
      await sleep(o.intervalMs, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
    },
  };
}

/** Awaits the run's result, polling its status meanwhile. */
export async function resultWithStatus<T, S>(
  handle: WorkflowHandle,
  poll: Omit<StatusPollerOptions<S>, 'handle'> | undefined,
): Promise<T> {
  const poller = poll ? pollStatus({ ...poll, handle }) : undefined;
  try {
    return (await handle.result()) as T;
  } finally {
    await poller?.stop();
  }
}
