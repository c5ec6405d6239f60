// Namespaces: their spec's rules, create / seed / update / delete, and how one is rendered. A namespace has
// failed states, and an update shows `updating` until its operation settles.
import type { Namespace, NamespaceSpec, NamespaceState } from '../../ops-api/types';
import { normalizeCa } from '../../shared/resources';
import { caBundleFingerprints } from '../../certificates';
import { ApiError, invalid, notFound } from '../errors';
import { apiKeyGrpcAddress } from '../regions';
import {
  checkCodecServer,
  checkMtlsAuth,
  checkNamespaceName,
  checkRegion,
  checkRetentionDays,
  requireString,
} from '../rules';
import { checkVersion, failedPrecondition, type ResourceType, type Store } from './core';
import { iso, type Json, type MutationOptions, type NamespaceRecord } from './records';

export const NAMESPACE: ResourceType<NamespaceRecord> = {
  what: 'namespace',
  creating: 'activating',
  createFailed: 'activation_failed',
  deleteFailed: 'delete_failed',
  deleteRefused: ['activating', 'updating', 'deleting'],
  updating: { state: 'updating', failed: 'update_failed' },
  created: (record, at) => {
    record.createFulfilledAt = at;
    noteAcceptedCa(record, at);
  },
  updated: noteAcceptedCa,
  render: renderNamespace,
};

const TRANSITIONAL: readonly NamespaceState[] = ['activating', 'updating', 'deleting'];

const namespaceId = (store: Store, name: string): string => `${name}.${store.accountId}`;

function validateSpec(store: Store, spec: NamespaceSpec): NamespaceSpec {
  const name = requireString(spec.name, 'spec.name');
  checkNamespaceName(name);
  const region = requireString(spec.region, 'spec.region');
  checkRegion(region);
  checkRetentionDays(spec.retentionDays);
  if (spec.codecServer) checkCodecServer(spec.codecServer);
  if (spec.mtlsAuth) checkMtlsAuth(spec.mtlsAuth);
  if (store.namespaces.has(namespaceId(store, name))) {
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

export function createNamespace(store: Store, body: { spec: NamespaceSpec }, options: MutationOptions) {
  const spec = validateSpec(store, body.spec);
  const { record, asyncOperationId } = store.create(
    'namespace',
    'createNamespace',
    { id: namespaceId(store, spec.name), spec },
    options,
  );
  return { namespace: record.id, asyncOperationId };
}

export function seedNamespace(store: Store, spec: NamespaceSpec, now: number, unmodelled?: Json): string {
  const fields = {
    id: namespaceId(store, spec.name),
    spec: validateSpec(store, spec),
    state: 'active' as const,
  };
  const record = store.insert('namespace', fields, now, unmodelled);
  noteAcceptedCa(record, now);
  return record.id;
}

/** The given document's update: fields left out keep their value, `null` clears an optional part. */
export function updateNamespace(
  store: Store,
  id: string,
  body: { resourceVersion: string; spec: NamespaceSpec },
  options: MutationOptions,
) {
  const update = body.spec;
  // Request-only checks first: a malformed request is a 400 whatever the namespace's state.
  if (update.retentionDays !== undefined) checkRetentionDays(update.retentionDays);
  if (update.codecServer) checkCodecServer(update.codecServer);
  if (update.mtlsAuth) checkMtlsAuth(update.mtlsAuth);
  const ns = store.existing('namespace', id);
  if (update.name !== undefined && update.name !== ns.spec.name) throw invalid('spec.name', 'is immutable');
  if (update.region !== undefined && update.region !== ns.spec.region) {
    throw invalid('spec.region', 'is immutable');
  }
  if (TRANSITIONAL.includes(ns.state) || ns.state === 'activation_failed') {
    throw failedPrecondition('namespace', id, ns.state);
  }
  // Required here (unlike a delete's): an update is made from the spec as read.
  checkVersion(ns, 'namespace', String(body.resourceVersion));
  const next: NamespaceSpec = structuredClone(ns.spec);
  if (update.retentionDays !== undefined) next.retentionDays = update.retentionDays;
  if (update.codecServer === null) delete next.codecServer;
  else if (update.codecServer) next.codecServer = structuredClone(update.codecServer);
  if (update.mtlsAuth === null) delete next.mtlsAuth;
  else if (update.mtlsAuth) next.mtlsAuth = structuredClone(update.mtlsAuth);
  if (update.apiKeyAuth === null) delete next.apiKeyAuth;
  else if (update.apiKeyAuth) next.apiKeyAuth = { enabled: update.apiKeyAuth.enabled === true };
  return store.update('namespace', 'updateNamespace', ns, next, options);
}

export function renderNamespace(r: NamespaceRecord): Namespace {
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

/** Keeps the bundle the namespace accepts from `at` on, when it differs from the one before. */
function noteAcceptedCa(record: NamespaceRecord, at: number): void {
  const ca = record.spec.mtlsAuth?.acceptedClientCa;
  const history = (record.acceptedCaHistory ??= []);
  const last = history[history.length - 1];
  if (last && normalizeCa(last.acceptedClientCa ?? '') === normalizeCa(ca ?? '')) return;
  history.push({ at, ...(ca ? { acceptedClientCa: ca } : {}) });
}

/** One bundle a namespace accepted, from `time` on (the emulator's view for tests; not part of the Ops API). */
export interface AcceptedCaChange {
  /** When it took effect: its create or update operation was fulfilled, or the namespace was seeded (ISO). */
  time: string;
  /** The bundle as the API answers it from then on; absent: no mTLS. */
  acceptedClientCa?: string;
  /** SHA-256 fingerprints of its certificates, in order; absent when it is not readable PEM. */
  fingerprints?: string[];
}

/** Every accepted-CA bundle the namespace has had, oldest first; 404 for a namespace that is not there. */
export function acceptedCaHistory(store: Store, id: string): AcceptedCaChange[] {
  const record = store.namespaces.get(id);
  if (!record) throw notFound('namespace', id);
  return (record.acceptedCaHistory ?? []).map(({ at, acceptedClientCa }) => {
    const fingerprints = acceptedClientCa === undefined ? [] : caBundleFingerprints(acceptedClientCa);
    return {
      time: iso(at),
      ...(acceptedClientCa === undefined ? {} : { acceptedClientCa }),
      ...(fingerprints ? { fingerprints } : {}),
    };
  });
}
