// The fleet-wide Ops API limiter of a task queue: one long-lived run that hands out request slots (the rate) and
// mutation slots (async operations in flight) to the workers, through Workflow Updates. The rules are the pure
// state machine in src/shared/fleet-limits.ts; this file only holds the state, durably, and keeps the history
// short. An update that would change nothing is rejected by its validator, which writes no history event.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  applyRebindMutation,
  applyReleaseMutation,
  applySync,
  emptyLimiterState,
  FLEET_LIMITER,
  FLEET_REJECTIONS,
  limiterView,
  purge,
  takeMutationSlot,
  validateAcquireMutation,
  validateSyncRequest,
  type AcquireMutationRequest,
  type AcquireMutationResult,
  type LimiterState,
  type LimiterView,
  type SyncRequest,
  type SyncResult,
} from '../shared/fleet-limits';

export const syncRequestSlots = defineUpdate<SyncResult, [SyncRequest]>(FLEET_LIMITER.sync);
export const acquireMutationSlot = defineUpdate<AcquireMutationResult, [AcquireMutationRequest]>(
  FLEET_LIMITER.acquireMutation,
);
export const rebindMutationSlot = defineUpdate<void, [{ from: string; to: string }]>(
  FLEET_LIMITER.rebindMutation,
);
export const releaseMutationSlot = defineUpdate<void, [{ key: string }]>(FLEET_LIMITER.releaseMutation);
export const limiterState = defineQuery<LimiterView>(FLEET_LIMITER.stateQuery);

/** What the portal's and the starters' `status` query convention sees: never a decision to make. */
export interface LimiterStatus {
  step: 'limiting';
  view: LimiterView;
}
export const limiterStatus = defineQuery<LimiterStatus>('status');

export interface OpsApiLimiterInput {
  /** Carried across continue-as-new: leases and slots survive it. */
  state?: LimiterState;
}

/** Continue as new well before the server would suggest it, so a replay stays quick. */
const MAX_HISTORY_EVENTS = 2_000;

function reject(type: string, message: string, details?: unknown): never {
  throw ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    ...(details ? { details: [details] } : {}),
  });
}

/** Every mutation slot is taken: the refusal names the orphaned operations a worker may ask about. */
function refuseFull(orphaned: string[]): never {
  reject(FLEET_REJECTIONS.full, 'every mutation slot of the fleet is taken', { orphaned });
}

export async function opsApiLimiter(input: OpsApiLimiterInput = {}): Promise<void> {
  // Workflow time: the same clock for every lease, whichever worker runs this task.
  let state = input.state ?? emptyLimiterState();

  setHandler(
    syncRequestSlots,
    (req) => {
      const next = applySync(state, req, Date.now());
      state = next.state;
      return next.result;
    },
    {
      validator: (req) => {
        const problem = validateSyncRequest(req);
        if (problem) reject(FLEET_REJECTIONS.invalid, problem);
        const next = applySync(state, req, Date.now());
        if (!next.changed) reject(FLEET_REJECTIONS.unchanged, 'nothing to change', next.result);
      },
    },
  );

  setHandler(
    acquireMutationSlot,
    (req) => {
      // Validators of updates that arrive together may all run before their handlers: check again here.
      const answer = takeMutationSlot(state, req, Date.now());
      if (!answer.taken) refuseFull(answer.orphaned);
      state = answer.state;
      return { existed: answer.existed };
    },
    {
      validator: (req) => {
        const problem = validateAcquireMutation(req);
        if (problem) reject(FLEET_REJECTIONS.invalid, problem);
        const answer = takeMutationSlot(state, req, Date.now());
        if (!answer.taken) refuseFull(answer.orphaned);
      },
    },
  );

  setHandler(
    rebindMutationSlot,
    ({ from, to }) => {
      state = applyRebindMutation(state, from, to, Date.now()) ?? state;
    },
    {
      validator: ({ from, to }) => {
        if (!applyRebindMutation(state, from, to, Date.now()))
          reject(FLEET_REJECTIONS.unknown, `no slot ${from}`);
      },
    },
  );

  setHandler(
    releaseMutationSlot,
    ({ key }) => {
      state = applyReleaseMutation(state, key, Date.now()) ?? state;
    },
    {
      validator: ({ key }) => {
        if (!applyReleaseMutation(state, key, Date.now())) reject(FLEET_REJECTIONS.unknown, `no slot ${key}`);
      },
    },
  );

  setHandler(limiterState, () => limiterView(state, Date.now()));
  setHandler(limiterStatus, () => ({ step: 'limiting', view: limiterView(state, Date.now()) }));

  await condition(
    () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS,
  );
  // Handlers never wait, so this is at once; it keeps an update admitted meanwhile from being lost.
  await condition(allHandlersFinished);
  await continueAsNew<typeof opsApiLimiter>({ state: purge(state, Date.now()) });
}
