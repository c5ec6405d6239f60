// Building blocks shared by the workflows: waiting on async operations and turning activity failures
// into the failure a workflow should report.
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  TimeoutFailure,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AwaitAsyncOperationInput, AwaitAsyncOperationResult } from '../activities/async-operations';
import { asyncWait, DEFAULT_ASYNC_WAIT, type AsyncWaitOptions } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import type { z } from 'zod';
import { formatProblems, validate, type InputProblem } from '../shared/validation';

export interface WaitSettings {
  timeoutMinutes?: number;
  minPollSeconds?: number;
  maxPollSeconds?: number;
}

export function toAsyncWaitOptions(wait: WaitSettings | undefined): Required<AsyncWaitOptions> {
  return {
    timeoutMs:
      wait?.timeoutMinutes !== undefined ? wait.timeoutMinutes * 60_000 : DEFAULT_ASYNC_WAIT.timeoutMs,
    minPollMs: wait?.minPollSeconds !== undefined ? wait.minPollSeconds * 1000 : DEFAULT_ASYNC_WAIT.minPollMs,
    maxPollMs: wait?.maxPollSeconds !== undefined ? wait.maxPollSeconds * 1000 : DEFAULT_ASYNC_WAIT.maxPollMs,
  };
}

/**
 * The key of one step of this run (`<workflow id>/<first run id>/<step>`). Every mutation a step makes
 * carries an async operation id derived from it, so a retry is deduplicated by the server and finding
 * that operation proves the change is this run's own — ownership is never inferred from clocks. The first
 * run id keeps keys stable across retries and continue-as-new, and distinct between requests that reuse
 * a workflow id.
 */
export function operationKey(step: string): string {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  return `${workflowId}/${firstExecutionRunId}/${step}`;
}

/**
 * Waits for an async operation (and optionally its resource) on durable timers driven by the server's
 * checkDuration hint. Times out non-retryably with a clear message.
 */
export async function waitForOperation(
  asyncOperationId: string | undefined,
  resource: AwaitAsyncOperationInput['resource'],
  options: Required<AsyncWaitOptions>,
): Promise<AwaitAsyncOperationResult> {
  const { awaitAsyncOperation } = proxyActivities<Activities>(asyncWait(options) as ActivityOptions);
  try {
    return await awaitAsyncOperation({
      asyncOperationId,
      resource,
      minPollMs: options.minPollMs,
      maxPollMs: options.maxPollMs,
    });
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
      const what = resource ? `${resource.kind} ${resource.id}` : 'the change';
      throw ApplicationFailure.create({
        type: FailureType.AsyncOperationTimeout,
        message: `gave up waiting for ${asyncOperationId ? `async operation ${asyncOperationId}` : 'the change'} (${what}) after ${options.timeoutMs / 60_000} min`,
        nonRetryable: true,
      });
    }
    throw unwrapActivityFailure(err);
  }
}

/** Waits until each of these API keys (being deleted by the given operations) is gone. */
export async function waitUntilGone(
  keys: readonly { keyId: string; asyncOperationId?: string }[],
  options: Required<AsyncWaitOptions>,
): Promise<void> {
  for (const { keyId, asyncOperationId } of keys) {
    if (asyncOperationId)
      await waitForOperation(asyncOperationId, { kind: 'apiKey', id: keyId, until: 'gone' }, options);
  }
}

/** The ApplicationFailure inside an ActivityFailure carries the useful type and message. */
export function unwrapActivityFailure(err: unknown): unknown {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
}

export function failureType(err: unknown): string | undefined {
  const inner = unwrapActivityFailure(err);
  return inner instanceof ApplicationFailure ? (inner.type ?? undefined) : undefined;
}

export function describeError(err: unknown): string {
  const inner = unwrapActivityFailure(err);
  return inner instanceof Error ? inner.message : String(inner);
}

export function invalidInput(problems: InputProblem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidInput,
    message: `invalid input: ${formatProblems(problems)}`,
    nonRetryable: true,
    details: [{ problems }],
  });
}

/**
 * The workflow's validated input, or — after marking the run failed in its status — a non-retryable
 * InvalidInput failure listing every problem. Runs before any activity, so bad input changes nothing.
 */
export function validInputOrFail<S extends z.ZodType>(
  schema: S,
  rawInput: unknown,
  status: { step: string },
): z.output<S> {
  const checked = validate(schema, rawInput);
  if (checked.ok) return checked.value;
  status.step = 'failed';
  throw invalidInput(checked.problems);
}
