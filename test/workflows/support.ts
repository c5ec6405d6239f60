// What the workflow suites share beyond their stack (test/helpers/stack.ts): the usual provisioning request, an
// async operation that fails once, the failure a run ended with, and checks that come back in every suite.
import { WorkflowFailedError, type ApplicationFailure, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Emulator } from '../../src/emulator';
import { mutations } from '../helpers/stack';

/** A namespace with a service account that can write to it and a 90-day API key. */
export const provisionRequest = {
  name: 'payments-prod',
  region: 'aws-us-east-1',
  retentionDays: 30,
  serviceAccount: { permission: 'write' as const },
  apiKey: { expiryDays: 90 },
};

/** The next async operation of `operationId` fails, with `reason`. */
export function failOperationOnce(emulator: Emulator, operationId: string, reason = 'quota exceeded'): void {
  emulator.faults.add({ kind: 'async-fail', operationId, reason, count: 1 });
}

/** The ApplicationFailure a run failed with (`err` as a WorkflowFailedError). */
export function failureOf(err: unknown): ApplicationFailure {
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

/** The run was refused non-retryably (its message matching `expected`) and asked the API to change nothing. */
export function expectRefusedUnchanged(
  err: unknown,
  emulator: Emulator,
  expected: RegExp,
): ApplicationFailure {
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = failureOf(err);
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toMatch(expected);
  expect(mutations(emulator)).toEqual([]);
  return cause;
}

/** The account holds exactly one namespace, one service account and one API key: its state, for more checks. */
export function expectOneOfEach(emulator: Emulator): ReturnType<Emulator['snapshot']> {
  const state = emulator.snapshot();
  expect(state.namespaces).toHaveLength(1);
  expect(state.serviceAccounts).toHaveLength(1);
  expect(state.apiKeys).toHaveLength(1);
  return state;
}

/** Skips workflow time in steps of `step` (at most `tries`) until the run's status says so; never a wall-clock wait. */
export async function untilStatus<S>(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  query: QueryDefinition<S>,
  done: (s: S) => boolean,
  step = '1s',
  tries = 300,
): Promise<S> {
  for (let i = 0; i < tries; i++) {
    const s = await handle.query(query);
    if (done(s)) return s;
    await env.sleep(step);
  }
  throw new Error(`status never matched: ${JSON.stringify(await handle.query(query))}`);
}
