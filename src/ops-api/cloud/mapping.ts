// Domain ↔ the real API's protobuf JSON, resource by resource. Enum names come from the proto enums
// (prefix stripped, lowercased); field names are the proto messages' JSON names. Used in both directions
// by the `cloud` dialect (requests out, responses in) and by the emulator's /cloud routes (the reverse).
import type {
  Access,
  AccountRole,
  ApiKey,
  AsyncOperation,
  AsyncOperationState,
  Namespace,
  NamespacePermission,
  NamespaceSpec,
  OwnerType,
  Region,
  ServiceAccount,
  User,
} from '../types';
import { enumCodec, protoType } from './proto';
import { unmodelledPart, withUnmodelled } from './unmodelled';
import { normalizeCa } from '../../shared/resources';

export type Json = Record<string, unknown>;

export const resourceStates = enumCodec('temporal.api.cloud.resource.v1.ResourceState', 'RESOURCE_STATE_');
export const operationStates = enumCodec('temporal.api.cloud.operation.v1.AsyncOperation.State', 'STATE_');
export const ownerTypes = enumCodec('temporal.api.cloud.identity.v1.OwnerType', 'OWNER_TYPE_', (s) =>
  s.replace(/_/g, '-'),
);
export const permissions = enumCodec(
  'temporal.api.cloud.identity.v1.NamespaceAccess.Permission',
  'PERMISSION_',
);
export const roles = enumCodec('temporal.api.cloud.identity.v1.AccountAccess.Role', 'ROLE_');
export const cloudProviders = enumCodec(
  'temporal.api.cloud.region.v1.Region.CloudProvider',
  'CLOUD_PROVIDER_',
);

const obj = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
/** Drops undefined values, so what is sent is exactly what is meant. */
const compact = (fields: Json): Json =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));

// ---------------------------------------------------------------- states

/** The domain's user `pending` (invited, openapi dialect) is the real API's `activating`. */
export function resourceStateToCloud(state: string): string {
  return resourceStates.toProto(state === 'pending' ? 'activating' : state);
}
export function resourceStateFromCloud<S extends string>(state: unknown): S {
  return (resourceStates.toDomain(str(state)) ?? 'unspecified') as S;
}

// ---------------------------------------------------------------- access

export function accessToCloud(access: Access | undefined): Json | undefined {
  if (!access) return undefined;
  const role = access.accountAccess?.role;
  return compact({
    accountAccess: role && role !== 'none' ? { role: roles.toProto(role) } : undefined,
    namespaceAccesses: access.namespaceAccesses
      ? Object.fromEntries(
          Object.entries(access.namespaceAccesses).map(([ns, a]) => [
            ns,
            { permission: permissions.toProto(a.permission) },
          ]),
        )
      : undefined,
  });
}

export function accessFromCloud(json: unknown): Access | undefined {
  if (json === undefined || json === null) return undefined;
  const access = obj(json);
  const role = roles.toDomain(str(obj(access.accountAccess).role));
  const namespaces = obj(access.namespaceAccesses);
  return {
    ...(role ? { accountAccess: { role: role as AccountRole } } : {}),
    ...(Object.keys(namespaces).length > 0
      ? {
          namespaceAccesses: Object.fromEntries(
            Object.entries(namespaces).map(([ns, a]) => [
              ns,
              { permission: permissions.toDomain(str(obj(a).permission)) as NamespacePermission },
            ]),
          ),
        }
      : {}),
  };
}

// ---------------------------------------------------------------- namespaces

const MANAGED_SPEC_FIELDS = [
  'name',
  'regions',
  'replicas',
  'retentionDays',
  'codecServer',
  'mtlsAuth',
  'apiKeyAuth',
];

/** The whole real-API spec: what the domain manages, plus whatever it preserved from the last read. */
export function namespaceSpecToCloud(spec: NamespaceSpec): Json {
  const codec = spec.codecServer;
  const mtls = spec.mtlsAuth;
  const preservedCodec = obj(obj(spec.preserved).codecServerExtras);
  const { codecServerExtras: _extras, ...preserved } = obj(spec.preserved);
  return compact({
    ...preserved,
    name: spec.name,
    // A replicated namespace's replicas go back as read; a new one has its one region.
    replicas: Array.isArray(preserved.replicas) ? preserved.replicas : [{ region: spec.region }],
    retentionDays: spec.retentionDays,
    codecServer: codec
      ? compact({
          ...preservedCodec,
          endpoint: codec.endpoint,
          passAccessToken: codec.passAccessToken,
          includeCrossOriginCredentials: codec.includeCrossOriginCredentials,
        })
      : undefined,
    mtlsAuth: mtls
      ? compact({
          // protobuf JSON bytes: the base64 of the PEM, without the line breaks the domain allows
          acceptedClientCa: normalizeCa(mtls.acceptedClientCa),
          certificateFilters: mtls.certificateFilters,
          enabled: true,
        })
      : preserved.mtlsAuth, // a CA that is there but switched off stays so
    apiKeyAuth: spec.apiKeyAuth ? { enabled: spec.apiKeyAuth.enabled } : undefined,
  });
}

export function namespaceSpecFromCloud(json: unknown): NamespaceSpec {
  const spec = obj(json);
  const replicas = Array.isArray(spec.replicas) ? spec.replicas.map(obj) : [];
  const regions = Array.isArray(spec.regions) ? spec.regions : [];
  const region = str(replicas[0]?.region) ?? str(regions[0]) ?? '';
  const codec = spec.codecServer === undefined ? undefined : obj(spec.codecServer);
  const mtls = obj(spec.mtlsAuth);
  const {
    endpoint: _e,
    passAccessToken: _p,
    includeCrossOriginCredentials: _i,
    ...codecExtras
  } = codec ?? {};
  const preserved = Object.fromEntries(
    Object.entries(spec).filter(([k]) => !MANAGED_SPEC_FIELDS.includes(k)),
  );
  if (Object.keys(codecExtras).length > 0) preserved.codecServerExtras = codecExtras;
  // More than the one region the domain speaks of (a replicated namespace): kept for the next update.
  if (replicas.length > 1 || Object.keys(replicas[0] ?? {}).some((k) => k !== 'region')) {
    preserved.replicas = spec.replicas;
  }
  if (mtls.enabled !== true && str(mtls.acceptedClientCa)) preserved.mtlsAuth = spec.mtlsAuth;
  return {
    name: str(spec.name) ?? '',
    region,
    retentionDays: Number(spec.retentionDays ?? 0),
    ...(codec && str(codec.endpoint)
      ? {
          codecServer: {
            endpoint: str(codec.endpoint)!,
            ...(codec.passAccessToken !== undefined
              ? { passAccessToken: codec.passAccessToken === true }
              : {}),
            ...(codec.includeCrossOriginCredentials !== undefined
              ? { includeCrossOriginCredentials: codec.includeCrossOriginCredentials === true }
              : {}),
          },
        }
      : {}),
    ...(mtls.enabled === true && str(mtls.acceptedClientCa)
      ? {
          mtlsAuth: {
            acceptedClientCa: str(mtls.acceptedClientCa)!,
            ...(Array.isArray(mtls.certificateFilters) && mtls.certificateFilters.length > 0
              ? { certificateFilters: mtls.certificateFilters as never }
              : {}),
          },
        }
      : {}),
    ...(spec.apiKeyAuth !== undefined
      ? { apiKeyAuth: { enabled: obj(spec.apiKeyAuth).enabled === true } }
      : {}),
    ...(Object.keys(preserved).length > 0 ? { preserved } : {}),
  };
}

export function namespaceToCloud(ns: Namespace): Json {
  return compact({
    namespace: ns.namespace,
    resourceVersion: ns.resourceVersion,
    spec: namespaceSpecToCloud(ns.spec),
    state: resourceStateToCloud(ns.state),
    asyncOperationId: ns.asyncOperationId,
    // The real API has one gRPC address for API-key clients and one for mTLS clients.
    endpoints: compact({
      webAddress: ns.endpoints.webAddress,
      grpcAddress: ns.endpoints.apiKeyGrpcAddress,
      mtlsGrpcAddress: ns.endpoints.mtlsGrpcAddress,
    }),
    activeRegion: ns.spec.region,
    createdTime: ns.createdTime,
    lastModifiedTime: ns.lastModifiedTime,
  });
}

export function namespaceFromCloud(json: unknown): Namespace {
  const ns = obj(json);
  const endpoints = obj(ns.endpoints);
  return {
    namespace: str(ns.namespace) ?? '',
    resourceVersion: str(ns.resourceVersion) ?? '',
    spec: namespaceSpecFromCloud(ns.spec),
    state: resourceStateFromCloud(ns.state),
    ...(str(ns.asyncOperationId) ? { asyncOperationId: str(ns.asyncOperationId) } : {}),
    endpoints: {
      webAddress: str(endpoints.webAddress) ?? '',
      // The domain's grpcAddress is the namespace's own endpoint (the given document's); the real API's
      // grpcAddress is the regional one API-key clients use (the inverse of namespaceToCloud).
      grpcAddress: str(endpoints.mtlsGrpcAddress) || (str(endpoints.grpcAddress) ?? ''),
      mtlsGrpcAddress: str(endpoints.mtlsGrpcAddress) ?? '',
      apiKeyGrpcAddress: str(endpoints.grpcAddress) ?? '',
    },
    ...(str(ns.createdTime) ? { createdTime: str(ns.createdTime) } : {}),
    ...(str(ns.lastModifiedTime) ? { lastModifiedTime: str(ns.lastModifiedTime) } : {}),
  };
}

// ---------------------------------------------------------------- identities

interface Tracked {
  id: string;
  resourceVersion: string;
  state: string;
  asyncOperationId?: string;
  createdTime?: string;
  lastModifiedTime?: string;
}

function trackedToCloud(r: Tracked): Json {
  return compact({
    id: r.id,
    resourceVersion: r.resourceVersion,
    state: resourceStateToCloud(r.state),
    asyncOperationId: r.asyncOperationId,
    createdTime: r.createdTime,
    lastModifiedTime: r.lastModifiedTime,
  });
}

function trackedFromCloud(r: Json): Tracked {
  return {
    id: str(r.id) ?? '',
    resourceVersion: str(r.resourceVersion) ?? '',
    state: resourceStateFromCloud(r.state),
    ...(str(r.asyncOperationId) ? { asyncOperationId: str(r.asyncOperationId) } : {}),
    ...(str(r.createdTime) ? { createdTime: str(r.createdTime) } : {}),
    ...(str(r.lastModifiedTime) ? { lastModifiedTime: str(r.lastModifiedTime) } : {}),
  };
}

const USER_SPEC = protoType('temporal.api.cloud.identity.v1.UserSpec');
const SERVICE_ACCOUNT_SPEC = protoType('temporal.api.cloud.identity.v1.ServiceAccountSpec');
const API_KEY_SPEC = protoType('temporal.api.cloud.identity.v1.ApiKeySpec');

/** A domain spec read from the real API, with what the domain does not model kept (`preserved`) for the next update. */
function keepUnmodelled<S extends object>(
  spec: S,
  type: typeof USER_SPEC,
  asRead: unknown,
  toCloud: (s: S) => Json,
): S & { preserved?: Json } {
  const preserved = unmodelledPart(type, asRead, toCloud(spec));
  return preserved ? { ...spec, preserved } : spec;
}

// A whole-spec update (updateUser, updateServiceAccount, updateApiKey) sends these: the fields the domain
// models as it now has them, and everything else as it was read.
export function userSpecToCloud(spec: User['spec']): Json {
  return withUnmodelled(spec.preserved, compact({ email: spec.email, access: accessToCloud(spec.access) }));
}
export function userSpecFromCloud(json: unknown): User['spec'] {
  const spec = obj(json);
  const access = accessFromCloud(spec.access);
  const domain = { email: str(spec.email) ?? '', ...(access ? { access } : {}) };
  return keepUnmodelled(domain, USER_SPEC, json, userSpecToCloud);
}
export const userToCloud = (u: User): Json => ({ ...trackedToCloud(u), spec: userSpecToCloud(u.spec) });
export const userFromCloud = (json: unknown): User =>
  ({ ...trackedFromCloud(obj(json)), spec: userSpecFromCloud(obj(json).spec) }) as User;

export function serviceAccountSpecToCloud(spec: ServiceAccount['spec']): Json {
  const scoped = spec.namespaceScopedAccess;
  return withUnmodelled(
    spec.preserved,
    compact({
      name: spec.name,
      access: accessToCloud(spec.access),
      namespaceScopedAccess: scoped
        ? compact({
            namespace: scoped.namespace,
            access: scoped.access?.permission
              ? { permission: permissions.toProto(scoped.access.permission) }
              : undefined,
          })
        : undefined,
    }),
  );
}
export function serviceAccountSpecFromCloud(json: unknown): ServiceAccount['spec'] {
  const spec = obj(json);
  const access = accessFromCloud(spec.access);
  const scoped = spec.namespaceScopedAccess === undefined ? undefined : obj(spec.namespaceScopedAccess);
  const permission = scoped && permissions.toDomain(str(obj(scoped.access).permission));
  const domain = {
    name: str(spec.name) ?? '',
    ...(access ? { access } : {}),
    ...(scoped
      ? {
          namespaceScopedAccess: {
            namespace: str(scoped.namespace) ?? '',
            access: (permission ? { permission } : {}) as { permission: NamespacePermission },
          },
        }
      : {}),
  };
  return keepUnmodelled(domain, SERVICE_ACCOUNT_SPEC, json, serviceAccountSpecToCloud);
}
export const serviceAccountToCloud = (sa: ServiceAccount): Json => ({
  ...trackedToCloud(sa),
  spec: serviceAccountSpecToCloud(sa.spec),
});
export const serviceAccountFromCloud = (json: unknown): ServiceAccount =>
  ({ ...trackedFromCloud(obj(json)), spec: serviceAccountSpecFromCloud(obj(json).spec) }) as ServiceAccount;

export function apiKeySpecToCloud(spec: ApiKey['spec']): Json {
  return withUnmodelled(
    spec.preserved,
    compact({
      ownerId: spec.ownerId,
      ownerType: ownerTypes.toProto(spec.ownerType),
      displayName: spec.displayName,
      expiryTime: spec.expiryTime,
      disabled: spec.disabled === true ? true : undefined,
    }),
  );
}
export function apiKeySpecFromCloud(json: unknown): ApiKey['spec'] {
  const spec = obj(json);
  const domain = {
    displayName: str(spec.displayName) ?? '',
    ownerId: str(spec.ownerId) ?? '',
    ownerType: ownerTypes.toDomain(str(spec.ownerType)) as OwnerType,
    expiryTime: str(spec.expiryTime) ?? '',
    ...(spec.disabled === true ? { disabled: true } : {}),
  };
  return keepUnmodelled(domain, API_KEY_SPEC, json, apiKeySpecToCloud);
}
export const apiKeyToCloud = (k: ApiKey): Json => ({ ...trackedToCloud(k), spec: apiKeySpecToCloud(k.spec) });
export const apiKeyFromCloud = (json: unknown): ApiKey =>
  ({ ...trackedFromCloud(obj(json)), spec: apiKeySpecFromCloud(obj(json).spec) }) as ApiKey;

// ---------------------------------------------------------------- regions and operations

export function regionToCloud(r: Region): Json {
  return compact({
    id: r.id,
    cloudProvider: r.cloudProvider ? cloudProviders.toProto(r.cloudProvider) : undefined,
    cloudProviderRegion: r.id?.replace(/^[a-z]+-/, ''),
    location: r.location,
  });
}
export function regionFromCloud(json: unknown): Region {
  const r = obj(json);
  return compact({
    id: str(r.id),
    cloudProvider: cloudProviders.toDomain(str(r.cloudProvider)),
    location: str(r.location),
  }) as Region;
}

export function asyncOperationToCloud(op: AsyncOperation): Json {
  return compact({
    id: op.id,
    state: operationStates.toProto(op.state),
    checkDuration: op.checkDuration,
    operationType: op.operationType,
    failureReason: op.failureReason,
    startedTime: op.startedTime,
    finishedTime: op.finishedTime,
  });
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
