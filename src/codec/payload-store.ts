// Large payloads kept out of workflow history (the claim-check pattern, through the SDK's External Storage):
// a payload over the threshold is written to a directory, named by its SHA-256, and history carries only the
// reference (driver name, digest, size). Every client and worker of the task queue must see the same directory
// (one machine, or a shared volume); what is stored is what the codecs made of it (encrypted when they encrypt).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ExternalStorage,
  StorageDriverClaim,
  type Payload,
  type StorageDriver,
  type StorageDriverRetrieveContext,
  type StorageDriverStoreContext,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PayloadCodecError } from './aes-gcm-codec';

const ProtoPayload = temporal.api.common.v1.Payload;
const DIGEST = /^[0-9a-f]{64}$/;

export const PAYLOAD_STORE_DRIVER = 'payload-dir';
/** Payloads above this go to the store: well under the 512 KB a history event may reach in our targets. */
export const DEFAULT_PAYLOAD_STORE_THRESHOLD = 128 * 1024;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A content-addressed directory of serialized payloads: writing one twice is writing it once. */
export class DirectoryStorageDriver implements StorageDriver {
  readonly name = PAYLOAD_STORE_DRIVER;
  readonly type = 'local.directory';

  constructor(readonly dir: string) {}

  async store(_context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    await mkdir(this.dir, { recursive: true });
    return Promise.all(
      payloads.map(async (payload) => {
        const bytes = ProtoPayload.encode(payload).finish();
        const digest = sha256(bytes);
        // Written under a temporary name, then renamed: a reader never sees half a payload.
        const tmp = path.join(this.dir, `.${digest}.${randomBytes(4).toString('hex')}.tmp`);
        await writeFile(tmp, bytes);
        await rename(tmp, this.fileOf(digest));
        return new StorageDriverClaim({ sha256: digest });
      }),
    );
  }

  async retrieve(_context: StorageDriverRetrieveContext, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return Promise.all(
      claims.map(async ({ claimData }) => {
        const digest = claimData.sha256 ?? '';
        if (!DIGEST.test(digest)) throw new PayloadCodecError(`stored payload claim has no valid sha256`);
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
        return ProtoPayload.decode(bytes);
      }),
    );
  }

  private fileOf(digest: string): string {
    return path.join(this.dir, `${digest}.payload`);
  }
}

/** External storage over one directory, for payloads larger than `thresholdBytes`. */
export function directoryStorage(
  dir: string,
  thresholdBytes = DEFAULT_PAYLOAD_STORE_THRESHOLD,
): ExternalStorage {
  return new ExternalStorage({
    drivers: [new DirectoryStorageDriver(dir)],
    payloadSizeThreshold: thresholdBytes,
  });
}
