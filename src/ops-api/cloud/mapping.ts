// The real API's resources as the domain reads them: the client's half of the mapping. The specs, enums and
// request messages both sides share are the wire contract's (src/cloud-api); the emulator owns the reverse.
import {
  apiKeySpecFromCloud,
  cloudProviders,
  compact,
  customRoleSpecFromCloud,
  namespaceSpecFromCloud,
  obj,
  operationStates,
  resourceStates,
  serviceAccountSpecFromCloud,
  str,
  userGroupSpecFromCloud,
  userSpecFromCloud,
  type Json,
} from '../../cloud-api';
import type {
  ApiKey,
  AsyncOperation,
  CustomRole,
  UserGroup,
  UserGroupMember,
  AsyncOperationState,
  Namespace,
  NamespaceSpec,
  Region,
  ServiceAccount,
  User,
} from '../types';

function resourceStateFromCloud<S extends string>(state: unknown): S {
  return (resourceStates.toDomain(str(state)) ?? 'unspecified') as S;
}

export function namespaceFromCloud(json: unknown): Namespace {
  const ns = obj(json);
  const endpoints = obj(ns.endpoints);
  return {
    namespace: str(ns.namespace) ?? '',
    resourceVersion: str(ns.resourceVersion) ?? '',
    spec: namespaceSpecFromCloud(ns.spec) as NamespaceSpec,
    state: resourceStateFromCloud(ns.state),
    ...(str(ns.asyncOperationId) ? { asyncOperationId: str(ns.asyncOperationId) } : {}),
    endpoints: {
      webAddress: str(endpoints.webAddress) ?? '',
      // The domain's grpcAddress is the namespace's own endpoint (the given document's); the real API's
      // grpcAddress is the regional one API-key clients use (the inverse of the emulator's namespaceToCloud).
      grpcAddress: str(endpoints.mtlsGrpcAddress) || (str(endpoints.grpcAddress) ?? ''),
      mtlsGrpcAddress: str(endpoints.mtlsGrpcAddress) ?? '',
      apiKeyGrpcAddress: str(endpoints.grpcAddress) ?? '',
    },
    ...(str(ns.createdTime) ? { createdTime: str(ns.createdTime) } : {}),
    ...(str(ns.lastModifiedTime) ? { lastModifiedTime: str(ns.lastModifiedTime) } : {}),
  };
}

/** What every identity resource has besides its spec. */
function trackedFromCloud(r: Json) {
  return {
    id: str(r.id) ?? '',
    resourceVersion: str(r.resourceVersion) ?? '',
    state: resourceStateFromCloud(r.state),
    ...(str(r.asyncOperationId) ? { asyncOperationId: str(r.asyncOperationId) } : {}),
    ...(str(r.createdTime) ? { createdTime: str(r.createdTime) } : {}),
    ...(str(r.lastModifiedTime) ? { lastModifiedTime: str(r.lastModifiedTime) } : {}),
  };
}

export const userFromCloud = (json: unknown): User =>
  ({ ...trackedFromCloud(obj(json)), spec: userSpecFromCloud(obj(json).spec) }) as User;
export const serviceAccountFromCloud = (json: unknown): ServiceAccount =>
  ({ ...trackedFromCloud(obj(json)), spec: serviceAccountSpecFromCloud(obj(json).spec) }) as ServiceAccount;
export const apiKeyFromCloud = (json: unknown): ApiKey =>
  ({ ...trackedFromCloud(obj(json)), spec: apiKeySpecFromCloud(obj(json).spec) }) as ApiKey;

export const userGroupFromCloud = (json: unknown): UserGroup =>
  ({ ...trackedFromCloud(obj(json)), spec: userGroupSpecFromCloud(obj(json).spec) }) as UserGroup;
export const customRoleFromCloud = (json: unknown): CustomRole =>
  ({ ...trackedFromCloud(obj(json)), spec: customRoleSpecFromCloud(obj(json).spec) }) as CustomRole;
/** A member as the domain names it: the user (the one kind of member the API has). */
export function userGroupMemberFromCloud(json: unknown): UserGroupMember {
  const m = obj(json);
  const createdTime = str(m.createdTime);
  return { userId: str(obj(m.memberId).userId) ?? '', ...(createdTime ? { createdTime } : {}) };
}

export function regionFromCloud(json: unknown): Region {
  const r = obj(json);
  return compact({
    id: str(r.id),
    cloudProvider: cloudProviders.toDomain(str(r.cloudProvider)),
    location: str(r.location),
  }) as Region;
}

export function asyncOperationFromCloud(json: unknown): AsyncOperation {
  const op = obj(json);
  return compact({
    id: str(op.id) ?? '',
    state: operationStates.toDomain(str(op.state)) as AsyncOperationState,
    checkDuration: str(op.checkDuration) ?? '0s',
    operationType: str(op.operationType),
    failureReason: str(op.failureReason) || undefined,
    startedTime: str(op.startedTime),
    finishedTime: str(op.finishedTime),
  }) as AsyncOperation;
}
