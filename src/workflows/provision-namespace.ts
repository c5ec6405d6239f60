import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NamespaceEndpoints } from '../ops-api/types';
import { opsApiCall, opsApiPaging } from '../shared/activity-options';
import { FailureType } from '../shared/failure-types';
import {
  provisionNamespaceInput,
  validate,
  type InputProblem,
  type ProvisionNamespaceInput,
} from '../shared/validation';
import {
  describeError,
  invalidInput,
  operationKey,
  toAsyncWaitOptions,
  waitForOperation,
  waitUntilGone,
} from './common';
import { DecisionGate, DEFAULT_APPROVAL_TIMEOUT_MS, type DecisionStatus } from './approvals';

const { listRegions, getNamespace } = proxyActivities<Activities>(opsApiCall);
const {
  ensureNamespace,
  ensureServiceAccount,
  ensureApiKey,
  deleteApiKeyIfExists,
  deleteServiceAccountIfExists,
  deleteNamespaceIfExists,
} = proxyActivities<Activities>(opsApiPaging);

export type ProvisionStep =
  | 'validating'
  | 'awaiting-approval'
  | 'creating-namespace'
  | 'waiting-for-namespace'
  | 'creating-service-account'
  | 'waiting-for-service-account'
  | 'creating-api-key'
  | 'waiting-for-api-key'
  | 'rolling-back'
  | 'completed'
  | 'failed';

export interface ProvisionStatus extends DecisionStatus {
  step: ProvisionStep;
  /** What this run made (and would roll back). */
  created: { namespace?: string; serviceAccountId?: string; apiKeyId?: string };
  /** What already existed with the requested spec and was taken over as is. */
  adopted: { namespace?: string; serviceAccountId?: string; apiKeyId?: string };
  rolledBack: string[];
  lastError?: string;
}

export interface ProvisionNamespaceResult {
  namespace: string;
  endpoints: NamespaceEndpoints;
  serviceAccountId?: string;
  apiKeyId?: string;
  /** Where the API key's token is; the token itself is never in a result. */
  secretRef?: string;
  created: ProvisionStatus['created'];
  adopted: ProvisionStatus['adopted'];
}

export const provisionStatusQuery = defineQuery<ProvisionStatus>('status');

const DAY_MS = 24 * 60 * 60_000;
const LABELS = { namespace: 'namespace', serviceAccountId: 'service account', apiKeyId: 'API key' } as const;

/**
 * A namespace, optionally with a service account that can reach it and an API key for that account,
 * made exactly once. On failure, what this run created is removed again in reverse order unless the
 * input says keepOnFailure.
 */
export async function provisionNamespace(
  rawInput: ProvisionNamespaceInput,
): Promise<ProvisionNamespaceResult> {
  const status: ProvisionStatus = { step: 'validating', created: {}, adopted: {}, rolledBack: [] };
  setHandler(provisionStatusQuery, () => status);

  const checked = validate(provisionNamespaceInput, rawInput);
  const problems: InputProblem[] = checked.ok ? [] : [...checked.problems];
  if (typeof rawInput?.region === 'string' && rawInput.region !== '') {
    const { regions = [] } = await listRegions();
    if (!regions.some((r) => r.id === rawInput.region)) {
      problems.push({
        field: 'region',
        message: `unknown region "${rawInput.region}"; available: ${regions.map((r) => r.id).join(', ')}`,
      });
    }
  }
  if (!checked.ok || problems.length > 0) {
    status.step = 'failed';
    status.lastError = 'invalid input';
    throw invalidInput(problems);
  }
  const input = checked.value;
  const wait = toAsyncWaitOptions(input.wait);
  let namespaceOperation: string | undefined;
  await approvedOrFail(new DecisionGate(input.approval, status), status);

  try {
    status.step = 'creating-namespace';
    const ns = await ensureNamespace({
      spec: {
        name: input.name,
        region: input.region,
        retentionDays: input.retentionDays,
        ...(input.codecServer ? { codecServer: input.codecServer } : {}),
        ...(input.mtlsAuth ? { mtlsAuth: input.mtlsAuth } : {}),
        // The key this run mints must be able to reach the namespace: API-key auth is off by default.
        ...(input.apiKey ? { apiKeyAuth: { enabled: true } } : {}),
      },
      operationKey: operationKey('create-namespace'),
    });
    status[ns.outcome === 'created' ? 'created' : 'adopted'].namespace = ns.namespace;
    namespaceOperation = ns.asyncOperationId;

    status.step = 'waiting-for-namespace';
    if (ns.state !== 'active' || ns.outcome === 'created') {
      await waitForOperation(
        ns.asyncOperationId,
        { kind: 'namespace', id: ns.namespace, until: 'ready' },
        wait,
      );
    }

    let serviceAccountId: string | undefined;
    if (input.serviceAccount) {
      status.step = 'creating-service-account';
      const sa = await ensureServiceAccount({
        name: input.serviceAccount.name ?? `${input.name}-sa`,
        access: { namespaceAccesses: { [ns.namespace]: { permission: input.serviceAccount.permission } } },
        operationKey: operationKey('create-service-account'),
      });
      serviceAccountId = sa.serviceAccountId;
      status[sa.outcome === 'created' ? 'created' : 'adopted'].serviceAccountId = sa.serviceAccountId;
      status.step = 'waiting-for-service-account';
      if (sa.asyncOperationId) {
        await waitForOperation(
          sa.asyncOperationId,
          { kind: 'serviceAccount', id: sa.serviceAccountId, until: 'ready' },
          wait,
        );
      }
    }

    let apiKeyId: string | undefined;
    let secretRef: string | undefined;
    if (input.apiKey && serviceAccountId) {
      status.step = 'creating-api-key';
      const key = await ensureApiKey({
        displayName: input.apiKey.displayName ?? `${input.name}-key`,
        ownerId: serviceAccountId,
        ownerType: 'service-account',
        expiryTime: new Date(Date.now() + input.apiKey.expiryDays * DAY_MS).toISOString(),
        operationKey: operationKey('create-api-key'),
        metadata: { namespace: ns.namespace },
      });
      apiKeyId = key.keyId;
      secretRef = key.secretRef;
      status[key.outcome === 'created' ? 'created' : 'adopted'].apiKeyId = key.keyId;
      status.step = 'waiting-for-api-key';
      if (key.asyncOperationId) {
        await waitForOperation(key.asyncOperationId, { kind: 'apiKey', id: key.keyId, until: 'ready' }, wait);
      }
      // Keys whose token was lost are being deleted; the account must end with exactly one.
      await waitUntilGone(key.replacedOrphans, wait);
    }

    const { endpoints } = await getNamespace(ns.namespace);
    status.step = 'completed';
    return {
      namespace: ns.namespace,
      endpoints,
      ...(serviceAccountId ? { serviceAccountId } : {}),
      ...(apiKeyId ? { apiKeyId, secretRef } : {}),
      created: status.created,
      adopted: status.adopted,
    };
  } catch (err) {
    const failedStep = status.step;
    status.lastError = describeError(err);
    const rollbackFailures = input.keepOnFailure ? [] : await rollBack(status, wait, namespaceOperation);
    status.step = 'failed';
    const named = (ids: ProvisionStatus['created'], keep: (id: string) => boolean) =>
      (Object.keys(LABELS) as Array<keyof typeof LABELS>)
        .filter((kind) => ids[kind] !== undefined && keep(ids[kind]!))
        .map((kind) => `${LABELS[kind]} ${ids[kind]}`)
        .join(', ');
    const rolledBack = named(status.created, (id) => status.rolledBack.includes(id));
    const kept = named(status.created, (id) => !status.rolledBack.includes(id));
    const foreign = named(status.adopted, () => true);
    throw ApplicationFailure.create({
      type: 'ProvisioningFailed',
      message:
        `provisioning ${input.name} failed while ${failedStep}: ${status.lastError}. ` +
        `Rolled back: ${rolledBack || 'nothing'}.` +
        (kept ? ` Left in place: ${kept}${input.keepOnFailure ? ' (keepOnFailure)' : ''}.` : '') +
        (foreign ? ` Not created by this run, so left as found: ${foreign}.` : '') +
        (rollbackFailures.length ? ` Rollback errors: ${rollbackFailures.join('; ')}.` : ''),
      nonRetryable: true,
      details: [{ failedStep, created: status.created, rolledBack: status.rolledBack, rollbackFailures }],
      cause: err instanceof Error ? err : undefined,
    });
  }
}

/** Deletes what this run created, newest first; each step waits until the resource is gone. */
async function rollBack(
  status: ProvisionStatus,
  wait: ReturnType<typeof toAsyncWaitOptions>,
  namespaceOperation: string | undefined,
): Promise<string[]> {
  status.step = 'rolling-back';
  const failures: string[] = [];
  const { apiKeyId, serviceAccountId, namespace } = status.created;
  // Compensation must finish even if the workflow itself is being cancelled.
  await CancellationScope.nonCancellable(async () => {
    const undo = async (label: string, id: string, run: () => Promise<void>) => {
      try {
        await run();
        status.rolledBack.push(id);
      } catch (err) {
        failures.push(`${label} ${id}: ${describeError(err)}`);
      }
    };
    if (apiKeyId) {
      await undo('apiKey', apiKeyId, async () => {
        const res = await deleteApiKeyIfExists({
          keyId: apiKeyId,
          operationKey: operationKey('rollback/delete-api-key'),
          deleteSecret: true,
        });
        if (res.asyncOperationId)
          await waitForOperation(res.asyncOperationId, { kind: 'apiKey', id: apiKeyId, until: 'gone' }, wait);
      });
    }
    if (serviceAccountId) {
      await undo('serviceAccount', serviceAccountId, async () => {
        const res = await deleteServiceAccountIfExists({
          serviceAccountId,
          operationKey: operationKey('rollback/delete-service-account'),
        });
        if (res.asyncOperationId) {
          await waitForOperation(
            res.asyncOperationId,
            { kind: 'serviceAccount', id: serviceAccountId, until: 'gone' },
            wait,
          );
        }
      });
    }
    if (namespace) {
      await undo('namespace', namespace, async () => {
        // A namespace cannot be deleted while it is still activating; let the create settle either way.
        if (namespaceOperation)
          await waitForOperation(namespaceOperation, undefined, wait).catch(() => undefined);
        const res = await deleteNamespaceIfExists({
          namespace,
          operationKey: operationKey('rollback/delete-namespace'),
        });
        if (res.asyncOperationId)
          await waitForOperation(
            res.asyncOperationId,
            { kind: 'namespace', id: namespace, until: 'gone' },
            wait,
          );
      });
    }
  });
  return failures;
}

export { FailureType };

/** When the policy asks (e.g. a codec server that gets the user's access token), nothing is made before an approval. */
async function approvedOrFail(gate: DecisionGate, status: ProvisionStatus): Promise<void> {
  if (!gate.required()) return;
  status.step = 'awaiting-approval';
  const decided = (await gate.wait(DEFAULT_APPROVAL_TIMEOUT_MS))?.decision;
  if (decided?.decision === 'approved') return;
  status.step = 'failed';
  status.lastError = decided ? `rejected by ${decided.by}` : 'no approval in time';
  throw ApplicationFailure.create({
    type: decided ? 'ApprovalRejected' : 'ApprovalTimedOut',
    message: decided
      ? `rejected by ${decided.by}${decided.comment ? ` (${decided.comment})` : ''}: nothing was created`
      : `no approval within ${DEFAULT_APPROVAL_TIMEOUT_MS / 3_600_000}h: nothing was created`,
    nonRetryable: true,
  });
}
