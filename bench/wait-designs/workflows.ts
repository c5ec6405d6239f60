// Three ways to wait for one Ops API async operation, as workflows of their own so the benchmark can
// compare their Temporal Cloud Actions, Ops API calls and history on the same operations. Bench only:
// the product waits with waitForOperation (the first design). Deterministic workflow code.
import { ApplicationFailure, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../src/activities';
import { opsApiCall } from '../../src/shared/activity-options';
import { FailureType } from '../../src/shared/failure-types';
import { toAsyncWaitOptions, waitForOperation } from '../../src/workflows/common';
import type { HeartbeatWaitActivities } from './activities';
import {
  FAILED_OPERATION_STATES,
  HEARTBEAT_TASK_QUEUE_SUFFIX,
  HEARTBEAT_TIMEOUT_MS,
  nextPollMs,
  type WaitDesignInput,
  type WaitDesignResult,
} from './shared';

/** Ours: the product's waitForOperation — polls by retries, or inside a heartbeating attempt when that costs fewer Actions. */
export async function waitByActivityRetries(input: WaitDesignInput): Promise<WaitDesignResult> {
  const { polls } = await waitForOperation(input.asyncOperationId, undefined, toAsyncWaitOptions(input.wait));
  return { polls };
}

const { getAsyncOperation } = proxyActivities<Activities>(opsApiCall);

/** Alternative A: the workflow loops over one getAsyncOperation activity and a durable timer per poll. */
export async function waitByWorkflowLoop(input: WaitDesignInput): Promise<WaitDesignResult> {
  const options = toAsyncWaitOptions(input.wait);
  const deadline = Date.now() + options.timeoutMs;
  for (let polls = 1; ; polls++) {
    const op = await getAsyncOperation(input.asyncOperationId);
    if (op.state === 'fulfilled') return { polls };
    if (FAILED_OPERATION_STATES.includes(op.state)) {
      throw ApplicationFailure.create({
        type: FailureType.AsyncOperationFailed,
        message: `async operation ${op.id} ${op.state}: ${op.failureReason || 'no reason given'}`,
        nonRetryable: true,
      });
    }
    const delay = nextPollMs(op.checkDuration, options);
    if (Date.now() + delay > deadline) {
      throw ApplicationFailure.create({
        type: FailureType.AsyncOperationTimeout,
        message: `gave up waiting for async operation ${input.asyncOperationId}`,
        nonRetryable: true,
      });
    }
    await sleep(delay);
  }
}

/** Alternative B: one long activity that polls, sleeps and heartbeats until the operation is done. */
export async function waitByHeartbeatingActivity(input: WaitDesignInput): Promise<WaitDesignResult> {
  const options = toAsyncWaitOptions(input.wait);
  const { pollAsyncOperationWithHeartbeats } = proxyActivities<HeartbeatWaitActivities>({
    taskQueue: `${workflowInfo().taskQueue}${HEARTBEAT_TASK_QUEUE_SUFFIX}`,
    scheduleToCloseTimeout: options.timeoutMs,
    startToCloseTimeout: options.timeoutMs,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: opsApiCall.retry,
  });
  return pollAsyncOperationWithHeartbeats({
    asyncOperationId: input.asyncOperationId,
    minPollMs: options.minPollMs,
    maxPollMs: options.maxPollMs,
  });
}
