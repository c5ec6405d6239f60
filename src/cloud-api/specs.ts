// The domain's specs (the given document's vocabulary) ↔ the real API's spec messages, both ways: the client
// sends and reads them, the emulator's /cloud routes read and send them. Enum names come from the proto
// enums; what the domain does not model travels as `preserved` (unmodelled.ts). This layer sits below the
// domain types (src/ops-api/types), so a spec is typed here by the fields the mapping reads; the domain's
// specs fit these forms, and the client narrows what it reads back to them.
import { normalizeCa } from '../shared/resources';
import { permissions, roles, ownerTypes } from './enums';
import { compact, obj, str, type Json } from './json';
import { protoType } from './protos';
import { unmodelledPart, withUnmodelled } from './unmodelled';

export interface AccessForm {
  accountAccess?: { role: string };
  namespaceAccesses?: Record<string, { permission: string }>;
}
interface Preserved {
  /** The real API's fields the domain does not model, as read (sent back untouched). */
  preserved?: Json;
}
export interface NamespaceSpecForm extends Preserved {
  name: string;
  region: string;
  retentionDays: number;
  codecServer?: { endpoint: string; passAccessToken?: boolean; includeCrossOriginCredentials?: boolean };
  mtlsAuth?: { acceptedClientCa: string; certificateFilters?: Json[] };
  apiKeyAuth?: { enabled: boolean };
}
export interface UserSpecForm extends Preserved {
  email: string;
  access?: AccessForm;
}
export interface ServiceAccountSpecForm extends Preserved {
  name: string;
  access?: AccessForm;
  namespaceScopedAccess?: { namespace: string; access?: { permission?: string } };
}
export interface ApiKeySpecForm extends Preserved {
  ownerId: string;
  ownerType: string;
  displayName: string;
  expiryTime: string;
  disabled?: boolean;
}

// ---------------------------------------------------------------- access

export function accessToCloud(access: AccessForm | undefined): Json | undefined {
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

export function accessFromCloud(json: unknown): AccessForm | undefined {
  if (json === undefined || json === null) return undefined;
  const access = obj(json);
  const role = roles.toDomain(str(obj(access.accountAccess).role));
  const namespaces = obj(access.namespaceAccesses);
  return {
    ...(role ? { accountAccess: { role } } : {}),
    ...(Object.keys(namespaces).length > 0
      ? {
          namespaceAccesses: Object.fromEntries(
            Object.entries(namespaces).map(([ns, a]) => [
              ns,
              { permission: permissions.toDomain(str(obj(a).permission))! },
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
export function namespaceSpecToCloud(spec: NamespaceSpecForm): Json {
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

/** What the domain does not manage of a namespace spec as read: kept for the next update. */
function namespacePreserved(spec: Json): Json {
  const replicas = Array.isArray(spec.replicas) ? spec.replicas.map(obj) : [];
  const mtls = obj(spec.mtlsAuth);
  const {
    endpoint: _e,
    passAccessToken: _p,
    includeCrossOriginCredentials: _i,
    ...codecExtras
  } = obj(spec.codecServer);
  const preserved = Object.fromEntries(
    Object.entries(spec).filter(([k]) => !MANAGED_SPEC_FIELDS.includes(k)),
  );
  if (Object.keys(codecExtras).length > 0) preserved.codecServerExtras = codecExtras;
  // More than the one region the domain speaks of (a replicated namespace): kept for the next update.
  if (replicas.length > 1 || Object.keys(replicas[0] ?? {}).some((k) => k !== 'region')) {
    preserved.replicas = spec.replicas;
  }
  if (mtls.enabled !== true && str(mtls.acceptedClientCa)) preserved.mtlsAuth = spec.mtlsAuth;
  return preserved;
}

export function namespaceSpecFromCloud(json: unknown): NamespaceSpecForm {
  const spec = obj(json);
  const replicas = Array.isArray(spec.replicas) ? spec.replicas.map(obj) : [];
  const regions = Array.isArray(spec.regions) ? spec.regions : [];
  const codec = spec.codecServer === undefined ? undefined : obj(spec.codecServer);
  const mtls = obj(spec.mtlsAuth);
  const preserved = namespacePreserved(spec);
  return {
    name: str(spec.name) ?? '',
    region: str(replicas[0]?.region) ?? str(regions[0]) ?? '',
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
              ? { certificateFilters: mtls.certificateFilters as Json[] }
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

// ---------------------------------------------------------------- identities

const USER_SPEC = protoType('temporal.api.cloud.identity.v1.UserSpec');
const SERVICE_ACCOUNT_SPEC = protoType('temporal.api.cloud.identity.v1.ServiceAccountSpec');
const API_KEY_SPEC = protoType('temporal.api.cloud.identity.v1.ApiKeySpec');

/** A domain spec read from the real API, with what the domain does not model kept (`preserved`) for the next update. */
function keepUnmodelled<S extends Preserved>(
  spec: S,
  type: typeof USER_SPEC,
  asRead: unknown,
  toCloud: (s: S) => Json,
): S {
  const preserved = unmodelledPart(type, asRead, toCloud(spec));
  return preserved ? { ...spec, preserved } : spec;
}

// A whole-spec update (updateUser, updateServiceAccount, updateApiKey) sends these: the fields the domain
// models as it now has them, and everything else as it was read.
export function userSpecToCloud(spec: UserSpecForm): Json {
  return withUnmodelled(spec.preserved, compact({ email: spec.email, access: accessToCloud(spec.access) }));
}
export function userSpecFromCloud(json: unknown): UserSpecForm {
  const spec = obj(json);
  const access = accessFromCloud(spec.access);
  const domain = { email: str(spec.email) ?? '', ...(access ? { access } : {}) };
  return keepUnmodelled(domain, USER_SPEC, json, userSpecToCloud);
}

export function serviceAccountSpecToCloud(spec: ServiceAccountSpecForm): Json {
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
export function serviceAccountSpecFromCloud(json: unknown): ServiceAccountSpecForm {
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
            access: permission ? { permission } : {},
          },
        }
      : {}),
  };
  return keepUnmodelled(domain, SERVICE_ACCOUNT_SPEC, json, serviceAccountSpecToCloud);
}

export function apiKeySpecToCloud(spec: ApiKeySpecForm): Json {
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
export function apiKeySpecFromCloud(json: unknown): ApiKeySpecForm {
  const spec = obj(json);
  const domain = {
    displayName: str(spec.displayName) ?? '',
    ownerId: str(spec.ownerId) ?? '',
    ownerType: ownerTypes.toDomain(str(spec.ownerType))!,
    expiryTime: str(spec.expiryTime) ?? '',
    ...(spec.disabled === true ? { disabled: true } : {}),
  };
  return keepUnmodelled(domain, API_KEY_SPEC, json, apiKeySpecToCloud);
}
