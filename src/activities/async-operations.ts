import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { AsyncOperation, OpsApiClient } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import type { ActivityDeps } from './deps';
import { readState, type ResourceKind } from './resource-kinds';
import { isConfirmedNotFound, unreadableCode, type UnreadableCode, clientCalls } from './util';
import { InAttemptWaits, pollUntilDone } from './wait-mode';

export type { ResourceKind } from './resource-kinds';

export interface AwaitAsyncOperationInput {
  /** Absent when a resource is in flux with no operation to show for it: then only its state is awaited. */
  asyncOperationId?: string;
  /** Also wait until this resource is usable (`ready`) or has disappeared (`gone`). */
  resource?: { kind: ResourceKind; id: string; until: 'ready' | 'gone' };
  minPollMs: number;
  maxPollMs: number;
}

export interface AwaitAsyncOperationResult {
  asyncOperation?: AsyncOperation;
  /** How many times this wait asked the server (the activity's attempt number). */
  polls: number;
  resourceState?: string;
  /**
   * The operation is fulfilled but its resource answered NOT_FOUND or PERMISSION_DENIED, as a resource just created
   * does for a while: waitForOperation waits until it reads (awaitReadable), never takes it for gone.
   */
  unreadable?: UnreadableCode;
}

export interface AwaitReadableInput {
  kind: ResourceKind;
  id: string;
  /** Reads in all; the last one answers instead of failing (see readableWait in shared/activity-options). */
  attempts: number;
  intervalMs: number;
}

export type AwaitReadableResult =
  | { readable: true; state: string }
  /** Still NOT_FOUND or PERMISSION_DENIED on the last read. */
  | { readable: false; answered: UnreadableCode; reads: number };

const FAILED_OP_STATES = new Set(['failed', 'cancelled', 'rejected']);
// A resource in one of these states will not become ready by waiting (the last three are the real API's).
const FAILED_RESOURCE_STATES = new Set([
  'activation_failed',
  'update_failed',
  'delete_failed',
  'suspended',
  'expired',
  'deleted',
]);
const READY_STATES: Record<ResourceKind, ReadonlySet<string>> = {
  namespace: new Set(['active']),
  // An invited user stays `pending` until they accept; the account change itself is done.
  user: new Set(['pending', 'active']),
  serviceAccount: new Set(['active']),
  apiKey: new Set(['active']),
  userGroup: new Set(['active']),
  customRole: new Set(['active']),
};

/** Parses protobuf JSON durations (`5s`, `1.500s`); undefined for anything else. */
export function parseCheckDuration(value: string | undefined): number | undefined {
  const match = value ? /^(\d+(?:\.\d+)?)s$/.exec(value.trim()) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

export function createAsyncOperationActivities({
  client,
  waitMode = 'auto',
  maxWaitsInAttempt,
}: ActivityDeps) {
  const slots = new InAttemptWaits(maxWaitsInAttempt ?? Infinity);
  return {
    ...clientCalls(client, 'getAsyncOperation'),
    awaitAsyncOperation: (input: AwaitAsyncOperationInput) =>
      pollUntilDone(waitMode, (polls) => pollOnce(client, input, polls), slots),
    awaitReadable: (input: AwaitReadableInput) => awaitReadable(client, input),
  };
}

/**
 * One poll of a wait (see asyncWait in shared/activity-options, and pollUntilDone for what follows a pending one):
 * the result when done, a non-retryable failure when the operation or resource failed, and otherwise a retryable
 * AsyncOperationPending failure carrying the next poll's delay.
 */
async function pollOnce(
  client: OpsApiClient,
  input: AwaitAsyncOperationInput,
  polls: number,
): Promise<AwaitAsyncOperationResult> {
  const op = input.asyncOperationId ? await client.getAsyncOperation(input.asyncOperationId) : undefined;
  const hint = parseCheckDuration(op?.checkDuration) ?? input.minPollMs;
  const pending = pendingPoll(Math.min(Math.max(hint, input.minPollMs), input.maxPollMs));

  if (op && FAILED_OP_STATES.has(op.state)) {
    throw ApplicationFailure.create({
      type: FailureType.AsyncOperationFailed,
      message: `async operation ${op.id} (${op.operationType ?? 'unknown'}) ${op.state}: ${op.failureReason || 'no reason given'}`,
      nonRetryable: true,
      details: [
        {
          asyncOperationId: op.id,
          state: op.state,
          operationType: op.operationType,
          reason: op.failureReason,
        },
      ],
    });
  }
  if (op && op.state !== 'fulfilled') throw pending(`async operation ${op.id} is ${op.state}`);
  if (!input.resource) return { asyncOperation: op, polls };

  const { kind, id, until } = input.resource;
  // A fulfilled delete is the resource gone: the real API's own clients read nothing after it (the Terraform
  // provider's Delete ends with AwaitAsyncOperation). Without an operation only a read can tell.
  if (until === 'gone' && op) return { asyncOperation: op, polls };
  // After a fulfilled operation, NOT_FOUND or PERMISSION_DENIED means "not readable yet", not "gone".
  const read =
    until === 'ready' && op
      ? await readAfterFulfilled(client, kind, id)
      : await getResourceState(client, kind, id);
  if (read === 'not_found' || read === 'permission_denied') {
    return { asyncOperation: op, polls, unreadable: read };
  }
  if (until === 'gone') {
    if (read === undefined || read === 'deleted') return { asyncOperation: op, polls };
    if (read === 'delete_failed') throw resourceFailed(kind, id, read);
    throw pending(`${kind} ${id} is still ${read}`);
  }
  if (read === undefined) {
    throw ApplicationFailure.create({
      type: FailureType.NotFound,
      message: op
        ? `${kind} ${id} does not exist after its operation ${op.id} was fulfilled`
        : `${kind} ${id} does not exist`,
      nonRetryable: true,
    });
  }
  if (READY_STATES[kind].has(read)) return { asyncOperation: op, polls, resourceState: read };
  if (FAILED_RESOURCE_STATES.has(read)) throw resourceFailed(kind, id, read);
  throw pending(`${kind} ${id} is ${read}`);
}

/** A poll that found the change unfinished: retried after `nextPoll` ms. */
function pendingPoll(nextPoll: number) {
  return (what: string) =>
    ApplicationFailure.create({
      type: FailureType.AsyncOperationPending,
      message: `${what}; next check in ${nextPoll} ms`,
      nextRetryDelay: nextPoll,
      // An expected outcome of a poll: logged at debug and not counted as an error in metrics.
      category: ApplicationFailureCategory.BENIGN,
    });
}

function resourceFailed(kind: ResourceKind, id: string, state: string) {
  return ApplicationFailure.create({
    type: FailureType.ResourceFailed,
    message: `${kind} ${id} is ${state}`,
    nonRetryable: true,
  });
}

/**
 * One read of a wait for a resource that answers NOT_FOUND or PERMISSION_DENIED although it should exist (just
 * created, or not yet deleted by this run). The activity's retries are the reads, `intervalMs` apart; the last
 * of `attempts` answers with what it read instead of failing, so the caller decides what that means.
 */
async function awaitReadable(client: OpsApiClient, input: AwaitReadableInput): Promise<AwaitReadableResult> {
  const reads = Context.current().info.attempt;
  const read = await readAfterFulfilled(client, input.kind, input.id);
  if (read !== 'not_found' && read !== 'permission_denied') return { readable: true, state: read };
  if (reads >= input.attempts) return { readable: false, answered: read, reads };
  throw ApplicationFailure.create({
    type: FailureType.ResourceNotReadable,
    message: `${input.kind} ${input.id} answers ${read} (read ${reads} of ${input.attempts}); reading again in ${input.intervalMs} ms`,
    nextRetryDelay: input.intervalMs,
    category: ApplicationFailureCategory.BENIGN,
  });
}

/** The resource's state; undefined when the API says there is no such resource. */
function getResourceState(client: OpsApiClient, kind: ResourceKind, id: string): Promise<string | undefined> {
  return readOr(client, kind, id, async (err) =>
    (await isConfirmedNotFound(err, client)) ? [undefined] : [],
  );
}

/** The state once fulfilled, or what answered instead of the resource while it cannot be read. */
function readAfterFulfilled(
  client: OpsApiClient,
  kind: ResourceKind,
  id: string,
): Promise<string | UnreadableCode> {
  return readOr(client, kind, id, async (err) => {
    const code = await unreadableCode(err, client);
    return code ? [code] : [];
  });
}

/** The state, or what `instead` makes of a failed read (`[answer]`); a read it makes nothing of (`[]`) throws. */
async function readOr<T>(
  client: OpsApiClient,
  kind: ResourceKind,
  id: string,
  instead: (err: unknown) => Promise<[T] | []>,
): Promise<string | T> {
  try {
    return await readState(client, kind, id);
  } catch (err) {
    const answer = await instead(err);
    if (answer.length === 0) throw err;
    return answer[0];
  }
}
