// A rotation started from another workflow (the sweep, reconcile) as a rotateApiKey child under its owner's id.
import { ChildWorkflowFailure, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { OwnerType } from '../ops-api/types';
import type { RotateApiKeyInput } from '../shared/validation';
import { rotateApiKeyWorkflowId } from '../shared/workflow-ids';
import { rotateApiKey, type RotateApiKeyResult } from './rotate-api-key';

/**
 * Rotates one key of `owner` in a child under the owner's workflow id; undefined when a rotation of that owner is
 * already running (the caller looks again next time). A failed rotation throws its own cause.
 */
export async function rotateInChild(
  owner: { ownerType: OwnerType; ownerId: string },
  input: RotateApiKeyInput,
): Promise<RotateApiKeyResult | undefined> {
  try {
    const child = await startChild(rotateApiKey, {
      workflowId: rotateApiKeyWorkflowId(owner.ownerType, owner.ownerId),
      args: [input],
      // A started rotation is a unit of its own: it finishes (or undoes itself) even if the parent stops.
      parentClosePolicy: 'ABANDON',
    });
    return await child.result();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err instanceof ChildWorkflowFailure && err.cause ? err.cause : err;
  }
}
