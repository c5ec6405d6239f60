// Large payloads kept out of workflow history (the claim-check pattern): a payload over the threshold is written
// to a directory, named by its SHA-256, and history carries only a small reference (digest and size); decoding
// reads it back and checks the digest. Every client and worker of the task queue must see the same directory (one
// machine, or a shared volume). Placed after the encryption codec, it stores what that codec made: ciphertext.
//
// A codec rather than the SDK's own External Storage (@temporalio/common 1.24, experimental): that one fails in
// this dependency tree ("type must be a Type": @temporalio/common and @temporalio/proto each get their own copy of
// protobufjs 8, because @grpc/proto-loader's protobufjs 7 takes the top-level slot).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { METADATA_ENCODING_KEY, PayloadCodecError } from './aes-gcm-codec';

const ProtoPayload = temporal.api.common.v1.Payload;
const DIGEST = /^[0-9a-f]{64}$/;

export const STORED_ENCODING = 'binary/stored';
/** Payloads above this go to the store: well under the 512 KB a history event may reach in our targets. */
export const DEFAULT_PAYLOAD_STORE_THRESHOLD = 128 * 1024;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** A content-addressed directory of serialized payloads: writing one twice is writing it once. */
export class DirectoryPayloadStore {
  constructor(readonly dir: string) {}

  async put(bytes: Uint8Array): Promise<string> {
    const digest = sha256(bytes);
    await mkdir(this.dir, { recursive: true });
    // Written under a temporary name, then renamed: a reader never sees half a payload.
    const tmp = path.join(this.dir, `.${digest}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, bytes);
    await rename(tmp, this.fileOf(digest));
    return digest;
  }

  async get(digest: string): Promise<Uint8Array> {
    if (!DIGEST.test(digest)) throw new PayloadCodecError('stored payload reference has no valid sha256');
    let bytes: Buffer;
    try {
      bytes = await readFile(this.fileOf(digest));
    } catch (err) {
      throw new PayloadCodecError(
        `stored payload ${digest} is not in ${this.dir} (${(err as NodeJS.ErrnoException).code}): ` +
          'every client and worker needs the same PAYLOAD_STORE_DIR',
      );
    }
    if (sha256(bytes) !== digest)
      throw new PayloadCodecError(`stored payload ${digest} does not match its digest`);
    return bytes;
  }

  private fileOf(digest: string): string {
    return path.join(this.dir, `${digest}.payload`);
  }
}

/** Replaces each payload over `thresholdBytes` by a reference to it in the store. */
export class StoredPayloadCodec implements PayloadCodec {
  constructor(
    readonly store: DirectoryPayloadStore,
    readonly thresholdBytes = DEFAULT_PAYLOAD_STORE_THRESHOLD,
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const bytes = ProtoPayload.encode(payload).finish();
        if (bytes.length <= this.thresholdBytes) return payload;
        const sha = await this.store.put(bytes);
        return {
          metadata: { [METADATA_ENCODING_KEY]: utf8(STORED_ENCODING) },
          data: utf8(JSON.stringify({ sha256: sha, bytes: bytes.length })),
        };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
        if (!encoding || Buffer.from(encoding).toString('utf8') !== STORED_ENCODING) return payload;
        const ref = referenceOf(payload.data);
        return ProtoPayload.decode(await this.store.get(ref.sha256));
      }),
    );
  }
}

function referenceOf(data: Uint8Array | null | undefined): { sha256: string } {
  try {
    const ref = JSON.parse(Buffer.from(data ?? []).toString('utf8')) as { sha256?: unknown };
    if (typeof ref.sha256 === 'string') return { sha256: ref.sha256 };
  } catch {
    // Reported below.
  }
  throw new PayloadCodecError('stored payload reference is not valid JSON with a sha256');
}
