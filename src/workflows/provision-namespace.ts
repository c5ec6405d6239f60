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
  type ProvisionNamespaceRequest,
} from '../shared/validation';
import {
  deleteResource,
  describeError,
  failureType,
  invalidInput,
  operationKey,
  toAsyncWaitOptions,
  unreadableResource,
  waitForOperation,
  waitUntilGone,
} from './common';
import { DecisionGate, DEFAULT_APPROVAL_TIMEOUT_MS, type DecisionStatus } from './approvals';

const { listRegions, getNamespace, serviceAccountCapabilities } = proxyActivities<Activities>(opsApiCall);
const { ensureNamespace, ensureServiceAccount, ensureApiKey } = proxyActivities<Activities>(opsApiPaging);

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
  /** Created by this run, but their create operation failed: nothing of them is left to roll back. */
  createFailed: string[];
  lastError?: string;
}

export interface ProvisionNamespaceResult {
  namespace: string;
  endpoints: NamespaceEndpoints;
  serviceAccountId?: string;
  /** `namespace`: the account reaches this namespace alone; `account`: an account-wide one with a role. */
  serviceAccountScope?: 'namespace' | 'account';
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
  const status: ProvisionStatus = {
    step: 'validating',
    created: {},
    adopted: {},
    rolledBack: [],
    createFailed: [],
  };
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
  const scope =
    checked.ok && checked.value.serviceAccount ? await accountScope(checked.value, problems) : undefined;
  if (!checked.ok || problems.length > 0) {
    status.step = 'failed';
    status.lastError = 'invalid input';
    throw invalidInput(problems);
  }
  const input = checked.value;
  // A create whose operation failed left nothing (or a failed resource) behind: the failure proves it.
  const created = async (id: string, wait: () => Promise<unknown>) => {
    try {
      await wait();
    } catch (err) {
      if (failureType(err) === FailureType.AsyncOperationFailed) status.createFailed.push(id);
      throw err;
    }
  };
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
      await created(ns.namespace, () =>
        waitForOperation(ns.asyncOperationId, { kind: 'namespace', id: ns.namespace, until: 'ready' }, wait),
      );
    }

    let serviceAccountId: string | undefined;
    if (input.serviceAccount) {
      status.step = 'creating-service-account';
      const { permission, accountRole } = input.serviceAccount;
      const sa = await ensureServiceAccount({
        name: input.serviceAccount.name ?? `${input.name}-sa`,
        ...(scope === 'namespace'
          ? { namespaceScopedAccess: { namespace: ns.namespace, access: { permission } } }
          : {
              access: {
                ...(accountRole ? { accountAccess: { role: accountRole } } : {}),
                namespaceAccesses: { [ns.namespace]: { permission } },
              },
            }),
        operationKey: operationKey('create-service-account'),
      });
      serviceAccountId = sa.serviceAccountId;
      status[sa.outcome === 'created' ? 'created' : 'adopted'].serviceAccountId = sa.serviceAccountId;
      status.step = 'waiting-for-service-account';
      const saOperation = sa.asyncOperationId;
      if (saOperation) {
        await created(sa.serviceAccountId, () =>
          waitForOperation(
            saOperation,
            { kind: 'serviceAccount', id: sa.serviceAccountId, until: 'ready' },
            wait,
          ),
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
      const keyOperation = key.asyncOperationId;
      if (keyOperation) {
        await created(key.keyId, () =>
          waitForOperation(keyOperation, { kind: 'apiKey', id: key.keyId, until: 'ready' }, wait),
        );
      }
      // Keys whose token was lost are being deleted; the account must end with exactly one.
      await waitUntilGone(key.replacedOrphans, wait);
    }

    const { endpoints } = await getNamespace(ns.namespace);
    status.step = 'completed';
    return {
      namespace: ns.namespace,
      endpoints,
      ...(serviceAccountId ? { serviceAccountId, serviceAccountScope: scope } : {}),
      ...(apiKeyId ? { apiKeyId, secretRef } : {}),
      created: status.created,
      adopted: status.adopted,
    };
  } catch (err) {
    const failedStep = status.step;
    status.lastError = describeError(err);
    const unreadable = unreadableResource(err)?.id;
    const rollbackFailures = input.keepOnFailure
      ? []
      : await rollBack(status, wait, namespaceOperation, unreadable);
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
        (kept
          ? ` Left in place: ${kept}${input.keepOnFailure ? ' (keepOnFailure)' : unreadable ? ' (it could not be read, so it was not taken for gone nor deleted)' : ''}.`
          : '') +
        (foreign ? ` Not created by this run, so left as found: ${foreign}.` : '') +
        (rollbackFailures.length ? ` Rollback errors: ${rollbackFailures.join('; ')}.` : ''),
      nonRetryable: true,
      details: [{ failedStep, created: status.created, rolledBack: status.rolledBack, rollbackFailures }],
      cause: err instanceof Error ? err : undefined,
    });
  }
}

/**
 * Deletes what this run created, newest first; each step waits until the resource is gone — proven by this run's
 * own delete, never by a NOT_FOUND alone (a resource just created answers so for a while). A resource the failure
 * itself found unreadable is left in place: it is not known to be deletable, and it is never rolled back for that.
 */
async function rollBack(
  status: ProvisionStatus,
  wait: ReturnType<typeof toAsyncWaitOptions>,
  namespaceOperation: string | undefined,
  unreadable: string | undefined,
): Promise<string[]> {
  status.step = 'rolling-back';
  const failures: string[] = [];
  const { apiKeyId, serviceAccountId, namespace } = status.created;
  // Compensation must finish even if the workflow itself is being cancelled.
  await CancellationScope.nonCancellable(async () => {
    const undo = async (kind: 'apiKey' | 'serviceAccount' | 'namespace', id: string, what: string) => {
      if (id === unreadable) return;
      try {
        await deleteResource({ kind, id }, operationKey(`rollback/delete-${what}`), {
          ...wait,
          createdByThisRun: true,
          // Its create operation failed: a NOT_FOUND is the truth, not a new resource's lag.
          createFailed: status.createFailed.includes(id),
        });
        status.rolledBack.push(id);
      } catch (err) {
        failures.push(`${kind} ${id}: ${describeError(err)}`);
      }
    };
    if (apiKeyId) await undo('apiKey', apiKeyId, 'api-key');
    if (serviceAccountId) await undo('serviceAccount', serviceAccountId, 'service-account');
    if (namespace) {
      // A namespace cannot be deleted while it is still activating; let the create settle either way.
      if (namespaceOperation)
        await waitForOperation(namespaceOperation, undefined, wait).catch(() => undefined);
      await undo('namespace', namespace, 'namespace');
    }
  });
  return failures;
}

/**
 * The service account's scope: as asked (a role alone asks for an account-wide one), else namespace-scoped where
 * the API has such accounts. Asking for one the API lacks is a problem of the input, found before any change.
 */
async function accountScope(
  input: ProvisionNamespaceRequest,
  problems: InputProblem[],
): Promise<'namespace' | 'account'> {
  const asked = input.serviceAccount?.scope ?? (input.serviceAccount?.accountRole ? 'account' : undefined);
  const { namespaceScoped } = await serviceAccountCapabilities();
  if (asked === 'namespace' && !namespaceScoped) {
    problems.push({
      field: 'serviceAccount.scope',
      message: 'this Ops API has no namespace-scoped service accounts: leave scope out or give scope account',
    });
  }
  return asked ?? (namespaceScoped ? 'namespace' : 'account');
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
