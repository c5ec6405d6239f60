// What the store keeps: one record per resource and per async operation, and how they are rendered.
import { createHash, randomBytes } from 'node:crypto';
import type {
  AnyOperationId,
  ApiKey,
  ApiKeyState,
  AsyncOperation,
  CreateApiKeyRequest,
  CreateServiceAccountRequest,
  CreateUserRequest,
  Namespace,
  NamespaceSpec,
  NamespaceState,
  ServiceAccount,
  ServiceAccountState,
  User,
  UserGroup,
  CustomRole,
  UserState,
} from '../../ops-api/types';
import type { UnmodelledSent } from '../unmodelled-fields';

export type UserSpec = CreateUserRequest['spec'];
export type ServiceAccountSpec = CreateServiceAccountRequest['spec'];
export type ApiKeySpec = CreateApiKeyRequest['spec'];
/** What an API key record keeps: the create's fields, and whether updateApiKey disabled it. */
export type StoredApiKeySpec = ApiKeySpec & { disabled?: boolean };
export type Json = Record<string, unknown>;
export type ResourceKind = 'namespace' | 'user' | 'serviceAccount' | 'apiKey' | 'userGroup' | 'customRole';
/** The modelled part of a group's or custom role's spec (the rest is the record's `unmodelled`). */
export type UserGroupSpec = Omit<UserGroup['spec'], 'preserved'>;
export type CustomRoleSpec = Omit<CustomRole['spec'], 'preserved'>;

export interface BaseRecord {
  id: string;
  /** Insertion order: the stable sort key of every list. */
  seq: number;
  resourceVersion: string;
  asyncOperationId?: string;
  createdAt: number;
  modifiedAt: number;
  state: string;
  spec: object;
  /** The real API's spec fields the domain does not model (realism switch `unmodelledFields`), as sent. */
  unmodelled?: Json;
}
export interface NamespaceRecord extends BaseRecord {
  spec: NamespaceSpec;
  state: NamespaceState;
  /** When its create operation was fulfilled (seeded namespaces have none): the read-after-create lag starts. */
  createFulfilledAt?: number;
  /** Each accepted-CA bundle it has had, from when it took effect (`acceptedClientCa` absent: no mTLS). */
  acceptedCaHistory?: Array<{ at: number; acceptedClientCa?: string }>;
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
export interface UserGroupRecord extends BaseRecord {
  spec: UserGroupSpec;
  state: UserGroup['state'];
  /** Its members (user ids) and when each joined; not part of the spec (Get/Add/RemoveUserGroupMember). */
  members: Array<{ userId: string; addedAt: number }>;
}
export interface CustomRoleRecord extends BaseRecord {
  spec: CustomRoleSpec;
  state: CustomRole['state'];
}
export interface RecordOf {
  namespace: NamespaceRecord;
  user: UserRecord;
  serviceAccount: ServiceAccountRecord;
  apiKey: ApiKeyRecord;
  userGroup: UserGroupRecord;
  customRole: CustomRoleRecord;
}
/** A membership change an Add/RemoveUserGroupMember operation makes once fulfilled. */
export interface MemberChange {
  userId: string;
  add: boolean;
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
  /** A whole-spec update (updateNamespace, updateUser, set*NamespaceAccess, …): the spec once fulfilled. */
  pendingSpec?: object;
  /** A whole-spec update's unmodelled fields (replacing the old ones) once fulfilled. */
  pendingUnmodelled?: UnmodelledSent;
  /** Add/RemoveUserGroupMember: the membership change once fulfilled. */
  pendingMember?: MemberChange;
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
  /** Absent in state files written before groups and custom roles existed. */
  userGroups?: UserGroupRecord[];
  customRoles?: CustomRoleRecord[];
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
  /** With their members (user ids), which the API answers apart (GetUserGroupMembers). */
  userGroups: Array<UserGroup & { members: string[] }>;
  customRoles: CustomRole[];
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
  /** Asked only once the request is known to be valid, so an async-fail fault is spent only on a real mutation. */
  failReason?: () => string | undefined;
  /**
   * A /cloud request's spec fields beyond the domain's, when the `unmodelledFields` switch is on: a create
   * keeps them, a whole-spec update replaces the old ones with them (what it leaves out is lost). Absent: the
   * request does not speak of them (the /api/v1 routes), and nothing changes.
   */
  unmodelled?: UnmodelledSent;
}

export const newId = (): string => randomBytes(16).toString('hex');
export const newVersion = (): string => randomBytes(8).toString('hex');
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** Protobuf-JSON style timestamps: no fractional part when it is zero. */
export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** How every resource but a namespace is rendered: the spec's own fields plus what the emulator tracks. */
export function renderTracked<R extends BaseRecord>(r: R) {
  return {
    id: r.id,
    resourceVersion: r.resourceVersion,
    spec: structuredClone(r.spec) as R['spec'],
    state: r.state as R['state'],
    ...(r.asyncOperationId ? { asyncOperationId: r.asyncOperationId } : {}),
    createdTime: iso(r.createdAt),
    lastModifiedTime: iso(r.modifiedAt),
  };
}
