// The fleet's cap on async operations in flight, in front of this process's own gate (docs/worker.md).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { MutationLimiter, MutationSlot, OperationProbe } from '../ops-api/mutation-gate';
import type { FleetCaps } from '../shared/fleet-limits';
import type { LimiterCoordinator } from './coordinator';

export interface FleetMutationGateOptions {
  coordinator: LimiterCoordinator;
  holder: string;
  caps: FleetCaps;
  leaseMs: number;
  /** A slot comes back after this long at the latest, whatever became of its operation. */
  holdLimitMs: number;
  /** This process's own gate, asked first. */
  local?: MutationLimiter;
  /**
   * How long a mutation waits in line for a slot of the fleet (default: the client's timeout, as it asks). Waiting
   * is not a request: it may be longer than a request may take.
   */
  waitMs?: number;
  logger?: Logger;
  now?: () => number;
}

interface Waiter {
  key: string;
  operation: boolean;
  deadline: number;
  probe: OperationProbe | undefined;
  resolve(answer: { taken: boolean; existed: boolean }): void;
}

/** Between two refused asks for a slot: short at first, then at most this. */
const MAX_BACKOFF_MS = 1_000;
const MIN_BACKOFF_MS = 100;

export class FleetMutationGate implements MutationLimiter {
  readonly #o: FleetMutationGateOptions & { now: () => number };
  // Only the oldest waiter of this process asks the limiter, so a crowd of waiting mutations costs one ask at a time.
  readonly #queue: Waiter[] = [];
  #pumping = false;
  readonly #background = new Set<Promise<void>>();
  #closed = false;

  constructor(options: FleetMutationGateOptions) {
    this.#o = { now: () => performance.now(), ...options };
  }

  get limit(): number {
    return this.#o.caps.mutations;
  }

  get fullMessage(): string {
    return `the fleet's ${this.limit} async operations in flight are all running; try again when one finishes`;
  }

  async take(
    timeoutMs: number,
    asyncOperationId?: string,
    probe?: OperationProbe,
  ): Promise<MutationSlot | undefined> {
    const deadline = this.#o.now() + (this.#o.waitMs ?? timeoutMs);
    const local = this.#o.local ? await this.#o.local.take(timeoutMs, asyncOperationId, probe) : undefined;
    if (this.#o.local && !local) return undefined;
    const key = asyncOperationId ?? `reservation/${this.#o.holder}/${randomUUID()}`;
    const { taken, existed } = await new Promise<{ taken: boolean; existed: boolean }>((resolve) => {
      this.#queue.push({ key, operation: asyncOperationId !== undefined, deadline, probe, resolve });
      void this.#pump();
    });
    if (!taken) {
      local?.release();
      return undefined;
    }
    let settled = false;
    return {
      hold: (id) => {
        if (settled) return;
        settled = true;
        local?.hold(id);
        if (id !== key) this.#inBackground(() => this.#o.coordinator.rebindMutation(key, id));
      },
      release: () => {
        if (settled) return;
        settled = true;
        local?.release();
        // A retry of a request that may have started the operation: whatever this attempt's answer, the operation
        // may be running (e.g. a 409 for our own earlier create), so its slot stays until it is seen finished.
        if (!existed) this.#inBackground(() => this.#o.coordinator.releaseMutation(key));
      },
    };
  }

  finished(asyncOperationId: string): void {
    this.#o.local?.finished(asyncOperationId);
    // The limiter may hold it for this or another worker; it refuses (without a history event) when it does not.
    this.#inBackground(() => this.#o.coordinator.releaseMutation(asyncOperationId));
  }

  /** Waits (at most `waitMs`) for the releases still being sent. */
  async close(waitMs = 3_000): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#background]),
      new Promise((r) => (timer = setTimeout(r, waitMs))),
    ]).finally(() => clearTimeout(timer));
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    let backoff = MIN_BACKOFF_MS;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!;
        if (this.#o.now() >= head.deadline) {
          this.#queue.shift();
          head.resolve({ taken: false, existed: false });
          continue;
        }
        let taken = false;
        let existed = false;
        try {
          const answer = await this.#o.coordinator.acquireMutation({
            key: head.key,
            holder: this.#o.holder,
            operation: head.operation,
            holdLimitMs: this.#o.holdLimitMs,
            leaseMs: this.#o.leaseMs,
            caps: this.#o.caps,
          });
          taken = answer.taken;
          existed = answer.existed === true;
          // Slots of a dead worker's operations: nobody may poll them for a while, so ask about them here.
          if (!taken && answer.orphaned.length > 0)
            await head.probe?.(answer.orphaned).catch(() => undefined);
        } catch (err) {
          this.#o.logger?.warn({ err }, 'fleet limiter unreachable: mutations wait');
          backoff = MAX_BACKOFF_MS;
        }
        if (taken) {
          this.#queue.shift();
          head.resolve({ taken: true, existed });
          backoff = MIN_BACKOFF_MS;
          continue;
        }
        await new Promise((r) =>
          setTimeout(r, Math.min(backoff, Math.max(0, head.deadline - this.#o.now()))),
        );
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Releases are sent without holding up the request; a lost one only keeps a slot until its hold limit. */
  #inBackground(send: () => Promise<void>): void {
    const attempt = async () => {
      for (let i = 0; ; i++) {
        try {
          return await send();
        } catch (err) {
          // After close the connection may go at any moment: the slot's hold limit gives it back anyway.
          if (this.#closed) {
            this.#o.logger?.debug({ err }, 'mutation slot not given back: the worker stopped');
            return;
          }
          if (i >= 2) {
            this.#o.logger?.warn({ err }, 'could not give a mutation slot back to the fleet limiter');
            return;
          }
          await new Promise((r) => setTimeout(r, 500 * (i + 1)));
        }
      }
    };
    const p = attempt();
    this.#background.add(p);
    void p.finally(() => this.#background.delete(p));
  }
}
