import { v5 as uuidv5 } from 'uuid';

// Fixed namespace of this product's name-based UUIDs; changing it would orphan every key in flight.
const OPERATION_ID_NAMESPACE = '6f1c0d2e-5b7a-4c1e-9d3f-2a8b7c6d5e4f';

/**
 * The client-chosen `asyncOperationId` for an operation key (`<workflow id>/<run>/<step>`).
 * Deterministic, so every retry of a step sends the same id: the server answers a repeat with the
 * operation it already has, and an operation found under this id proves the step's change committed.
 * A UUID, because that is the one format every Ops API accepts for the field.
 */
export function asyncOperationIdFor(operationKey: string): string {
  if (!operationKey) throw new Error('an operation key is required');
  return uuidv5(operationKey, OPERATION_ID_NAMESPACE);
}
