// Seen request ids, kept in Temporal as receipts (docs/events.md, "Re-deliveries: request receipts").
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';

export const RECEIPT_WORKFLOW_TYPE = 'requestReceipt';
export const receiptWorkflowId = (requestId: string) => `request-receipt/${requestId}`;
/** Receipts have a task queue of their own, which no worker polls and no task ever reaches. */
export const receiptTaskQueue = (taskQueue: string) => `${taskQueue}-receipts`;

/** Default 30 days: far longer than any sender retries a delivery. */
export const DEFAULT_DEDUPE_WINDOW_MS = 30 * 24 * 60 * 60_000;

/** What a receipt remembers of the request that claimed it (its memo). */
export interface ReceiptContent {
  /** Fingerprint of `[type, data]` (canonical JSON), so re-serialised re-deliveries still match. */
  fingerprint: string;
  type: string;
  workflowId: string;
}

export type Claim =
  /** This delivery is the first of its id. */
  | { kind: 'claimed'; runId: string }
  /** An earlier delivery claimed the id (its receipt is running). */
  | { kind: 'seen'; runId: string; receipt: Partial<ReceiptContent> };

export interface Receipts {
  claim(requestId: string, content: ReceiptContent): Promise<Claim>;
  /** Frees the id again (its request started nothing); a receipt already closed is left as is. */
  void(requestId: string, runId: string, reason: string): Promise<void>;
}

export function temporalReceipts(
  client: Client,
  taskQueue: string,
  windowMs: number = DEFAULT_DEDUPE_WINDOW_MS,
): Receipts {
  return {
    async claim(requestId, content) {
      const workflowId = receiptWorkflowId(requestId);
      // A receipt voided or timed out between our start and our look is claimed again; a few rounds at most.
      for (let round = 0; round < 3; round++) {
        try {
          const handle = await client.workflow.start(RECEIPT_WORKFLOW_TYPE, {
            workflowId,
            taskQueue: receiptTaskQueue(taskQueue),
            memo: { ...content },
            workflowIdConflictPolicy: 'FAIL',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            startDelay: windowMs,
            workflowExecutionTimeout: windowMs,
          });
          return { kind: 'claimed', runId: handle.firstExecutionRunId };
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        let info;
        try {
          info = await client.workflow.getHandle(workflowId).describe();
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) continue;
          throw err;
        }
        if (info.status.name === 'RUNNING') {
          return { kind: 'seen', runId: info.runId, receipt: (info.memo ?? {}) as Partial<ReceiptContent> };
        }
      }
      throw new Error(`could not claim request id ${requestId}: its receipt keeps changing`);
    },

    async void(requestId, runId, reason) {
      try {
        await client.workflow.getHandle(receiptWorkflowId(requestId), runId).terminate(reason);
      } catch (err) {
        // Already voided (by a replica handling the same delivery) or timed out: nothing to free.
        if (err instanceof WorkflowNotFoundError) return;
        throw err;
      }
    },
  };
}
