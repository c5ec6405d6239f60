import path from 'node:path';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import { DEFAULT_PAYLOAD_STORE_THRESHOLD, DirectoryPayloadStore, StoredPayloadCodec } from './payload-store';

export const DEFAULT_PAYLOAD_CODEC_KEY_ID = 'default';

/** A missing or malformed codec variable; the message names it and never echoes key material. */
export class PayloadCodecConfigError extends Error {
  override readonly name = 'PayloadCodecConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid payload configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The codec configured by `PAYLOAD_CODEC_KEY` (base64 of 32 bytes), `PAYLOAD_CODEC_KEY_ID` (default
 * `default`) and `PAYLOAD_CODEC_OLD_KEYS` (`id1:base64,id2:base64`, decode only), or undefined when
 * `PAYLOAD_CODEC_KEY` is unset (encryption off).
 */
export function payloadCodecFromEnv(env: Env = process.env): AesGcmPayloadCodec | undefined {
  const rawKey = env.PAYLOAD_CODEC_KEY?.trim();
  if (!rawKey) {
    // Half a configuration most likely means a typo'd or missing secret, not "encryption off".
    for (const variable of ['PAYLOAD_CODEC_KEY_ID', 'PAYLOAD_CODEC_OLD_KEYS']) {
      if (env[variable]?.trim()) {
        throw new PayloadCodecConfigError('PAYLOAD_CODEC_KEY', `is not set, but ${variable} is`);
      }
    }
    return undefined;
  }
  const key = decodeKey(rawKey, 'PAYLOAD_CODEC_KEY');
  const keyId = env.PAYLOAD_CODEC_KEY_ID?.trim() || DEFAULT_PAYLOAD_CODEC_KEY_ID;
  if (!KEY_ID.test(keyId)) {
    throw new PayloadCodecConfigError('PAYLOAD_CODEC_KEY_ID', 'must be 1-64 characters of [A-Za-z0-9._-]');
  }
  const oldKeys = parseOldKeys(env.PAYLOAD_CODEC_OLD_KEYS ?? '');
  const clash = oldKeys[keyId];
  if (clash && !Buffer.from(clash).equals(key)) {
    throw new PayloadCodecConfigError(
      'PAYLOAD_CODEC_OLD_KEYS',
      `has key id ${keyId} with a different key than PAYLOAD_CODEC_KEY`,
    );
  }
  return new AesGcmPayloadCodec({ keyId, key, oldKeys });
}

/**
 * Client/Worker data converter: encryption when PAYLOAD_CODEC_KEY is set, then large payloads by reference when
 * PAYLOAD_STORE_DIR is set (so what is stored is ciphertext); undefined when neither is.
 */
export function dataConverterFromEnv(env: Env = process.env): DataConverter | undefined {
  const codecs: PayloadCodec[] = [payloadCodecFromEnv(env), payloadStoreFromEnv(env)].filter(
    (c): c is NonNullable<typeof c> => c !== undefined,
  );
  return codecs.length > 0 ? { payloadCodecs: codecs } : undefined;
}

/**
 * Large payloads by reference: PAYLOAD_STORE_DIR (a directory every client and worker shares) and
 * PAYLOAD_STORE_THRESHOLD (bytes; default 128 KiB). Unset: every payload travels inline (limit 2 MB).
 */
export function payloadStoreFromEnv(env: Env = process.env): StoredPayloadCodec | undefined {
  const dir = env.PAYLOAD_STORE_DIR?.trim();
  const rawThreshold = env.PAYLOAD_STORE_THRESHOLD?.trim();
  if (!dir) {
    if (rawThreshold)
      throw new PayloadCodecConfigError('PAYLOAD_STORE_DIR', 'is not set, but PAYLOAD_STORE_THRESHOLD is');
    return undefined;
  }
  const threshold = rawThreshold ? Number(rawThreshold) : DEFAULT_PAYLOAD_STORE_THRESHOLD;
  if (!/^\d+$/.test(rawThreshold ?? '0') || threshold < 1024 || threshold > 1024 * 1024)
    throw new PayloadCodecConfigError(
      'PAYLOAD_STORE_THRESHOLD',
      'must be a whole number of bytes from 1024 to 1048576',
    );
  return new StoredPayloadCodec(new DirectoryPayloadStore(path.resolve(dir)), threshold);
}

function parseOldKeys(raw: string): Record<string, Uint8Array> {
  const keys: Record<string, Uint8Array> = {};
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon).trim() : '';
    if (!KEY_ID.test(id)) {
      throw new PayloadCodecConfigError(
        'PAYLOAD_CODEC_OLD_KEYS',
        `entry ${index + 1} must be <id>:<base64 key> with an id of [A-Za-z0-9._-]`,
      );
    }
    if (keys[id]) throw new PayloadCodecConfigError('PAYLOAD_CODEC_OLD_KEYS', `lists key id ${id} twice`);
    keys[id] = decodeKey(entry.slice(colon + 1).trim(), 'PAYLOAD_CODEC_OLD_KEYS', `key ${id} `);
  }
  return keys;
}

function decodeKey(raw: string, variable: string, label = ''): Buffer {
  // Buffer.from(..., 'base64') silently skips junk, so the shape is checked first; the value is never echoed.
  if (!BASE64.test(raw)) throw new PayloadCodecConfigError(variable, `${label}is not valid base64`);
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    throw new PayloadCodecConfigError(
      variable,
      `${label}must be base64 of exactly 32 bytes, got ${key.length} (generate one with: openssl rand -base64 32)`,
    );
  }
  return key;
}
