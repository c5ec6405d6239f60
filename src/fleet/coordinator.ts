// How a worker talks to its task queue's limiter workflow: one Workflow Update per call, sent with Update-With-Start
// so that the first worker of a task queue starts the limiter and a limiter that was terminated comes back by itself.
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  applyRebindMutation,
  applyReleaseMutation,
  applySync,
  emptyLimiterState,
  FLEET_LIMITER,
  FLEET_REJECTIONS,
  limiterView,
  takeMutationSlot,
  type AcquireMutationRequest,
  type AcquireMutationResult,
  type LimiterState,
  type LimiterView,
  type SyncRequest,
  type SyncResult,
} from '../shared/fleet-limits';

export interface LimiterCoordinator {
  /** `accepted: false` when the limiter had nothing to change; `result` is its current answer either way. */
  sync(req: SyncRequest): Promise<{ accepted: boolean; result: SyncResult }>;
  /**
   * `taken: false` when every mutation slot of the fleet is taken; `orphaned` then names the operations holding
   * one whose holder's lease has ended (see orphanedOperations). `existed`: the key already held its slot as an
   * operation (a retry), so a failure of this request must not give it back.
   */
  acquireMutation(
    req: AcquireMutationRequest,
  ): Promise<{ taken: boolean; orphaned: string[]; existed?: boolean }>;
  /** Nothing to do when the limiter no longer holds `from`. */
  rebindMutation(from: string, to: string): Promise<void>;
  /** Nothing to do when the limiter does not hold `key`. */
  releaseMutation(key: string): Promise<void>;
}

/** The failure type of a rejected update, or undefined for any other error. */
function rejection(err: unknown): { type: string; details: unknown[] } | undefined {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof ApplicationFailure))
    return undefined;
  return { type: err.cause.type ?? '', details: err.cause.details ?? [] };
}

/**
 * The longest one call to the limiter may take. The SDK sends Update-With-Start again until the update is accepted,
 * so without a deadline a limiter whose task nobody processes (the last worker stopping, a backlog) would hang the
 * caller silently; with one, the call fails, and the gates back off and ask again within their own waits.
 */
export const LIMITER_CALL_DEADLINE_MS = 5_000;

export function temporalCoordinator(client: Client, taskQueue: string): LimiterCoordinator {
  const workflowId = FLEET_LIMITER.workflowId(taskQueue);
  const update = <R>(name: string, arg: unknown): Promise<R> =>
    client.withDeadline(Date.now() + LIMITER_CALL_DEADLINE_MS, () => send<R>(name, arg));
  const send = <R>(name: string, arg: unknown): Promise<R> =>
    client.workflow.executeUpdateWithStart<never, R, [unknown]>(name, {
      args: [arg],
      startWorkflowOperation: new WithStartWorkflowOperation<never>(FLEET_LIMITER.workflowType, {
        workflowId,
        taskQueue,
        args: [{}] as never,
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A limiter that failed or was terminated is started again; a running one is used.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      }),
    });
  /** Resolves with the rejection's type when the limiter refused the update, rethrows anything else. */
  const refused = async (call: Promise<unknown>, ...types: string[]): Promise<string | undefined> => {
    try {
      await call;
      return undefined;
    } catch (err) {
      const r = rejection(err);
      if (r && types.includes(r.type)) return r.type;
      throw err;
    }
  };
  return {
    async sync(req) {
      try {
        return { accepted: true, result: await update<SyncResult>(FLEET_LIMITER.sync, req) };
      } catch (err) {
        const r = rejection(err);
        if (r?.type === FLEET_REJECTIONS.unchanged && r.details[0]) {
          return { accepted: false, result: r.details[0] as SyncResult };
        }
        throw err;
      }
    },
    async acquireMutation(req) {
      try {
        const answer = await update<AcquireMutationResult | undefined>(FLEET_LIMITER.acquireMutation, req);
        return { taken: true, orphaned: [], existed: answer?.existed === true };
      } catch (err) {
        const r = rejection(err);
        if (r?.type !== FLEET_REJECTIONS.full) throw err;
        const orphaned = (r.details[0] as { orphaned?: unknown } | undefined)?.orphaned;
        return {
          taken: false,
          orphaned: Array.isArray(orphaned) ? orphaned.filter((k) => typeof k === 'string') : [],
        };
      }
    },
    async rebindMutation(from, to) {
      await refused(update(FLEET_LIMITER.rebindMutation, { from, to }), FLEET_REJECTIONS.unknown);
    },
    async releaseMutation(key) {
      await refused(update(FLEET_LIMITER.releaseMutation, { key }), FLEET_REJECTIONS.unknown);
    },
  };
}

/** The limiter's state machine in memory, on a given clock: for tests of the workers' side. */
export function memoryCoordinator(now: () => number = Date.now): LimiterCoordinator & {
  view(): LimiterView;
  state: LimiterState;
} {
  const c = {
    state: emptyLimiterState(),
    view: () => limiterView(c.state, now()),
    async sync(req: SyncRequest) {
      const next = applySync(c.state, req, now());
      if (next.changed) c.state = next.state;
      return { accepted: next.changed, result: next.result };
    },
    async acquireMutation(req: AcquireMutationRequest) {
      const answer = takeMutationSlot(c.state, req, now());
      if (!answer.taken) return answer;
      c.state = answer.state;
      return { taken: true, orphaned: [], existed: answer.existed };
    },
    async rebindMutation(from: string, to: string) {
      c.state = applyRebindMutation(c.state, from, to, now()) ?? c.state;
    },
    async releaseMutation(key: string) {
      c.state = applyReleaseMutation(c.state, key, now()) ?? c.state;
    },
  };
  return c;
}
