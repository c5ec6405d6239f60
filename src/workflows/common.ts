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
import type {
  AwaitAsyncOperationInput,
  AwaitAsyncOperationResult,
  AwaitReadableInput,
} from '../activities/async-operations';
import type { DeleteResult } from '../activities/util';
import {
  asyncWait,
  DEFAULT_ASYNC_WAIT,
  opsApiPaging,
  readableReads,
  readableWait,
  type AsyncWaitOptions,
} from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import type { z } from 'zod';
import { formatProblems, validate, type InputProblem } from '../shared/validation';

export interface WaitSettings {
  timeoutMinutes?: number;
  minPollSeconds?: number;
  maxPollSeconds?: number;
  readAfterCreateMinutes?: number;
}

export function toAsyncWaitOptions(wait: WaitSettings | undefined): Required<AsyncWaitOptions> {
  return {
    readAfterCreateMs:
      wait?.readAfterCreateMinutes !== undefined
        ? wait.readAfterCreateMinutes * 60_000
        : DEFAULT_ASYNC_WAIT.readAfterCreateMs,
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
 * checkDuration hint. Times out non-retryably with a clear message. A resource that answers NOT_FOUND or
 * PERMISSION_DENIED once its operation is fulfilled is waited for (the read-after-create lag), for at most
 * `readAfterCreateMs`, and then fails clearly: it is never taken for gone.
 */
export async function waitForOperation(
  asyncOperationId: string | undefined,
  resource: AwaitAsyncOperationInput['resource'],
  options: Required<AsyncWaitOptions>,
): Promise<AwaitAsyncOperationResult> {
  const { awaitAsyncOperation } = proxyActivities<Activities>(asyncWait(options) as ActivityOptions);
  const wait = () =>
    awaitAsyncOperation({
      asyncOperationId,
      resource,
      minPollMs: options.minPollMs,
      maxPollMs: options.maxPollMs,
    });
  try {
    const done = await wait();
    if (!done.unreadable || !resource) return done;
    await awaitReadable(resource, options, 'after its operation was fulfilled');
    const again = await wait();
    if (again.unreadable) throw notReadableAgain(resource, again.unreadable);
    return again;
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

/**
 * Reads the resource every ~10 s until it answers, for at most the read-after-create window; throws a
 * non-retryable ResourceNotReadable failure naming what it kept answering when the window passes.
 */
async function awaitReadable(
  resource: { kind: AwaitReadableInput['kind']; id: string },
  options: Required<AsyncWaitOptions>,
  context: string,
): Promise<string> {
  const reads = readableReads(options);
  const { awaitReadable: read } = proxyActivities<Activities>(readableWait(reads));
  const result = await read({ kind: resource.kind, id: resource.id, ...reads });
  if (result.readable) return result.state;
  throw ApplicationFailure.create({
    type: FailureType.ResourceNotReadable,
    message:
      `${resource.kind} ${resource.id} still answered ${result.answered.toUpperCase()} ${options.readAfterCreateMs / 60_000} min ` +
      `(${result.reads} reads) ${context}; it was not taken for gone and may still exist`,
    nonRetryable: true,
    details: [{ kind: resource.kind, id: resource.id, answered: result.answered }],
  });
}

/**
 * Deletes a resource and waits until it is gone. "Gone" needs proof: this run's own delete, a delete it saw in
 * flight, or the caller's own (`del(true)`: believe a NOT_FOUND, e.g. after a failed create). A resource that
 * answers NOT_FOUND or PERMISSION_DENIED with no such proof (as one just created does for a while) is read until it
 * answers and deleted then. If it never answers within the window: when this run created it, that is an error (it
 * may still exist); otherwise a NOT_FOUND that lasted the whole window is believed.
 */
async function deleteUntilGone(
  resource: { kind: AwaitReadableInput['kind']; id: string },
  del: (absentIsGone: boolean) => Promise<DeleteResult>,
  options: Required<AsyncWaitOptions> & { createdByThisRun?: boolean },
): Promise<DeleteOutcome> {
  let res = await del(false);
  if (res.outcome === 'unreadable') {
    try {
      await awaitReadable(resource, options, 'when it was to be deleted');
      res = await del(false);
    } catch (err) {
      const answered = failureDetails(err)?.answered;
      if (options.createdByThisRun || answered !== 'not_found') throw err;
      res = await del(true);
    }
    if (res.outcome === 'unreadable') throw notReadableAgain(resource, res.unreadable);
  }
  if (!res.asyncOperationId) return res;
  const done = await waitForOperation(res.asyncOperationId, { ...resource, until: 'gone' }, options);
  const finishedTime = done.asyncOperation?.finishedTime;
  return finishedTime ? { ...res, finishedTime } : res;
}

/** A delete's outcome once the resource is gone: with the time its delete operation finished, when there was one. */
export type DeleteOutcome = DeleteResult & { finishedTime?: string };

/**
 * deleteUntilGone through the resource's own delete activity, under this step's operation key; an API key's token
 * leaves the secret sink with it. A `resourceVersion` from a recent read or list is sent without reading first.
 * `createFailed`: its create operation failed, so a NOT_FOUND is the truth.
 */
export function deleteResource(
  resource: { kind: AwaitReadableInput['kind']; id: string; resourceVersion?: string },
  operationKey: string,
  options: Required<AsyncWaitOptions> & { createdByThisRun?: boolean; createFailed?: boolean },
): Promise<DeleteOutcome> {
  const activities = proxyActivities<Activities>(opsApiPaging);
  const { id, resourceVersion } = resource;
  let first = true;
  return deleteUntilGone(
    { kind: resource.kind, id },
    (absent) => {
      const input = {
        operationKey,
        absentIsGone: absent || options.createFailed === true,
        // The version a recent read showed saves the read before the delete; only the first try trusts it.
        ...(first && resourceVersion ? { resourceVersion } : {}),
      };
      first = false;
      switch (resource.kind) {
        case 'namespace':
          return activities.deleteNamespaceIfExists({ ...input, namespace: id });
        case 'serviceAccount':
          return activities.deleteServiceAccountIfExists({ ...input, serviceAccountId: id });
        case 'user':
          return activities.deleteUserIfExists({ ...input, userId: id });
        case 'apiKey':
          return activities.deleteApiKeyIfExists({ ...input, keyId: id, deleteSecret: true });
        case 'userGroup':
          return activities.deleteUserGroupIfExists({ ...input, groupId: id });
        case 'customRole':
          return activities.deleteCustomRoleIfExists({ ...input, roleId: id });
      }
    },
    options,
  );
}

/** The resource a ResourceNotReadable failure names, if `err` is one. */
export function unreadableResource(err: unknown): { kind: string; id: string } | undefined {
  const details = failureDetails(err);
  return details?.id ? { kind: details.kind ?? '', id: details.id } : undefined;
}

function notReadableAgain(resource: { kind: string; id: string }, answered: string | undefined) {
  return ApplicationFailure.create({
    type: FailureType.ResourceNotReadable,
    message: `${resource.kind} ${resource.id} answered ${String(answered).toUpperCase()} again right after it was read; try again`,
    nonRetryable: true,
  });
}

function failureDetails(err: unknown): { answered?: string; kind?: string; id?: string } | undefined {
  const inner = unwrapActivityFailure(err);
  return inner instanceof ApplicationFailure && inner.type === FailureType.ResourceNotReadable
    ? (inner.details?.[0] as { answered?: string; kind?: string; id?: string } | undefined)
    : undefined;
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
