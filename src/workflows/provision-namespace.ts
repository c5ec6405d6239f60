import { ApplicationFailure, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NamespaceEndpoints } from '../ops-api/types';
import { clientAddress } from '../ops-api/resources';
import { opsApiCall } from '../shared/activity-options';
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
  invalidInput,
  operationKey,
  toAsyncWaitOptions,
  unreadableResource,
  waitForOperation,
} from './common';
import { Compensation } from './compensation';
import {
  apiKeyReady,
  expiryInDays,
  namespaceReady,
  namespaceSpec,
  serviceAccountReady,
  type MadeHooks,
} from './resource-steps';
import { DecisionGate, DEFAULT_APPROVAL_TIMEOUT_MS, type DecisionStatus } from './approvals';
import { askReconciles, type ReconcilesAsked } from './reconcile-on-provision';

const { listRegions, getNamespace, serviceAccountCapabilities } = proxyActivities<Activities>(opsApiCall);

export type ProvisionStep =
  | 'validating'
  | 'awaiting-approval'
  | 'creating-namespace'
  | 'waiting-for-namespace'
  | 'creating-service-account'
  | 'waiting-for-service-account'
  | 'creating-api-key'
  | 'waiting-for-api-key'
  | 'requesting-reconcile'
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
  /** The desired states' reconcile schedules asked to grant access to the new namespace. */
  reconciles?: ReconcilesAsked;
  lastError?: string;
}

export interface ProvisionNamespaceResult {
  namespace: string;
  endpoints: NamespaceEndpoints;
  /** Where its clients connect: the API-key endpoint for a namespace that takes API keys (clientAddress). */
  readyAt: string;
  serviceAccountId?: string;
  /** `namespace`: the account reaches this namespace alone; `account`: an account-wide one with a role. */
  serviceAccountScope?: 'namespace' | 'account';
  apiKeyId?: string;
  /** Where the API key's token is; the token itself is never in a result. */
  secretRef?: string;
  created: ProvisionStatus['created'];
  adopted: ProvisionStatus['adopted'];
  /** The reconcile schedules whose desired state reaches the namespace, asked for a run now. */
  reconciles?: ReconcilesAsked;
}

export const provisionStatusQuery = defineQuery<ProvisionStatus>('status');

const LABELS = { namespace: 'namespace', serviceAccountId: 'service account', apiKeyId: 'API key' } as const;

/** One provisioning as it goes: what it was asked, what it shows, and how to undo what it made. */
interface Provisioning {
  input: ProvisionNamespaceRequest;
  scope: 'namespace' | 'account' | undefined;
  status: ProvisionStatus;
  wait: ReturnType<typeof toAsyncWaitOptions>;
  undo: Compensation;
  /** The resource the failure found unreadable: not known to be deletable, so never rolled back. */
  unreadable?: string;
}

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
  const { input, scope } = await validProvisioning(rawInput, status);
  const run: Provisioning = {
    input,
    scope,
    status,
    wait: toAsyncWaitOptions(input.wait),
    undo: new Compensation(),
  };
  await approvedOrFail(new DecisionGate(input.approval, status), status);

  try {
    const namespace = await makeNamespace(run);
    const serviceAccountId = input.serviceAccount ? await makeServiceAccount(run, namespace) : undefined;
    const key =
      input.apiKey && serviceAccountId ? await makeApiKey(run, namespace, serviceAccountId) : undefined;
    const ready = await getNamespace(namespace);
    // Made and kept: the desired states whose access reaches it (by name or pattern) grant it now.
    status.step = 'requesting-reconcile';
    const reconciles = await askReconciles(input.name);
    if (reconciles) status.reconciles = reconciles;
    status.step = 'completed';
    return {
      namespace,
      endpoints: ready.endpoints,
      readyAt: clientAddress(ready),
      ...(serviceAccountId ? { serviceAccountId, serviceAccountScope: scope } : {}),
      ...(key ? { apiKeyId: key.keyId, secretRef: key.secretRef } : {}),
      created: status.created,
      adopted: status.adopted,
      ...(reconciles ? { reconciles } : {}),
    };
  } catch (err) {
    throw await provisioningFailed(run, err);
  }
}

/** The input, checked whole (region and service-account scope against the API), or InvalidInput. */
async function validProvisioning(
  rawInput: ProvisionNamespaceInput,
  status: ProvisionStatus,
): Promise<{ input: ProvisionNamespaceRequest; scope: Provisioning['scope'] }> {
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
  return { input: checked.value, scope };
}

/**
 * Records what a step made (created or adopted) and moves to its wait; only what this run created gets an undo:
 * deleted again, waiting until it is gone — proven by this run's own delete, never by a NOT_FOUND alone.
 */
function recorded(
  run: Provisioning,
  field: keyof typeof LABELS,
  undo: {
    kind: 'apiKey' | 'serviceAccount' | 'namespace';
    what: string;
    first?: (op?: string) => Promise<unknown>;
  },
  waiting: ProvisionStep,
): MadeHooks {
  const { status } = run;
  return {
    made({ id, outcome, asyncOperationId }) {
      status[outcome][field] = id;
      if (outcome === 'created')
        run.undo.add(`${undo.kind} ${id}`, async () => {
          await undo.first?.(asyncOperationId);
          if (id === run.unreadable) return;
          await deleteResource({ kind: undo.kind, id }, operationKey(`rollback/delete-${undo.what}`), {
            ...run.wait,
            createdByThisRun: true,
            // Its create operation failed: a NOT_FOUND is the truth, not a new resource's lag.
            createFailed: status.createFailed.includes(id),
          });
          status.rolledBack.push(id);
        });
      status.step = waiting;
    },
    // A create whose operation failed left nothing (or a failed resource) behind: the failure proves it.
    createFailed: (id) => status.createFailed.push(id),
  };
}

async function makeNamespace(run: Provisioning): Promise<string> {
  const { input, wait } = run;
  run.status.step = 'creating-namespace';
  // A namespace cannot be deleted while it is still activating; the rollback lets its create settle either way.
  const settle = async (op?: string) => {
    if (op) await waitForOperation(op, undefined, wait).catch(() => undefined);
  };
  const ns = await namespaceReady(
    {
      // The key this run mints must be able to reach the namespace: API-key auth is off by default.
      spec: namespaceSpec(input, input.apiKey ? true : undefined),
      operationKey: operationKey('create-namespace'),
    },
    wait,
    recorded(
      run,
      'namespace',
      { kind: 'namespace', what: 'namespace', first: settle },
      'waiting-for-namespace',
    ),
  );
  return ns.namespace;
}

async function makeServiceAccount(run: Provisioning, namespace: string): Promise<string> {
  const { input, scope } = run;
  const { permission, accountRole } = input.serviceAccount!;
  run.status.step = 'creating-service-account';
  const sa = await serviceAccountReady(
    {
      name: input.serviceAccount!.name ?? `${input.name}-sa`,
      ...(scope === 'namespace'
        ? { namespaceScopedAccess: { namespace, access: { permission } } }
        : {
            access: {
              ...(accountRole ? { accountAccess: { role: accountRole } } : {}),
              namespaceAccesses: { [namespace]: { permission } },
            },
          }),
      operationKey: operationKey('create-service-account'),
    },
    run.wait,
    recorded(
      run,
      'serviceAccountId',
      { kind: 'serviceAccount', what: 'service-account' },
      'waiting-for-service-account',
    ),
  );
  return sa.serviceAccountId;
}

async function makeApiKey(
  run: Provisioning,
  namespace: string,
  serviceAccountId: string,
): Promise<{ keyId: string; secretRef: string }> {
  const { input } = run;
  run.status.step = 'creating-api-key';
  return apiKeyReady(
    {
      displayName: input.apiKey!.displayName ?? `${input.name}-key`,
      ownerId: serviceAccountId,
      ownerType: 'service-account',
      expiryTime: expiryInDays(input.apiKey!.expiryDays),
      operationKey: operationKey('create-api-key'),
      metadata: { namespace },
    },
    run.wait,
    recorded(run, 'apiKeyId', { kind: 'apiKey', what: 'api-key' }, 'waiting-for-api-key'),
  );
}

/**
 * The failure a failed provisioning reports, after rolling back (unless keepOnFailure) what this run created,
 * newest first. A resource the failure itself found unreadable is left in place: it is not known to be deletable,
 * and it is never rolled back for that.
 */
async function provisioningFailed(run: Provisioning, err: unknown): Promise<ApplicationFailure> {
  const { status, input } = run;
  const failedStep = status.step;
  status.lastError = describeError(err);
  run.unreadable = unreadableResource(err)?.id;
  let rollbackFailures: string[] = [];
  if (!input.keepOnFailure) {
    status.step = 'rolling-back';
    const failures = await run.undo.run();
    rollbackFailures = failures.map((f) => `${f.name}: ${describeError(f.error)}`);
  }
  status.step = 'failed';
  const named = (ids: ProvisionStatus['created'], keep: (id: string) => boolean) =>
    (Object.keys(LABELS) as Array<keyof typeof LABELS>)
      .filter((kind) => ids[kind] !== undefined && keep(ids[kind]!))
      .map((kind) => `${LABELS[kind]} ${ids[kind]}`)
      .join(', ');
  const rolledBack = named(status.created, (id) => status.rolledBack.includes(id));
  const kept = named(status.created, (id) => !status.rolledBack.includes(id));
  const foreign = named(status.adopted, () => true);
  const why = input.keepOnFailure
    ? ' (keepOnFailure)'
    : run.unreadable
      ? ' (it could not be read, so it was not taken for gone nor deleted)'
      : '';
  return ApplicationFailure.create({
    type: 'ProvisioningFailed',
    message:
      `provisioning ${input.name} failed while ${failedStep}: ${status.lastError}. ` +
      `Rolled back: ${rolledBack || 'nothing'}.` +
      (kept ? ` Left in place: ${kept}${why}.` : '') +
      (foreign ? ` Not created by this run, so left as found: ${foreign}.` : '') +
      (rollbackFailures.length ? ` Rollback errors: ${rollbackFailures.join('; ')}.` : ''),
    nonRetryable: true,
    details: [{ failedStep, created: status.created, rolledBack: status.rolledBack, rollbackFailures }],
    cause: err instanceof Error ? err : undefined,
  });
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
