// The activity of the heartbeating wait design (bench only): polls with the product's getAsyncOperation
// activity, sleeps for the server's hint and heartbeats in between. The SDK throttles heartbeats to one
// per 0.8 × heartbeatTimeout; only those reach the server and are billed.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities';
import { FailureType } from '../../src/shared/failure-types';
import { FAILED_OPERATION_STATES, HEARTBEAT_EVERY_MS, nextPollMs, type WaitDesignResult } from './shared';

export interface PollWithHeartbeatsInput {
  asyncOperationId: string;
  minPollMs: number;
  maxPollMs: number;
}

export function createHeartbeatWaitActivities(activities: Pick<Activities, 'getAsyncOperation'>) {
  return {
    async pollAsyncOperationWithHeartbeats(input: PollWithHeartbeatsInput): Promise<WaitDesignResult> {
      const ctx = Context.current();
      // A retried attempt (lost worker) carries on counting from its last recorded heartbeat.
      let polls = (ctx.info.heartbeatDetails as { polls?: number } | undefined)?.polls ?? 0;
      for (;;) {
        const op = await activities.getAsyncOperation(input.asyncOperationId);
        polls++;
        if (op.state === 'fulfilled') return { polls };
        if (FAILED_OPERATION_STATES.includes(op.state)) {
          throw ApplicationFailure.create({
            type: FailureType.AsyncOperationFailed,
            message: `async operation ${op.id} ${op.state}: ${op.failureReason || 'no reason given'}`,
            nonRetryable: true,
          });
        }
        ctx.heartbeat({ polls });
        for (let left = nextPollMs(op.checkDuration, input); left > 0; left -= HEARTBEAT_EVERY_MS) {
          // Rejects when the activity is cancelled (heartbeat timeout, workflow gone).
          await ctx.sleep(Math.min(left, HEARTBEAT_EVERY_MS));
          ctx.heartbeat({ polls });
        }
      }
    },
  };
}

export type HeartbeatWaitActivities = ReturnType<typeof createHeartbeatWaitActivities>;
