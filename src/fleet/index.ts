// Fleet-wide Ops API limits for one worker: its share of the task queue's request rate and of its async operations in
// flight, both held by the limiter workflow (src/workflows/ops-api-limiter.ts). The per-process caps stay in front.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { MutationLimiter } from '../ops-api/mutation-gate';
import type { AnyOperationId } from '../ops-api/types';
import type { FleetCaps } from '../shared/fleet-limits';
import { temporalCoordinator, type LimiterCoordinator } from './coordinator';
import { FleetMutationGate } from './mutation-slots';
import { RequestSlots } from './request-slots';

export { memoryCoordinator, temporalCoordinator, type LimiterCoordinator } from './coordinator';
export { FleetMutationGate } from './mutation-slots';
export { RequestSlots } from './request-slots';

export interface FleetLimitsOptions {
  /** A Temporal client of the worker's namespace (its data converter included). */
  client?: Client;
  /** Instead of `client`: tests pass the in-memory limiter. */
  coordinator?: LimiterCoordinator;
  taskQueue: string;
  caps: FleetCaps;
  leaseMs: number;
  /** The Ops API client's per-request timeout. */
  requestTimeoutMs: number;
  /** A mutation slot comes back after this long at the latest. */
  holdLimitMs: number;
  logger: Logger;
  /** Default: host, pid and a random suffix, so a restarted process is a new holder. */
  holder?: string;
}

export interface FleetLimits {
  readonly holder: string;
  readonly caps: FleetCaps;
  /** The client's `beforeRequest` for the rate (absent when the rate is not limited fleet-wide). */
  beforeRequest?: (operationId: AnyOperationId) => Promise<() => void>;
  /** The client's mutation gate: the fleet's in front of `local` (or `local` alone when mutations are not capped). */
  mutationGate(local: MutationLimiter | undefined): MutationLimiter | undefined;
  /** Gives the slots back; call after the worker has stopped. */
  close(): Promise<void>;
}

/** How long a request waits for a slot of the fleet's rate before failing (retryably) as throttled. */
export const REQUEST_SLOT_WAIT_MS = 10_000;
/** How long a mutation waits in line for one of the fleet's async operations (an activity attempt has 30 s). */
export const MUTATION_SLOT_WAIT_MS = 20_000;

export function defaultHolderId(): string {
  return `${os.hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
}

export function createFleetLimits(o: FleetLimitsOptions): FleetLimits {
  const coordinator = o.coordinator ?? temporalCoordinator(requireClient(o.client), o.taskQueue);
  const holder = o.holder ?? defaultHolderId();
  const logger = o.logger.child({ component: 'fleet-limits', holder });
  const requests =
    o.caps.requestsPerSecond > 0
      ? new RequestSlots({
          coordinator,
          holder,
          caps: o.caps,
          leaseMs: o.leaseMs,
          requestTimeoutMs: o.requestTimeoutMs,
          // Well within an activity attempt (30 s), so a starved call fails retryably rather than timing out.
          acquireTimeoutMs: REQUEST_SLOT_WAIT_MS,
          logger,
        })
      : undefined;
  let mutations: FleetMutationGate | undefined;
  return {
    holder,
    caps: o.caps,
    ...(requests ? { beforeRequest: (operationId: AnyOperationId) => requests.acquire(operationId) } : {}),
    mutationGate(local) {
      if (o.caps.mutations <= 0) return local;
      mutations = new FleetMutationGate({
        coordinator,
        holder,
        caps: o.caps,
        leaseMs: o.leaseMs,
        holdLimitMs: o.holdLimitMs,
        waitMs: MUTATION_SLOT_WAIT_MS,
        ...(local ? { local } : {}),
        logger,
      });
      return mutations;
    },
    async close() {
      await Promise.all([requests?.close(), mutations?.close()]);
    },
  };
}

function requireClient(client: Client | undefined): Client {
  if (!client) throw new Error('createFleetLimits: a Temporal client or a coordinator is required');
  return client;
}
