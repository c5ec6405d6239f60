// The store's core: records, versions, async operations and their settlement, and the state as persisted.
// What differs between resources is each one's ResourceType and module (namespaces.ts, users.ts, …).
import type { AnyOperationId, AsyncOperation, AsyncOperationResponse } from '../../ops-api/types';
import { formatProtoDuration } from '../duration';
import { ApiError, notFound } from '../errors';
import type { UnmodelledLoss } from '../realism';
import { lostFields } from '../unmodelled-fields';
import {
  iso,
  newId,
  newVersion,
  type BaseRecord,
  type EmulatorState,
  type Json,
  type MemberChange,
  type MutationOptions,
  type OperationRecord,
  type PersistedState,
  type RecordOf,
  type ResourceKind,
  type Timing,
} from './records';

/** What the core knows of a resource type: the states its operations pass through, and how it is rendered. */
export interface ResourceType<R extends BaseRecord = BaseRecord> {
  /** Its name in messages: `namespace`, `service account`, … */
  what: string;
  /** Its state while its create runs. */
  creating: R['state'];
  /** The state a failed create leaves; none: the resource is removed (its enum has no failed state). */
  createFailed?: R['state'];
  /** The state a failed delete leaves. */
  deleteFailed: R['state'];
  /** States a delete is refused in (a delete of something already deleting answers its operation). */
  deleteRefused: readonly R['state'][];
  /** A whole-spec update's state while it runs and after it failed; none: the old spec simply holds till then. */
  updating?: { state: R['state']; failed: R['state'] };
  /** Told when its create is fulfilled. */
  created?(record: R, at: number): void;
  /** Told when a whole-spec update of it is fulfilled (its new spec in place). */
  updated?(record: R, at: number): void;
  /** Told when an Add/RemoveUserGroupMember of it is fulfilled. */
  memberChanged?(record: R, change: MemberChange, at: number): void;
  /** Told when it is removed. */
  removed?(store: Store, id: string): void;
  /** The resource as the API answers it. */
  render(record: R): unknown;
}
export type ResourceTypes = { [K in ResourceKind]: ResourceType<RecordOf[K]> };

export function failedPrecondition(what: string, id: string, state: string): ApiError {
  return new ApiError('failed_precondition', `${what} '${id}' is ${state}; wait for its operation to finish`);
}

/** A mutation's `resourceVersion`, when given, must be the record's current one. */
export function checkVersion(record: BaseRecord, what: string, resourceVersion: string | undefined): void {
  if (resourceVersion !== undefined && resourceVersion !== record.resourceVersion) {
    throw new ApiError(
      'resource_version_mismatch',
      `resourceVersion '${resourceVersion}' is stale; the ${what} is at '${record.resourceVersion}'`,
      'resourceVersion',
    );
  }
}

function touch(record: BaseRecord, at: number): void {
  record.resourceVersion = newVersion();
  record.modifiedAt = at;
}

const phaseOf = (operationType: string): 'create' | 'delete' | 'update' =>
  operationType.startsWith('create') ? 'create' : operationType.startsWith('delete') ? 'delete' : 'update';

/**
 * All emulator state and every state transition. Synchronous on purpose: a request validates and
 * mutates within one tick, so concurrent requests can never interleave half-applied changes.
 */
export class Store {
  readonly namespaces = new Map<string, RecordOf['namespace']>();
  readonly users = new Map<string, RecordOf['user']>();
  readonly serviceAccounts = new Map<string, RecordOf['serviceAccount']>();
  readonly apiKeys = new Map<string, RecordOf['apiKey']>();
  readonly userGroups = new Map<string, RecordOf['userGroup']>();
  readonly customRoles = new Map<string, RecordOf['customRole']>();
  readonly operations = new Map<string, OperationRecord>();
  private seq = 0;
  private lastNow = 0;
  /** Told of every unmodelled field a whole-spec update leaves out (the realism switch reports them). */
  onUnmodelledLoss: (loss: UnmodelledLoss) => void = () => undefined;

  constructor(
    readonly accountId: string,
    private readonly timing: (operationType: AnyOperationId) => Timing,
    private readonly types: ResourceTypes,
  ) {}

  /** Time never runs backwards inside the emulator, whatever the injected clock does. */
  advanceTo(now: number): number {
    this.lastNow = Math.max(this.lastNow, now);
    return this.lastNow;
  }

  get now(): number {
    return this.lastNow;
  }

  records<K extends ResourceKind>(kind: K): Map<string, RecordOf[K]> {
    const maps = {
      namespace: this.namespaces,
      user: this.users,
      serviceAccount: this.serviceAccounts,
      apiKey: this.apiKeys,
      userGroup: this.userGroups,
      customRole: this.customRoles,
    };
    return maps[kind] as Map<string, RecordOf[K]>;
  }

  /** A resource type's name in messages. */
  what(kind: ResourceKind): string {
    return this.types[kind].what;
  }

  /** The resource as the API answers it. */
  render<K extends ResourceKind>(kind: K, record: RecordOf[K]): unknown {
    return this.types[kind].render(record);
  }

  existing<K extends ResourceKind>(kind: K, id: string): RecordOf[K] {
    const record = this.records(kind).get(id);
    if (!record) throw notFound(this.types[kind].what, id);
    return record;
  }

  // ---------------------------------------------------------------- the generic mutations

  /** Stores a new record with the bookkeeping every resource shares (order, version, timestamps). */
  insert<K extends ResourceKind>(
    kind: K,
    fields: Omit<RecordOf[K], 'seq' | 'resourceVersion' | 'createdAt' | 'modifiedAt'>,
    now: number,
    unmodelled?: Json,
  ): RecordOf[K] {
    const record = {
      ...fields,
      seq: ++this.seq,
      resourceVersion: newVersion(),
      createdAt: now,
      modifiedAt: now,
    };
    if (unmodelled) record.unmodelled = structuredClone(unmodelled);
    this.records(kind).set(record.id, record as RecordOf[K]);
    return record as RecordOf[K];
  }

  /** A create: the record in its creating state (keeping the unmodelled fields it was sent), and its operation. */
  create<K extends ResourceKind>(
    kind: K,
    operationType: AnyOperationId,
    fields: Omit<RecordOf[K], 'seq' | 'resourceVersion' | 'createdAt' | 'modifiedAt' | 'state'>,
    options: MutationOptions,
  ): { record: RecordOf[K]; asyncOperationId: string } {
    const state = this.types[kind].creating;
    const record = this.insert(kind, { ...fields, state } as never, options.now, options.unmodelled?.fields);
    const op = this.startOperation(operationType, { kind, id: record.id }, options);
    record.asyncOperationId = op.id;
    return { record, asyncOperationId: op.id };
  }

  /** A delete; repeating one is idempotent: the caller gets the operation already in flight. */
  delete(
    kind: ResourceKind,
    operationType: AnyOperationId,
    id: string,
    options: MutationOptions,
  ): AsyncOperationResponse {
    const type = this.types[kind];
    const record = this.existing(kind, id);
    if (record.state === 'deleting' && record.asyncOperationId)
      return { asyncOperationId: record.asyncOperationId };
    if ((type.deleteRefused as string[]).includes(record.state))
      throw failedPrecondition(type.what, id, record.state);
    checkVersion(record, type.what, options.resourceVersion);
    const op = this.startOperation(operationType, { kind, id }, options);
    record.state = 'deleting';
    record.asyncOperationId = op.id;
    touch(record, options.now);
    return { asyncOperationId: op.id };
  }

  /**
   * A whole-spec update, checked by the caller: `spec` becomes the record's once the operation is fulfilled, and
   * so do the unmodelled fields it was sent (each one it leaves out is reported now).
   */
  update(
    kind: ResourceKind,
    operationType: AnyOperationId,
    record: BaseRecord,
    spec: object,
    options: MutationOptions,
  ): AsyncOperationResponse {
    const op = this.startOperation(operationType, { kind, id: record.id }, options);
    op.pendingSpec = spec;
    if (options.unmodelled) {
      op.pendingUnmodelled = options.unmodelled;
      for (const field of lostFields(record.unmodelled, options.unmodelled.fields)) {
        const loss = { kind, id: record.id, operationId: op.operationType, field: `spec.${field}` };
        this.onUnmodelledLoss({ ...loss, time: options.now });
      }
    }
    const updating = this.types[kind].updating;
    if (updating) record.state = updating.state;
    record.asyncOperationId = op.id;
    touch(record, options.now);
    return { asyncOperationId: op.id };
  }

  /** A change of what a record holds besides its spec (a group's members): applied once fulfilled. */
  amend(
    kind: ResourceKind,
    operationType: AnyOperationId,
    record: BaseRecord,
    change: MemberChange,
    options: MutationOptions,
  ): AsyncOperationResponse {
    const op = this.startOperation(operationType, { kind, id: record.id }, options);
    op.pendingMember = { ...change };
    record.asyncOperationId = op.id;
    return { asyncOperationId: op.id };
  }

  private startOperation(
    operationType: AnyOperationId,
    target: OperationRecord['target'],
    options: MutationOptions,
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
    };
    this.operations.set(op.id, op);
    return op;
  }

  // ---------------------------------------------------------------- settlement

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
    const { kind, id } = op.target;
    const type = this.types[kind] as ResourceType;
    const record = this.records(kind).get(id) as BaseRecord | undefined;
    if (!record) return;
    const ok = op.outcome === 'fulfilled';
    const phase = phaseOf(op.operationType);
    // Removed: a fulfilled delete, and a failed create where the state enum has no failed state.
    if (phase === 'delete' ? ok : phase === 'create' && !ok && !type.createFailed) {
      this.remove(kind, id);
      return;
    }
    if (phase === 'update') {
      // Without an "updating" state a failed update leaves the record as it was.
      if (!ok && !type.updating) return;
      if (ok) {
        if (op.pendingSpec) record.spec = op.pendingSpec;
        if (op.pendingMember) type.memberChanged?.(record, op.pendingMember, op.finishAt);
        if (op.pendingUnmodelled?.fields) record.unmodelled = structuredClone(op.pendingUnmodelled.fields);
        else if (op.pendingUnmodelled) delete record.unmodelled;
        type.updated?.(record, op.finishAt);
      }
      if (type.updating) record.state = ok ? 'active' : type.updating.failed;
    } else if (phase === 'create') {
      record.state = ok ? 'active' : type.createFailed!;
      if (ok) type.created?.(record, op.finishAt);
    } else record.state = type.deleteFailed;
    touch(record, op.finishAt);
  }

  private remove(kind: ResourceKind, id: string): void {
    this.records(kind).delete(id);
    this.types[kind].removed?.(this, id);
  }

  // ---------------------------------------------------------------- reading and persisting

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
      userGroups: [...this.userGroups.values()],
      customRoles: [...this.customRoles.values()],
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
    fill(this.userGroups, copy.userGroups ?? []);
    fill(this.customRoles, copy.customRoles ?? []);
    fill(this.operations, copy.asyncOperations.map(pendingSpecOf));
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

  /** Every resource and operation as the API renders them (deep copies). */
  snapshot(): EmulatorState {
    const all = <K extends ResourceKind>(kind: K) =>
      [...this.records(kind).values()].map((r) => this.render(kind, r));
    return {
      namespaces: all('namespace'),
      users: all('user'),
      serviceAccounts: all('serviceAccount'),
      // The token's digest is the one trace of it (never in an API answer).
      apiKeys: [...this.apiKeys.values()].map((r) => ({
        ...(this.render('apiKey', r) as object),
        tokenSha256: r.tokenSha256,
      })),
      userGroups: [...this.userGroups.values()].map((r) => ({
        ...(this.render('userGroup', r) as object),
        members: r.members.map((m) => m.userId),
      })),
      customRoles: all('customRole'),
      asyncOperations: [...this.operations.values()].map((op) => this.renderOperation(op)),
    } as EmulatorState;
  }
}

/** State files from before the update paths were one: their pending specs under the old names. */
function pendingSpecOf(op: OperationRecord & { pendingPrincipalSpec?: object; pendingApiKeySpec?: object }) {
  const { pendingPrincipalSpec, pendingApiKeySpec, ...rest } = op;
  const pendingSpec = op.pendingSpec ?? pendingPrincipalSpec ?? pendingApiKeySpec;
  return pendingSpec ? { ...rest, pendingSpec } : rest;
}
