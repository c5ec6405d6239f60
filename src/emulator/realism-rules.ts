// The realism switches' behaviour (see realism.ts), applied to a request after the store has settled and before its
// handler runs, so a refused request changes nothing. Which switches are on depends on the request's dialect.
import type { NamespaceSpec, ServiceAccountSpec } from '../ops-api/types';
import type { DialectName } from '../cloud-api';
import { checkedCaBundle } from './ca-bundles';
import { ApiError, invalid, notFound } from './errors';
import type { Realism, RealismSwitch } from './realism';
import type { OperationRequest } from './routes';
import { BASE64 } from './rules';
import { customRoleHolders, type Store } from './store';

const LAGGING = new Set(['getNamespace', 'updateNamespace', 'deleteNamespace']);
const NAMESPACE_SPECS = new Set(['createNamespace', 'updateNamespace']);
const MEMBER_CHANGES = new Set(['addUserGroupMember', 'removeUserGroupMember']);

export class RealismRules {
  /** Reads refused so far per namespace: the lag answers PERMISSION_DENIED and NOT_FOUND in turn. */
  readonly #lagged = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly realism: Realism,
  ) {}

  /**
   * Throws the answer the real service would give instead, if a switch that is on says so; or puts in the request
   * what the real service would keep of it (a re-encoded CA bundle).
   */
  check(operationId: string, request: OperationRequest, dialect: DialectName, now: number): void {
    const on = (name: RealismSwitch) => this.realism.on(name, dialect);
    if (LAGGING.has(operationId) && on('readAfterCreateLag')) this.#readAfterCreate(request, now);
    if (NAMESPACE_SPECS.has(operationId) && on('caBundleChecks')) caBundle(request);
    if (MEMBER_CHANGES.has(operationId) && on('identityProviderGroups')) this.#memberChange(request);
    if (operationId === 'deleteCustomRole' && on('customRoleInUse')) this.#roleInUse(request);
    if (operationId === 'createServiceAccount') {
      const spec = (request.body as { spec?: ServiceAccountSpec } | undefined)?.spec;
      // The given document has no namespace-scoped accounts: refused rather than silently dropped.
      if (dialect === 'openapi' && spec?.namespaceScopedAccess !== undefined) {
        throw invalid(
          'spec.namespaceScopedAccess',
          'is not part of the given document: namespace-scoped service accounts exist on the real API (/cloud)',
        );
      }
      if (on('serviceAccountRoleRule')) roleRule(spec);
    }
  }

  #memberChange(request: OperationRequest): void {
    const group = this.store.userGroups.get(request.params.groupId ?? '');
    if (!group || group.spec.groupType === 'cloud') return;
    const owner = group.spec.groupType === 'scim' ? 'SCIM' : 'Google';
    throw new ApiError(
      'failed_precondition',
      `user group '${group.id}' is a ${owner} group: its members are managed by the identity provider`,
    );
  }

  #roleInUse(request: OperationRequest): void {
    const roleId = request.params.roleId ?? '';
    const holders = this.store.customRoles.has(roleId) ? customRoleHolders(this.store, roleId) : [];
    if (holders.length === 0) return;
    throw new ApiError(
      'failed_precondition',
      `custom role '${roleId}' is still assigned (${holders.slice(0, 5).join(', ')}${holders.length > 5 ? ', …' : ''})`,
    );
  }

  #readAfterCreate(request: OperationRequest, now: number): void {
    const id = request.params.namespace ?? '';
    const fulfilledAt = this.store.namespaces.get(id)?.createFulfilledAt;
    if (fulfilledAt === undefined || now >= fulfilledAt + this.realism.params('readAfterCreateLag').lagMs)
      return;
    const refused = this.#lagged.get(id) ?? 0;
    this.#lagged.set(id, refused + 1);
    // As issue #391 quotes it: a Developer-role identity's read right after create.
    if (refused % 2 === 0) throw new ApiError('permission_denied', 'request unauthorized');
    throw notFound('namespace', id);
  }
}

/** An account-wide service account needs an account role; a namespace-scoped one needs none. */
function roleRule(spec: ServiceAccountSpec | undefined): void {
  if (spec?.namespaceScopedAccess !== undefined) return;
  const role = spec?.access?.accountAccess?.role;
  if (role !== undefined && role !== 'none') return;
  throw invalid(
    'spec.access.accountAccess.role',
    'is required: a service account needs an account role, or spec.namespaceScopedAccess for one namespace',
  );
}

/** A namespace spec's CA bundle, checked and re-encoded; one that is not base64 at all the handler refuses. */
function caBundle(request: OperationRequest): void {
  const mtls = (request.body as { spec?: NamespaceSpec } | undefined)?.spec?.mtlsAuth;
  if (!mtls || typeof mtls.acceptedClientCa !== 'string' || !BASE64.test(mtls.acceptedClientCa)) return;
  mtls.acceptedClientCa = checkedCaBundle(mtls.acceptedClientCa, 'spec.mtlsAuth.acceptedClientCa');
}
