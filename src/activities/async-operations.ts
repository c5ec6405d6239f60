import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { AsyncOperation } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import type { ActivityDeps } from './deps';
import { isConfirmedNotFound } from './util';

export type ResourceKind = 'namespace' | 'user' | 'serviceAccount' | 'apiKey';

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
}

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
};

/** Parses protobuf JSON durations (`5s`, `1.500s`); undefined for anything else. */
export function parseCheckDuration(value: string | undefined): number | undefined {
  const match = value ? /^(\d+(?:\.\d+)?)s$/.exec(value.trim()) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

export function createAsyncOperationActivities({ client }: ActivityDeps) {
  async function getResourceState(kind: ResourceKind, id: string): Promise<string | undefined> {
    try {
      switch (kind) {
        case 'namespace':
          return (await client.getNamespace(id)).state;
        case 'user':
          return (await client.getUser(id)).state;
        case 'serviceAccount':
          return (await client.getServiceAccount(id)).state;
        case 'apiKey':
          return (await client.getApiKey(id)).state;
      }
    } catch (err) {
      if (await isConfirmedNotFound(err, client)) return undefined;
      throw err;
    }
  }

  return {
    async getAsyncOperation(asyncOperationId: string): Promise<AsyncOperation> {
      return client.getAsyncOperation(asyncOperationId);
    },

    /**
     * One poll of a wait (see asyncWait in shared/activity-options): returns when done, fails
     * non-retryably when the operation or resource failed, and otherwise fails retryably with the next
     * poll's delay taken from the server's checkDuration hint.
     */
    async awaitAsyncOperation(input: AwaitAsyncOperationInput): Promise<AwaitAsyncOperationResult> {
      const polls = Context.current().info.attempt;
      const op = input.asyncOperationId ? await client.getAsyncOperation(input.asyncOperationId) : undefined;
      const hint = parseCheckDuration(op?.checkDuration) ?? input.minPollMs;
      const nextPoll = Math.min(Math.max(hint, input.minPollMs), input.maxPollMs);
      const pending = (what: string) =>
        ApplicationFailure.create({
          type: FailureType.AsyncOperationPending,
          message: `${what}; next check in ${nextPoll} ms`,
          nextRetryDelay: nextPoll,
          // An expected outcome of a poll: logged at debug and not counted as an error in metrics.
          category: ApplicationFailureCategory.BENIGN,
        });

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
      const state = await getResourceState(kind, id);
      if (until === 'gone') {
        if (state === undefined || state === 'deleted') return { asyncOperation: op, polls };
        if (state === 'delete_failed') {
          throw ApplicationFailure.create({
            type: FailureType.ResourceFailed,
            message: `${kind} ${id} is ${state}`,
            nonRetryable: true,
          });
        }
        throw pending(`${kind} ${id} is still ${state}`);
      }
      if (state === undefined) {
        throw ApplicationFailure.create({
          type: FailureType.NotFound,
          message: op
            ? `${kind} ${id} does not exist after its operation ${op.id} was fulfilled`
            : `${kind} ${id} does not exist`,
          nonRetryable: true,
        });
      }
      if (READY_STATES[kind].has(state)) return { asyncOperation: op, polls, resourceState: state };
      if (FAILED_RESOURCE_STATES.has(state)) {
        throw ApplicationFailure.create({
          type: FailureType.ResourceFailed,
          message: `${kind} ${id} is ${state}`,
          nonRetryable: true,
        });
      }
      throw pending(`${kind} ${id} is ${state}`);
    },
  };
}
