// API keys: their spec's rules (an owner that exists, an expiry within limits), create / seed / update /
// delete. A deleted owner's keys stay (see principals.ts). Only a token's sha256 is ever kept.
import { randomInt } from 'node:crypto';
import { invalid } from '../errors';
import { checkExpiry, checkLength, checkOwnerType, requireString } from '../rules';
import { checkVersion, failedPrecondition, type ResourceType, type Store } from './core';
import {
  iso,
  newId,
  renderTracked,
  sha256,
  type ApiKeyRecord,
  type ApiKeySpec,
  type Json,
  type MutationOptions,
  type StoredApiKeySpec,
} from './records';

export const API_KEY: ResourceType<ApiKeyRecord> = {
  what: 'API key',
  creating: 'activating',
  deleteFailed: 'active',
  deleteRefused: ['activating'],
  render: (r) => renderTracked(r),
};

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function newApiKeyToken(): string {
  let out = 'tmprl_';
  for (let i = 0; i < 40; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

function validateSpec(store: Store, spec: ApiKeySpec, now: number): ApiKeySpec {
  const displayName = requireString(spec.displayName, 'spec.displayName');
  checkLength(displayName, 1, 128, 'spec.displayName');
  const ownerType = requireString(spec.ownerType, 'spec.ownerType');
  checkOwnerType(ownerType);
  const ownerId = requireString(spec.ownerId, 'spec.ownerId');
  const expiryTime = requireString(spec.expiryTime, 'spec.expiryTime');
  const expiresAt = checkExpiry(expiryTime, now);
  const owner = ownerType === 'user' ? store.users.get(ownerId) : store.serviceAccounts.get(ownerId);
  // An unknown owner is a bad argument of this request, not a missing resource at this URL.
  if (!owner || owner.state === 'deleting') {
    throw invalid('spec.ownerId', `no ${ownerType} '${ownerId}' exists`);
  }
  return { displayName, ownerId, ownerType, expiryTime: iso(expiresAt) };
}

export function createApiKey(store: Store, body: { spec: ApiKeySpec }, options: MutationOptions) {
  const spec = validateSpec(store, body.spec, options.now);
  const token = newApiKeyToken();
  const { record, asyncOperationId } = store.create(
    'apiKey',
    'createApiKey',
    { id: newId(), spec, tokenSha256: sha256(token) },
    options,
  );
  return { keyId: record.id, token, asyncOperationId };
}

export function seedApiKey(store: Store, spec: ApiKeySpec, now: number, unmodelled?: Json) {
  const token = newApiKeyToken();
  const fields = { id: newId(), spec: validateSpec(store, spec, now), state: 'active' as const };
  const record = store.insert('apiKey', { ...fields, tokenSha256: sha256(token) }, now, unmodelled);
  return { keyId: record.id, token };
}

/** updateApiKey (the real API only): the whole spec; the owner cannot change, a key can be disabled. */
export function updateApiKey(
  store: Store,
  id: string,
  body: { resourceVersion: string; spec: StoredApiKeySpec },
  options: MutationOptions,
) {
  const record = store.existing('apiKey', id);
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
  checkVersion(record, 'API key', body.resourceVersion);
  const { disabled: _was, ...kept } = record.spec;
  const next: StoredApiKeySpec = {
    ...kept,
    displayName,
    expiryTime: expiry,
    ...(spec.disabled === true ? { disabled: true } : {}),
  };
  return store.update('apiKey', 'updateApiKey', record, next, options);
}
