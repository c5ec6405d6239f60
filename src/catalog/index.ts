// The workflow catalog: one module per kind of workflow (README.md says how to add one). Starters, the intake, the
// events endpoint, the portal and the schedules read what they need to know about a workflow here.
import type { ApprovalPolicy, RequestFacts } from '../policy/policy';
import { rotateApiKeyWorkflowId } from '../shared/workflow-ids';
import { decommissionNamespaceId, decommissionNamespaceKind } from './decommission-namespace';
import { exportAccountId, exportAccountKind } from './export-account';
import { grantTemporaryAccessId, grantTemporaryAccessKind } from './grant-temporary-access';
import type { AnyKind } from './kind';
import { namespaceExistsKind } from './namespace-exists';
import { offboardUserId, offboardUserKind } from './offboard-user';
import { provisionNamespaceId, provisionNamespaceKind } from './provision-namespace';
import { reconcileId, reconcileKind, reconcilePlanId, reconcileScheduleId } from './reconcile';
import { rotateApiKeyKind } from './rotate-api-key';
import { rotateExpiringKeysId, rotateExpiringKeysKind } from './rotate-expiring-keys';
import { rotateNamespaceCaId, rotateNamespaceCaKind } from './rotate-namespace-ca';
import { updateNamespaceId, updateNamespaceKind } from './update-namespace';
import { listExpiringId, listExpiringKind, watchExpiryKind } from './watch-expiry';

export * from './kind';
export { decommissionNamespaceKind } from './decommission-namespace';
export { exportAccountKind } from './export-account';
export { grantTemporaryAccessKind } from './grant-temporary-access';
export { namespaceExistsKind } from './namespace-exists';
export { offboardUserKind } from './offboard-user';
export { NAMESPACE_FIELDS, provisionNamespaceKind } from './provision-namespace';
export { reconcileKind, scheduledReconcileId } from './reconcile';
export { ownerValue, rotateApiKeyKind } from './rotate-api-key';
export { KEY_ROTATION_SCHEDULE_ID, rotateExpiringKeysKind, scheduledSweepId } from './rotate-expiring-keys';
export { rotateNamespaceCaKind } from './rotate-namespace-ca';
export { updateNamespaceKind } from './update-namespace';
export {
  EXPIRY_WATCH_SCHEDULE_ID,
  listExpiringKind,
  scheduledWatchId,
  watchExpiryKind,
} from './watch-expiry';

/** Every kind, in the order people meet them. */
export const CATALOG = [
  provisionNamespaceKind,
  updateNamespaceKind,
  decommissionNamespaceKind,
  rotateApiKeyKind,
  rotateNamespaceCaKind,
  rotateExpiringKeysKind,
  watchExpiryKind,
  offboardUserKind,
  grantTemporaryAccessKind,
  reconcileKind,
  exportAccountKind,
  listExpiringKind,
  namespaceExistsKind,
] as const;

/** The kind of a workflow type; undefined for a type the catalog does not know (`constructor` included). */
export function kindOf(workflowType: string): AnyKind | undefined {
  return CATALOG.find((k) => k.workflowType === workflowType);
}

/** Each kind's business key from the key itself, for callers that hold a key rather than an input. */
export const workflowIds = {
  provisionNamespace: provisionNamespaceId,
  updateNamespace: updateNamespaceId,
  decommissionNamespace: decommissionNamespaceId,
  rotateApiKey: rotateApiKeyWorkflowId,
  rotateNamespaceCa: rotateNamespaceCaId,
  rotateExpiringKeys: rotateExpiringKeysId,
  offboardUser: offboardUserId,
  grantTemporaryAccess: grantTemporaryAccessId,
  reconcile: reconcileId,
  reconcilePlan: reconcilePlanId,
  reconcileSchedule: reconcileScheduleId,
  exportAccount: exportAccountId,
  listExpiring: listExpiringId,
};

type Requestable = Extract<(typeof CATALOG)[number], { request?: { type: string } }>;
/** The request types of signed events and portal forms (`namespace.requested`, …). */
export type RequestType = NonNullable<Requestable['request']>['type'];

/** A kind a request may start: it has a request type and a schema to check the request with. */
export type RequestKind = AnyKind & {
  request: { type: RequestType };
  schema: NonNullable<AnyKind['schema']>;
};

/** Request types, each with the kind it starts. */
export const REQUEST_KINDS = Object.fromEntries(
  CATALOG.flatMap((k) => (k.request && k.schema ? [[k.request.type, k]] : [])),
) as Record<RequestType, RequestKind>;
export const REQUEST_TYPES = Object.keys(REQUEST_KINDS) as RequestType[];
/** Workflow types a request can start. */
export const REQUEST_WORKFLOW_TYPES = new Set<string>(
  Object.values(REQUEST_KINDS).map((k) => k.workflowType),
);

/** The facts of a workflow's (already validated) input for the approval policy; undefined where it does not apply. */
export function requestFacts(
  policy: ApprovalPolicy,
  workflowType: string,
  input: Record<string, unknown>,
): RequestFacts | undefined {
  return kindOf(workflowType)?.approval?.facts(policy, input);
}
