import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCODING_KEY = 'encoding';
export const METADATA_KEY_ID_KEY = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const ProtoPayload = temporal.api.common.v1.Payload;

/** Decoding or configuration failure. Messages name the key id, never key material or payload content. */
export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
}

export interface AesGcmPayloadCodecOptions {
  /** Id of the key used to encrypt; stored in each payload's metadata so decode can pick the key. */
  keyId: string;
  /** 32 bytes. */
  key: Uint8Array;
  /** Retired keys still needed to decode history written before a rotation; never used to encrypt. */
  oldKeys?: Record<string, Uint8Array>;
}

/**
 * End-to-end encryption of workflow payloads with AES-256-GCM. The whole serialized Payload (metadata
 * included, so the encoding of the value is hidden too) becomes `iv(12) | ciphertext | tag(16)` — the layout
 * of Temporal's encryption sample, so a codec server built from that sample can decode it.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;
  private readonly key: Buffer;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(options: AesGcmPayloadCodecOptions) {
    this.keyId = checkKeyId(options.keyId);
    this.key = checkKey(options.key, `key ${options.keyId}`);
    const keys = new Map<string, Buffer>();
    for (const [id, key] of Object.entries(options.oldKeys ?? {})) {
      keys.set(checkKeyId(id), checkKey(key, `key ${id}`));
    }
    const clash = keys.get(this.keyId);
    if (clash && !clash.equals(this.key)) {
      throw new PayloadCodecError(`Key id ${this.keyId} is given twice with different keys`);
    }
    keys.set(this.keyId, this.key);
    this.keys = keys;
  }

  /** Ids this codec can decode, current first. */
  get keyIds(): string[] {
    return [this.keyId, ...[...this.keys.keys()].filter((id) => id !== this.keyId)];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encryptOne(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decryptOne(payload));
  }

  private encryptOne(payload: Payload): Payload {
    const plaintext = ProtoPayload.encode(payload).finish();
    // A fresh random IV per payload; with 96-bit IVs the collision risk stays negligible far beyond our volumes.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [METADATA_KEY_ID_KEY]: utf8(this.keyId),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decryptOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    // Payloads written before encryption was turned on (or by other clients) stay readable.
    if (!encoding || Buffer.from(encoding).toString('utf8') !== ENCRYPTED_ENCODING) return payload;
    const rawKeyId = payload.metadata?.[METADATA_KEY_ID_KEY];
    if (!rawKeyId) throw new PayloadCodecError('Encrypted payload has no encryption-key-id metadata');
    const keyId = Buffer.from(rawKeyId).toString('utf8');
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadCodecError(
        `Encrypted payload uses unknown key id ${JSON.stringify(keyId)} (known: ${this.keyIds.join(', ')}); ` +
          'add it to PAYLOAD_CODEC_OLD_KEYS',
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadCodecError(`Encrypted payload (key id ${keyId}) is truncated: ${data.length} bytes`);
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadCodecError(
        `Encrypted payload failed authentication with key id ${keyId}: it was tampered with or encrypted with a different key`,
      );
    }
    try {
      return ProtoPayload.decode(plaintext);
    } catch {
      throw new PayloadCodecError(`Decrypted payload (key id ${keyId}) is not a valid Payload`);
    }
  }
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

function checkKeyId(id: string): string {
  if (!KEY_ID.test(id)) {
    throw new PayloadCodecError(`Key id ${JSON.stringify(id)} must be 1-64 characters of [A-Za-z0-9._-]`);
  }
  return id;
}

function checkKey(key: Uint8Array, what: string): Buffer {
  if (key.length !== KEY_BYTES) {
    throw new PayloadCodecError(`${what} must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  return Buffer.from(key);
}
