import { createHash, randomBytes, randomInt } from 'node:crypto';
import type {
  Access,
  ApiKey,
  ApiKeyState,
  AsyncOperation,
  AsyncOperationResponse,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  CreateNamespaceRequest,
  CreateNamespaceResponse,
  CreateServiceAccountRequest,
  CreateServiceAccountResponse,
  CreateUserRequest,
  CreateUserResponse,
  Namespace,
  AnyOperationId,
  NamespacePermission,
  NamespaceSpec,
  NamespaceState,
  OperationId,
  OwnerType,
  ServiceAccount,
  ServiceAccountState,
  UpdateNamespaceRequest,
  User,
  UserState,
} from '../ops-api/types';
import { ApiError, invalid, notFound } from './errors';
import { formatProtoDuration } from './duration';
import type { UnmodelledLoss } from './realism';
import { lostFields, type UnmodelledSent } from './unmodelled-fields';
import { apiKeyGrpcAddress } from './regions';
import {
  checkAccess,
  checkCodecServer,
  checkEmail,
  checkExpiry,
  checkLength,
  checkMtlsAuth,
  checkNamespaceName,
  checkNamespaceScopedAccess,
  checkScopeKept,
  checkOwnerType,
  checkRegion,
  checkRetentionDays,
  requireString,
} from './rules';

type UserSpec = CreateUserRequest['spec'];
type ServiceAccountSpec = CreateServiceAccountRequest['spec'];
type ApiKeySpec = CreateApiKeyRequest['spec'];
/** What an API key record keeps: the create's fields, and whether updateApiKey disabled it. */
type StoredApiKeySpec = ApiKeySpec & { disabled?: boolean };
type Json = Record<string, unknown>;
export type ResourceKind = 'namespace' | 'user' | 'serviceAccount' | 'apiKey';

interface BaseRecord {
  id: string;
  /** Insertion order: the stable sort key of every list. */
  seq: number;
  resourceVersion: string;
  asyncOperationId?: string;
  createdAt: number;
  modifiedAt: number;
  /** The real API's spec fields the domain does not model (realism switch `unmodelledFields`), as sent. */
  unmodelled?: Json;
}
export interface NamespaceRecord extends BaseRecord {
  spec: NamespaceSpec;
  state: NamespaceState;
  /** When its create operation was fulfilled (seeded namespaces have none): the read-after-create lag starts. */
  createFulfilledAt?: number;
}
export interface UserRecord extends BaseRecord {
  spec: UserSpec;
  state: UserState;
}
export interface ServiceAccountRecord extends BaseRecord {
  spec: ServiceAccountSpec;
  state: ServiceAccountState;
}
export interface ApiKeyRecord extends BaseRecord {
  spec: StoredApiKeySpec;
  state: ApiKeyState;
  /** The token itself is never kept: only its sha256 (hex). */
  tokenSha256: string;
}
export interface OperationRecord {
  id: string;
  seq: number;
  operationType: AnyOperationId;
  target: { kind: ResourceKind; id: string };
  startedAt: number;
  finishAt: number;
  checkDurationMs: number;
  /** Decided when the operation starts (async-fail faults), revealed when it finishes. */
  outcome: 'fulfilled' | 'failed';
  failureReason?: string;
  settled: boolean;
  /** updateNamespace: the spec that becomes current only when the operation is fulfilled. */
  pendingSpec?: NamespaceSpec;
  /** updateUser / updateServiceAccount / set*NamespaceAccess: the principal's spec once fulfilled. */
  pendingPrincipalSpec?: UserSpec | ServiceAccountSpec;
  /** updateApiKey: the key's spec once fulfilled. */
  pendingApiKeySpec?: StoredApiKeySpec;
  /** A whole-spec update's unmodelled fields (replacing the old ones) once fulfilled. */
  pendingUnmodelled?: UnmodelledSent;
  /** Under a client-chosen id: what the request was, and the answer a repeat of it gets again. */
  replay?: { fingerprint: string; response: unknown };
}

export interface PersistedState {
  version: 1;
  accountId: string;
  seq: number;
  lastNow: number;
  namespaces: NamespaceRecord[];
  users: UserRecord[];
  serviceAccounts: ServiceAccountRecord[];
  apiKeys: ApiKeyRecord[];
  asyncOperations: OperationRecord[];
}

// The spec's User/ServiceAccount/ApiKey omit fields the emulator still reports on every resource.
type Tracked = { asyncOperationId?: string; createdTime: string; lastModifiedTime: string };
export type UserResource = User & Tracked;
export type ServiceAccountResource = ServiceAccount & Tracked;
export type ApiKeyResource = ApiKey & Tracked;

export interface EmulatorState {
  namespaces: Namespace[];
  users: UserResource[];
  serviceAccounts: ServiceAccountResource[];
  apiKeys: Array<ApiKeyResource & { tokenSha256: string }>;
  asyncOperations: AsyncOperation[];
}

export interface Timing {
  durationMs: number;
  checkDurationMs: number;
}

export interface MutationOptions {
  now: number;
  /** The client-chosen id for the operation this mutation starts (checked unused by `replay`). */
  asyncOperationId?: string;
  /** A delete's `resourceVersion`: when given, it must be the current one (409 otherwise). */
  resourceVersion?: string;
  /** The operation's type when one store function serves several operations. */
  operationType?: AnyOperationId;
  /** Asked only once the request is known to be valid, so an async-fail fault is spent only on a real mutation. */
  failReason?: () => string | undefined;
  /**
   * A /cloud request's spec fields beyond the domain's, when the `unmodelledFields` switch is on: a create
   * keeps them, a whole-spec update replaces the old ones with them (what it leaves out is lost). Absent: the
   * request does not speak of them (the /api/v1 routes), and nothing changes.
   */
  unmodelled?: UnmodelledSent;
}

const NAMESPACE_TRANSITIONAL: readonly NamespaceState[] = ['activating', 'updating', 'deleting'];
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const newId = (): string => randomBytes(16).toString('hex');
const newVersion = (): string => randomBytes(8).toString('hex');
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** Protobuf-JSON style timestamps: no fractional part when it is zero. */
export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export function newApiKeyToken(): string {
  let out = 'tmprl_';
  for (let i = 0; i < 40; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

function touch(record: BaseRecord, at: number): void {
  record.resourceVersion = newVersion();
  record.modifiedAt = at;
}

function checkVersion(record: BaseRecord, options: MutationOptions): void {
  if (options.resourceVersion !== undefined && options.resourceVersion !== record.resourceVersion) {
    throw new ApiError(
      'resource_version_mismatch',
      `resourceVersion '${options.resourceVersion}' is stale; the resource is at '${record.resourceVersion}'`,
      'resourceVersion',
    );
  }
}

/** A fulfilled whole-spec update's unmodelled fields become the record's: what it left out is gone. */
function applyUnmodelled(record: BaseRecord, sent: UnmodelledSent | undefined): void {
  if (!sent) return;
  if (sent.fields) record.unmodelled = structuredClone(sent.fields);
  else delete record.unmodelled;
}

/** The access a principal's spec keeps: account-wide `access`, or a service account's namespace-scoped one. */
function accessOf(spec: {
  access?: Access;
  namespaceScopedAccess?: ServiceAccountSpec['namespaceScopedAccess'];
}) {
  return {
    ...(spec.access ? { access: structuredClone(spec.access) } : {}),
    ...(spec.namespaceScopedAccess
      ? { namespaceScopedAccess: structuredClone(spec.namespaceScopedAccess) }
      : {}),
  };
}

function failedPrecondition(what: string, id: string, state: string): ApiError {
  return new ApiError('failed_precondition', `${what} '${id}' is ${state}; wait for its operation to finish`);
}

/**
 * All emulator state and every state transition. Synchronous on purpose: a request validates and
 * mutates within one tick, so concurrent requests can never interleave half-applied changes.
 */
export class Store {
  readonly namespaces = new Map<string, NamespaceRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly serviceAccounts = new Map<string, ServiceAccountRecord>();
  readonly apiKeys = new Map<string, ApiKeyRecord>();
  readonly operations = new Map<string, OperationRecord>();
  private seq = 0;
  private lastNow = 0;
  /** Told of every unmodelled field a whole-spec update leaves out (the realism switch reports them). */
  onUnmodelledLoss: (loss: UnmodelledLoss) => void = () => undefined;

  constructor(
    readonly accountId: string,
    private readonly timing: (operationType: AnyOperationId) => Timing,
  ) {}

  /** Time never runs backwards inside the emulator, whatever the injected clock does. */
  advanceTo(now: number): number {
    this.lastNow = Math.max(this.lastNow, now);
    return this.lastNow;
  }

  get now(): number {
    return this.lastNow;
  }

  /** Completes, in finish order, every operation whose finish time has come. */
  settle(now: number): void {
    const t = this.advanceTo(now);
    const due = [...this.operations.values()]
      .filter((op) => !op.settled && op.finishAt <= t)
      .sort((a, b) => a.finishAt - b.finishAt || a.seq - b.seq);
    for (const op of due) this.complete(op);
  }

  private complete(op: OperationRecord): void {
    op.settled = true;
    const ok = op.outcome === 'fulfilled';
    const at = op.finishAt;
    const { id } = op.target;
    switch (op.operationType) {
      case 'createNamespace':
      case 'updateNamespace':
      case 'deleteNamespace': {
        const ns = this.namespaces.get(id);
        if (!ns) return;
        if (op.operationType === 'deleteNamespace' && ok) {
          this.namespaces.delete(id);
          return;
        }
        touch(ns, at);
        if (op.operationType === 'createNamespace') {
          ns.state = ok ? 'active' : 'activation_failed';
          if (ok) ns.createFulfilledAt = at;
        } else if (op.operationType === 'deleteNamespace') ns.state = 'delete_failed';
        else {
          if (ok && op.pendingSpec) ns.spec = op.pendingSpec;
          if (ok) applyUnmodelled(ns, op.pendingUnmodelled);
          ns.state = ok ? 'active' : 'update_failed';
        }
        return;
      }
      case 'createUser':
      case 'createServiceAccount':
      case 'createApiKey': {
        const map = this.mapFor(op.target.kind);
        const record = map.get(id);
        if (!record) return;
        // These resources have no "failed" state: a failed create leaves nothing behind.
        if (!ok) {
          this.removeResource(op.target.kind, id);
          return;
        }
        touch(record, at);
        record.state = 'active';
        return;
      }
      case 'deleteUser':
      case 'deleteServiceAccount':
      case 'deleteApiKey': {
        const record = this.mapFor(op.target.kind).get(id);
        if (!record) return;
        if (ok) {
          this.removeResource(op.target.kind, id);
          return;
        }
        touch(record, at);
        record.state = 'active';
        return;
      }
      case 'updateUser':
      case 'updateServiceAccount':
      case 'setUserNamespaceAccess':
      case 'setServiceAccountNamespaceAccess': {
        // A principal has no "updating" state: it stays usable and changes when the operation is fulfilled.
        const record = (op.target.kind === 'user' ? this.users : this.serviceAccounts).get(id);
        if (!record || !ok || !op.pendingPrincipalSpec) return;
        record.spec = op.pendingPrincipalSpec as never;
        applyUnmodelled(record, op.pendingUnmodelled);
        touch(record, at);
        return;
      }
      case 'updateApiKey': {
        // Like a principal, a key has no "updating" state: a disable takes effect when it is fulfilled.
        const record = this.apiKeys.get(id);
        if (!record || !ok || !op.pendingApiKeySpec) return;
        record.spec = op.pendingApiKeySpec;
        applyUnmodelled(record, op.pendingUnmodelled);
        touch(record, at);
        return;
      }
      default:
        return;
    }
  }

  private mapFor(kind: ResourceKind): Map<string, { state: string } & BaseRecord> {
    switch (kind) {
      case 'namespace':
        return this.namespaces;
      case 'user':
        return this.users;
      case 'serviceAccount':
        return this.serviceAccounts;
      case 'apiKey':
        return this.apiKeys;
    }
  }

  /** Removing an owner removes its API keys too, as deleting a user or service account does in Cloud. */
  private removeResource(kind: ResourceKind, id: string): void {
    this.mapFor(kind).delete(id);
    if (kind === 'user' || kind === 'serviceAccount') {
      const ownerType: OwnerType = kind === 'user' ? 'user' : 'service-account';
      for (const key of [...this.apiKeys.values()]) {
        if (key.spec.ownerId === id && key.spec.ownerType === ownerType) this.apiKeys.delete(key.id);
      }
    }
  }

  private startOperation(
    operationType: AnyOperationId,
    target: OperationRecord['target'],
    options: MutationOptions,
    pendingSpec?: NamespaceSpec,
  ): OperationRecord {
    const { durationMs, checkDurationMs } = this.timing(operationType);
    const failureReason = options.failReason?.();
    const op: OperationRecord = {
      id: options.asyncOperationId ?? newId(),
      seq: ++this.seq,
      operationType,
      target,
      startedAt: options.now,
      finishAt: options.now + Math.max(0, durationMs),
      checkDurationMs,
      outcome: failureReason === undefined ? 'fulfilled' : 'failed',
      settled: false,
      ...(failureReason === undefined ? {} : { failureReason }),
      ...(pendingSpec ? { pendingSpec } : {}),
    };
    this.operations.set(op.id, op);
    return op;
  }

  /** A create (or seed) keeps the unmodelled fields it was sent. */
  private keepUnmodelled(record: BaseRecord, sent: UnmodelledSent | undefined): void {
    if (sent?.fields) record.unmodelled = structuredClone(sent.fields);
  }

  /** A whole-spec update replaces the unmodelled fields once fulfilled; each one it leaves out is reported now. */
  private replaceUnmodelled(
    kind: UnmodelledLoss['kind'],
    record: BaseRecord,
    op: OperationRecord,
    options: MutationOptions,
  ): void {
    if (!options.unmodelled) return;
    op.pendingUnmodelled = options.unmodelled;
    for (const field of lostFields(record.unmodelled, options.unmodelled.fields)) {
      const loss = { kind, id: record.id, operationId: op.operationType, field: `spec.${field}` };
      this.onUnmodelledLoss({ ...loss, time: options.now });
    }
  }

  // ---------------------------------------------------------------- namespaces

  private namespaceId(name: string): string {
    return `${name}.${this.accountId}`;
  }

  private validateNamespaceSpec(spec: NamespaceSpec): NamespaceSpec {
    const name = requireString(spec.name, 'spec.name');
    checkNamespaceName(name);
    const region = requireString(spec.region, 'spec.region');
    checkRegion(region);
    checkRetentionDays(spec.retentionDays);
    if (spec.codecServer) checkCodecServer(spec.codecServer);
    if (spec.mtlsAuth) checkMtlsAuth(spec.mtlsAuth);
    if (this.namespaces.has(this.namespaceId(name))) {
      throw new ApiError('already_exists', `namespace '${name}' already exists`, 'spec.name');
    }
    // Copy only the known fields: the given spec tolerates extras, the store must not keep them.
    return {
      name,
      region,
      retentionDays: spec.retentionDays,
      ...(spec.codecServer ? { codecServer: structuredClone(spec.codecServer) } : {}),
      ...(spec.mtlsAuth ? { mtlsAuth: structuredClone(spec.mtlsAuth) } : {}),
      ...(spec.apiKeyAuth ? { apiKeyAuth: { enabled: spec.apiKeyAuth.enabled === true } } : {}),
    };
  }

  /** Stores a new record with the bookkeeping every resource shares (order, version, timestamps). */
  private insert<R extends BaseRecord>(
    map: Map<string, R>,
    fields: Omit<R, 'seq' | 'resourceVersion' | 'createdAt' | 'modifiedAt'>,
    now: number,
  ): R {
    const record = {
      ...fields,
      seq: ++this.seq,
      resourceVersion: newVersion(),
      createdAt: now,
      modifiedAt: now,
    } as R;
    map.set(record.id, record);
    return record;
  }

  private existing<R>(map: Map<string, R>, what: string, id: string): R {
    const record = map.get(id);
    if (!record) throw notFound(what, id);
    return record;
  }

  private addNamespace(spec: NamespaceSpec, now: number, state: NamespaceState): NamespaceRecord {
    return this.insert(this.namespaces, { id: this.namespaceId(spec.name), spec, state }, now);
  }

  createNamespace(body: CreateNamespaceRequest, options: MutationOptions): CreateNamespaceResponse {
    const spec = this.validateNamespaceSpec(body.spec);
    const record = this.addNamespace(spec, options.now, 'activating');
    this.keepUnmodelled(record, options.unmodelled);
    const op = this.startOperation('createNamespace', { kind: 'namespace', id: record.id }, options);
    record.asyncOperationId = op.id;
    return { namespace: record.id, asyncOperationId: op.id };
  }

  seedNamespace(spec: NamespaceSpec, now: number, unmodelled?: Json): string {
    const record = this.addNamespace(this.validateNamespaceSpec(spec), now, 'active');
    this.keepUnmodelled(record, { ...(unmodelled ? { fields: unmodelled } : {}) });
    return record.id;
  }

  getNamespaceRecord(id: string): NamespaceRecord {
    return this.existing(this.namespaces, 'namespace', id);
  }

  updateNamespace(
    id: string,
    body: UpdateNamespaceRequest,
    options: MutationOptions,
  ): AsyncOperationResponse {
    const update = body.spec;
    // Request-only checks first: a malformed request is a 400 whatever the namespace's state.
    if (update.retentionDays !== undefined) checkRetentionDays(update.retentionDays);
    if (update.codecServer) checkCodecServer(update.codecServer);
    if (update.mtlsAuth) checkMtlsAuth(update.mtlsAuth);
    const ns = this.getNamespaceRecord(id);
    if (update.name !== undefined && update.name !== ns.spec.name) throw invalid('spec.name', 'is immutable');
    if (update.region !== undefined && update.region !== ns.spec.region) {
      throw invalid('spec.region', 'is immutable');
    }
    if (NAMESPACE_TRANSITIONAL.includes(ns.state) || ns.state === 'activation_failed') {
      throw failedPrecondition('namespace', id, ns.state);
    }
    if (body.resourceVersion !== ns.resourceVersion) {
      throw new ApiError(
        'resource_version_mismatch',
        `resourceVersion '${body.resourceVersion}' is stale; the namespace is at '${ns.resourceVersion}'`,
        'resourceVersion',
      );
    }
    const next: NamespaceSpec = structuredClone(ns.spec);
    if (update.retentionDays !== undefined) next.retentionDays = update.retentionDays;
    if (update.codecServer === null) delete next.codecServer;
    else if (update.codecServer) next.codecServer = structuredClone(update.codecServer);
    if (update.mtlsAuth === null) delete next.mtlsAuth;
    else if (update.mtlsAuth) next.mtlsAuth = structuredClone(update.mtlsAuth);
    if (update.apiKeyAuth === null) delete next.apiKeyAuth;
    else if (update.apiKeyAuth) next.apiKeyAuth = { enabled: update.apiKeyAuth.enabled === true };
    const op = this.startOperation('updateNamespace', { kind: 'namespace', id }, options, next);
    this.replaceUnmodelled('namespace', ns, op, options);
    ns.state = 'updating';
    ns.asyncOperationId = op.id;
    touch(ns, options.now);
    return { asyncOperationId: op.id };
  }

  deleteNamespace(id: string, options: MutationOptions): AsyncOperationResponse {
    const ns = this.getNamespaceRecord(id);
    if (ns.state === 'deleting' && ns.asyncOperationId) return { asyncOperationId: ns.asyncOperationId };
    if (NAMESPACE_TRANSITIONAL.includes(ns.state)) throw failedPrecondition('namespace', id, ns.state);
    checkVersion(ns, options);
    const op = this.startOperation('deleteNamespace', { kind: 'namespace', id }, options);
    ns.state = 'deleting';
    ns.asyncOperationId = op.id;
    touch(ns, options.now);
    return { asyncOperationId: op.id };
  }

  renderNamespace(r: NamespaceRecord): Namespace {
    return {
      namespace: r.id,
      resourceVersion: r.resourceVersion,
      spec: structuredClone(r.spec),
      state: r.state,
      ...(r.asyncOperationId ? { asyncOperationId: r.asyncOperationId } : {}),
      endpoints: {
        webAddress: `https://cloud.temporal.io/namespaces/${r.id}`,
        grpcAddress: `${r.id}.tmprl.cloud:7233`,
        mtlsGrpcAddress: `${r.id}.tmprl.cloud:7233`,
        apiKeyGrpcAddress: apiKeyGrpcAddress(r.spec.region),
      },
      createdTime: iso(r.createdAt),
      lastModifiedTime: iso(r.modifiedAt),
    };
  }

  // ---------------------------------------------------------------- users

  private validateUserSpec(spec: UserSpec): UserSpec {
    const email = requireString(spec.email, 'spec.email');
    checkEmail(email);
    checkAccess(spec.access, (id) => this.namespaces.has(id));
    const lower = email.toLowerCase();
    for (const user of this.users.values()) {
      if (user.spec.email.toLowerCase() === lower) {
        throw new ApiError('already_exists', `a user with email '${email}' already exists`, 'spec.email');
      }
    }
    return { email, ...(spec.access ? { access: structuredClone(spec.access) as Access } : {}) };
  }

  private addUser(spec: UserSpec, now: number, state: UserState): UserRecord {
    return this.insert(this.users, { id: newId(), spec, state }, now);
  }

  createUser(body: CreateUserRequest, options: MutationOptions): CreateUserResponse {
    const record = this.addUser(this.validateUserSpec(body.spec), options.now, 'pending');
    this.keepUnmodelled(record, options.unmodelled);
    const op = this.startOperation('createUser', { kind: 'user', id: record.id }, options);
    record.asyncOperationId = op.id;
    return { userId: record.id, asyncOperationId: op.id };
  }

  seedUser(spec: UserSpec, now: number, unmodelled?: Json): string {
    const record = this.addUser(this.validateUserSpec(spec), now, 'active');
    this.keepUnmodelled(record, { ...(unmodelled ? { fields: unmodelled } : {}) });
    return record.id;
  }

  getUserRecord(id: string): UserRecord {
    return this.existing(this.users, 'user', id);
  }

  deleteUser(id: string, options: MutationOptions): AsyncOperationResponse {
    return this.deleteSimple('user', 'deleteUser', this.getUserRecord(id), options, ['pending']);
  }

  renderUser(r: UserRecord): UserResource {
    return {
      id: r.id,
      resourceVersion: r.resourceVersion,
      spec: structuredClone(r.spec),
      state: r.state,
      ...(r.asyncOperationId ? { asyncOperationId: r.asyncOperationId } : {}),
      createdTime: iso(r.createdAt),
      lastModifiedTime: iso(r.modifiedAt),
    };
  }

  // ---------------------------------------------------------------- service accounts

  private validateServiceAccountSpec(spec: ServiceAccountSpec): ServiceAccountSpec {
    const name = requireString(spec.name, 'spec.name');
    checkLength(name, 1, 64, 'spec.name');
    checkAccess(spec.access, (id) => this.namespaces.has(id));
    checkNamespaceScopedAccess(spec, (id) => this.namespaces.has(id));
    for (const sa of this.serviceAccounts.values()) {
      if (sa.spec.name === name) {
        throw new ApiError('already_exists', `service account '${name}' already exists`, 'spec.name');
      }
    }
    return { name, ...accessOf(spec) };
  }

  private addServiceAccount(
    spec: ServiceAccountSpec,
    now: number,
    state: ServiceAccountState,
  ): ServiceAccountRecord {
    return this.insert(this.serviceAccounts, { id: newId(), spec, state }, now);
  }

  createServiceAccount(
    body: CreateServiceAccountRequest,
    options: MutationOptions,
  ): CreateServiceAccountResponse {
    const record = this.addServiceAccount(
      this.validateServiceAccountSpec(body.spec),
      options.now,
      'activating',
    );
    this.keepUnmodelled(record, options.unmodelled);
    const op = this.startOperation(
      'createServiceAccount',
      { kind: 'serviceAccount', id: record.id },
      options,
    );
    record.asyncOperationId = op.id;
    return { serviceAccountId: record.id, asyncOperationId: op.id };
  }

  seedServiceAccount(spec: ServiceAccountSpec, now: number, unmodelled?: Json): string {
    const record = this.addServiceAccount(this.validateServiceAccountSpec(spec), now, 'active');
    this.keepUnmodelled(record, { ...(unmodelled ? { fields: unmodelled } : {}) });
    return record.id;
  }

  getServiceAccountRecord(id: string): ServiceAccountRecord {
    return this.existing(this.serviceAccounts, 'service account', id);
  }

  deleteServiceAccount(id: string, options: MutationOptions): AsyncOperationResponse {
    const record = this.getServiceAccountRecord(id);
    return this.deleteSimple('serviceAccount', 'deleteServiceAccount', record, options, ['activating']);
  }

  renderServiceAccount(r: ServiceAccountRecord): ServiceAccountResource {
    return {
      id: r.id,
      resourceVersion: r.resourceVersion,
      spec: structuredClone(r.spec),
      state: r.state,
      ...(r.asyncOperationId ? { asyncOperationId: r.asyncOperationId } : {}),
      createdTime: iso(r.createdAt),
      lastModifiedTime: iso(r.modifiedAt),
    };
  }

  // ---------------------------------------------------------------- API keys

  private validateApiKeySpec(spec: ApiKeySpec, now: number): ApiKeySpec {
    const displayName = requireString(spec.displayName, 'spec.displayName');
    checkLength(displayName, 1, 128, 'spec.displayName');
    const ownerType = requireString(spec.ownerType, 'spec.ownerType');
    checkOwnerType(ownerType);
    const ownerId = requireString(spec.ownerId, 'spec.ownerId');
    const expiryTime = requireString(spec.expiryTime, 'spec.expiryTime');
    const expiresAt = checkExpiry(expiryTime, now);
    const owner = ownerType === 'user' ? this.users.get(ownerId) : this.serviceAccounts.get(ownerId);
    // An unknown owner is a bad argument of this request, not a missing resource at this URL.
    if (!owner || owner.state === 'deleting') {
      throw invalid('spec.ownerId', `no ${ownerType} '${ownerId}' exists`);
    }
    return { displayName, ownerId, ownerType, expiryTime: iso(expiresAt) };
  }

  private addApiKey(
    spec: ApiKeySpec,
    now: number,
    state: ApiKeyState,
  ): { record: ApiKeyRecord; token: string } {
    const token = newApiKeyToken();
    const record = this.insert(this.apiKeys, { id: newId(), spec, state, tokenSha256: sha256(token) }, now);
    return { record, token };
  }

  createApiKey(body: CreateApiKeyRequest, options: MutationOptions): CreateApiKeyResponse {
    const spec = this.validateApiKeySpec(body.spec, options.now);
    const { record, token } = this.addApiKey(spec, options.now, 'activating');
    this.keepUnmodelled(record, options.unmodelled);
    const op = this.startOperation('createApiKey', { kind: 'apiKey', id: record.id }, options);
    record.asyncOperationId = op.id;
    return { keyId: record.id, token, asyncOperationId: op.id };
  }

  seedApiKey(spec: ApiKeySpec, now: number, unmodelled?: Json): { keyId: string; token: string } {
    const { record, token } = this.addApiKey(this.validateApiKeySpec(spec, now), now, 'active');
    this.keepUnmodelled(record, { ...(unmodelled ? { fields: unmodelled } : {}) });
    return { keyId: record.id, token };
  }

  getApiKeyRecord(id: string): ApiKeyRecord {
    return this.existing(this.apiKeys, 'API key', id);
  }

  deleteApiKey(id: string, options: MutationOptions): AsyncOperationResponse {
    return this.deleteSimple('apiKey', 'deleteApiKey', this.getApiKeyRecord(id), options, ['activating']);
  }

  /** updateApiKey (the real API only): the whole spec; the owner cannot change, a key can be disabled. */
  updateApiKey(
    id: string,
    body: { resourceVersion: string; spec: StoredApiKeySpec },
    options: MutationOptions,
  ): AsyncOperationResponse {
    const record = this.getApiKeyRecord(id);
    const { spec } = body;
    for (const field of ['ownerId', 'ownerType'] as const) {
      if (spec[field] !== record.spec[field]) {
        throw invalid(`spec.${field}`, `is immutable (it is '${record.spec[field]}')`);
      }
    }
    const displayName = requireString(spec.displayName, 'spec.displayName');
    checkLength(displayName, 1, 128, 'spec.displayName');
    const expiryTime = requireString(spec.expiryTime, 'spec.expiryTime');
    // An unchanged expiry is no new promise: only a changed one must lie within the limits.
    const expiry =
      expiryTime === record.spec.expiryTime ? expiryTime : iso(checkExpiry(expiryTime, options.now));
    if (record.state !== 'active') throw failedPrecondition('API key', id, record.state);
    checkVersion(record, { ...options, resourceVersion: body.resourceVersion });
    const op = this.startOperation('updateApiKey', { kind: 'apiKey', id }, options);
    const { disabled: _was, ...kept } = record.spec;
    op.pendingApiKeySpec = {
      ...kept,
      displayName,
      expiryTime: expiry,
      ...(spec.disabled === true ? { disabled: true } : {}),
    };
    this.replaceUnmodelled('apiKey', record, op, options);
    record.asyncOperationId = op.id;
    touch(record, options.now);
    return { asyncOperationId: op.id };
  }

  renderApiKey(r: ApiKeyRecord): ApiKeyResource {
    return {
      id: r.id,
      resourceVersion: r.resourceVersion,
      spec: { ...r.spec },
      state: r.state,
      ...(r.asyncOperationId ? { asyncOperationId: r.asyncOperationId } : {}),
      createdTime: iso(r.createdAt),
      lastModifiedTime: iso(r.modifiedAt),
    };
  }

  // ---------------------------------------------------------------- shared

  private deleteSimple(
    kind: ResourceKind,
    operationType: OperationId,
    record: BaseRecord & { state: string },
    options: MutationOptions,
    busy: readonly string[],
  ): AsyncOperationResponse {
    // Repeating a delete is idempotent: the caller gets the operation already in flight.
    if (record.state === 'deleting' && record.asyncOperationId)
      return { asyncOperationId: record.asyncOperationId };
    if (busy.includes(record.state)) throw failedPrecondition(kind, record.id, record.state);
    checkVersion(record, options);
    const op = this.startOperation(operationType, { kind, id: record.id }, options);
    record.state = 'deleting';
    record.asyncOperationId = op.id;
    touch(record, options.now);
    return { asyncOperationId: op.id };
  }

  /**
   * A mutation repeated under a client-chosen id it already used: the first answer again (without a
   * token: createApiKey shows it once), nothing changed. The same id for a different request is a 400.
   * Undefined when the id is new.
   */
  replay(asyncOperationId: string, fingerprint: string, reuse: 'replay' | 'refuse' = 'replay'): unknown {
    const op = this.operations.get(asyncOperationId);
    if (!op) return undefined;
    if (reuse === 'refuse') {
      throw new ApiError(
        'already_exists',
        `async operation '${asyncOperationId}' already exists`,
        'asyncOperationId',
      );
    }
    if (op.replay?.fingerprint !== fingerprint) {
      throw invalid(
        'asyncOperationId',
        `'${asyncOperationId}' was already used by a different request (${op.operationType})`,
      );
    }
    return structuredClone(op.replay.response);
  }

  /** Remembers the answer of a mutation that started an operation under a client-chosen id. */
  remember(asyncOperationId: string, fingerprint: string, response: unknown): void {
    const op = this.operations.get(asyncOperationId);
    if (!op || op.replay) return;
    const { token: _secret, ...rest } = response as Record<string, unknown>;
    op.replay = { fingerprint, response: rest };
  }

  // ---------------------------------------------------------------- changing principals (the real API only)

  /** updateUser / updateServiceAccount: the whole spec replaces the old one; the name or email stays. */
  updatePrincipal(
    kind: 'user' | 'serviceAccount',
    id: string,
    body: { resourceVersion: string; spec: UserSpec | ServiceAccountSpec },
    options: MutationOptions,
  ): AsyncOperationResponse {
    const record = kind === 'user' ? this.getUserRecord(id) : this.getServiceAccountRecord(id);
    const key = kind === 'user' ? 'email' : 'name';
    const was = (record.spec as unknown as Record<string, string>)[key]!;
    const now = (body.spec as Record<string, unknown>)[key];
    if (typeof now !== 'string' || now.toLowerCase() !== was.toLowerCase()) {
      throw invalid(`spec.${key}`, `is immutable (it is '${was}')`);
    }
    checkAccess(body.spec.access, (ns) => this.namespaces.has(ns));
    if (kind === 'serviceAccount')
      checkScopeKept(record.spec as ServiceAccountSpec, body.spec as ServiceAccountSpec);
    const spec = { [key]: was, ...accessOf(body.spec) };
    return this.changePrincipal(kind, record, spec as UserSpec, body.resourceVersion, options);
  }

  /** set*NamespaceAccess: one namespace's permission, the others untouched. */
  setNamespaceAccess(
    kind: 'user' | 'serviceAccount',
    id: string,
    body: { namespace: string; access: { permission: NamespacePermission }; resourceVersion: string },
    options: MutationOptions,
  ): AsyncOperationResponse {
    const record = kind === 'user' ? this.getUserRecord(id) : this.getServiceAccountRecord(id);
    if (!this.namespaces.has(body.namespace)) throw notFound('namespace', body.namespace);
    const scoped = (record.spec as ServiceAccountSpec).namespaceScopedAccess;
    if (scoped) {
      // Its one namespace's permission may change; it can reach no other.
      if (scoped.namespace !== body.namespace) {
        throw invalid(
          'namespace',
          `service account '${id}' is scoped to namespace '${scoped.namespace}' only`,
        );
      }
      const spec: ServiceAccountSpec = {
        ...(structuredClone(record.spec) as ServiceAccountSpec),
        namespaceScopedAccess: { ...scoped, access: { ...body.access } },
      };
      return this.changePrincipal(kind, record, spec, body.resourceVersion, options);
    }
    const spec = structuredClone(record.spec) as UserSpec;
    spec.access = {
      ...spec.access,
      namespaceAccesses: { ...spec.access?.namespaceAccesses, [body.namespace]: { ...body.access } },
    };
    return this.changePrincipal(kind, record, spec, body.resourceVersion, options);
  }

  private changePrincipal(
    kind: 'user' | 'serviceAccount',
    record: UserRecord | ServiceAccountRecord,
    spec: UserSpec | ServiceAccountSpec,
    resourceVersion: string,
    options: MutationOptions,
  ): AsyncOperationResponse {
    if (record.state === 'deleting') throw failedPrecondition(kind, record.id, record.state);
    checkVersion(record, { ...options, resourceVersion });
    const operationType = (options.operationType ??
      (kind === 'user' ? 'updateUser' : 'updateServiceAccount')) as AnyOperationId;
    const op = this.startOperation(operationType, { kind, id: record.id }, options);
    op.pendingPrincipalSpec = spec;
    this.replaceUnmodelled(kind, record, op, options);
    record.asyncOperationId = op.id;
    touch(record, options.now);
    return { asyncOperationId: op.id };
  }

  getOperation(id: string): AsyncOperation {
    const op = this.operations.get(id);
    if (!op) throw notFound('async operation', id);
    return this.renderOperation(op);
  }

  renderOperation(op: OperationRecord): AsyncOperation {
    let state: AsyncOperation['state'];
    if (op.settled) state = op.outcome;
    else {
      // The first fifth of an operation's duration is spent queued, the rest running.
      const queuedUntil = op.startedAt + Math.floor((op.finishAt - op.startedAt) / 5);
      state = this.lastNow <= op.startedAt || this.lastNow < queuedUntil ? 'pending' : 'in_progress';
    }
    return {
      id: op.id,
      state,
      checkDuration: formatProtoDuration(op.checkDurationMs),
      operationType: op.operationType,
      startedTime: iso(op.startedAt),
      ...(op.settled ? { finishedTime: iso(op.finishAt) } : {}),
      ...(op.settled && op.failureReason !== undefined ? { failureReason: op.failureReason } : {}),
    };
  }

  snapshot(): EmulatorState {
    return {
      namespaces: [...this.namespaces.values()].map((r) => this.renderNamespace(r)),
      users: [...this.users.values()].map((r) => this.renderUser(r)),
      serviceAccounts: [...this.serviceAccounts.values()].map((r) => this.renderServiceAccount(r)),
      apiKeys: [...this.apiKeys.values()].map((r) => ({
        ...this.renderApiKey(r),
        tokenSha256: r.tokenSha256,
      })),
      asyncOperations: [...this.operations.values()].map((op) => this.renderOperation(op)),
    };
  }

  toPersisted(): PersistedState {
    return structuredClone({
      version: 1 as const,
      accountId: this.accountId,
      seq: this.seq,
      lastNow: this.lastNow,
      namespaces: [...this.namespaces.values()],
      users: [...this.users.values()],
      serviceAccounts: [...this.serviceAccounts.values()],
      apiKeys: [...this.apiKeys.values()],
      asyncOperations: [...this.operations.values()],
    });
  }

  load(state: PersistedState): void {
    if (state.version !== 1) throw new Error(`Unsupported emulator state version ${String(state.version)}`);
    if (state.accountId !== this.accountId) {
      throw new Error(`State belongs to account '${state.accountId}', not '${this.accountId}'`);
    }
    const copy = structuredClone(state);
    const fill = <T extends { id: string; seq: number }>(map: Map<string, T>, items: T[]): void => {
      map.clear();
      for (const item of [...items].sort((a, b) => a.seq - b.seq)) map.set(item.id, item);
    };
    fill(this.namespaces, copy.namespaces);
    fill(this.users, copy.users);
    fill(this.serviceAccounts, copy.serviceAccounts);
    fill(this.apiKeys, copy.apiKeys);
    fill(this.operations, copy.asyncOperations);
    this.seq = copy.seq;
    this.lastNow = copy.lastNow;
  }

  /** Runs `fn` all-or-nothing: on a throw every map is restored, so a rejected batch leaves no trace. */
  transaction<T>(fn: () => T): T {
    const before = this.toPersisted();
    try {
      return fn();
    } catch (error) {
      this.load(before);
      throw error;
    }
  }
}
