// Large payloads by reference (src/codec/payload-store.ts): what goes to the store and what stays inline, the
// reference history keeps, the digest check on the way back, and the order with encryption.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  decodeArrayFromPayloads,
  encodeToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import {
  AesGcmPayloadCodec,
  DirectoryPayloadStore,
  PayloadCodecConfigError,
  PayloadCodecError,
  StoredPayloadCodec,
  dataConverterFromEnv,
  payloadStoreFromEnv,
} from '../../src/codec';
import { thrown } from '../helpers/thrown';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'payload-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const big = {
  keys: Array.from({ length: 400 }, (_, i) => ({ displayName: `key-${i}`, ownerId: `sa-${i}` })),
};
const files = async () => (await readdir(dir)).filter((f) => f.endsWith('.payload'));

describe('StoredPayloadCodec', () => {
  it('stores a payload over the threshold, keeps only its digest and size inline, and reads it back', async () => {
    const converter = loadDataConverter({
      payloadCodecs: [new StoredPayloadCodec(new DirectoryPayloadStore(dir), 2048)],
    });
    const payloads = (await encodeToPayloads(converter, big, 'small')) ?? [];
    const [stored, inline] = payloads;
    expect(Buffer.from(stored!.metadata!.encoding!).toString()).toBe('binary/stored');
    const ref = JSON.parse(Buffer.from(stored!.data!).toString()) as { sha256: string; bytes: number };
    expect(ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ref.bytes).toBeGreaterThan(2048);
    expect(stored!.data!.length).toBeLessThan(200);
    // Under the threshold: untouched.
    expect(Buffer.from(inline!.metadata!.encoding!).toString()).toBe('json/plain');
    expect(await files()).toEqual([`${ref.sha256}.payload`]);
    expect(await decodeArrayFromPayloads(converter, payloads)).toEqual([big, 'small']);
    // The same value again is the same file.
    await encodeToPayloads(converter, big);
    expect(await files()).toHaveLength(1);
  });

  it('refuses a stored payload that changed or is missing, naming the variable to check', async () => {
    const codec = new StoredPayloadCodec(new DirectoryPayloadStore(dir), 2048);
    const converter = loadDataConverter({ payloadCodecs: [codec] });
    const payloads = await encodeToPayloads(converter, big);
    const [file] = await files();
    const bytes = await readFile(path.join(dir, file!));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    await writeFile(path.join(dir, file!), bytes);
    await expect(decodeArrayFromPayloads(converter, payloads)).rejects.toThrow(/does not match its digest/);
    await rm(path.join(dir, file!));
    const missing = await decodeArrayFromPayloads(converter, payloads).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PayloadCodecError);
    expect((missing as Error).message).toMatch(/is not in .*PAYLOAD_STORE_DIR/);
  });

  it('after encryption: what is stored is ciphertext, and it decodes through both', async () => {
    const converter = loadDataConverter(
      dataConverterFromEnv({
        PAYLOAD_CODEC_KEY: randomBytes(32).toString('base64'),
        PAYLOAD_STORE_DIR: dir,
        PAYLOAD_STORE_THRESHOLD: '2048',
      }),
    );
    expect(converter.payloadCodecs.map((c) => c.constructor)).toEqual([
      AesGcmPayloadCodec,
      StoredPayloadCodec,
    ]);
    const payloads = await encodeToPayloads(converter, big);
    const [file] = await files();
    expect((await readFile(path.join(dir, file!))).toString('latin1')).not.toContain('key-1');
    expect(await decodeArrayFromPayloads(converter, payloads)).toEqual([big]);
  });
});

describe('payloadStoreFromEnv', () => {
  const configError = (env: Record<string, string>) =>
    thrown(() => payloadStoreFromEnv(env), PayloadCodecConfigError);

  it('is off without PAYLOAD_STORE_DIR, 128 KiB by default with it', () => {
    expect(payloadStoreFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(payloadStoreFromEnv({ PAYLOAD_STORE_DIR: dir })).toMatchObject({ thresholdBytes: 128 * 1024 });
  });

  it('rejects a threshold without a directory, or one out of range, naming the variable', () => {
    expect(configError({ PAYLOAD_STORE_THRESHOLD: '4096' }).message).toMatch(/PAYLOAD_STORE_DIR is not set/);
    for (const bad of ['12', '2MB', '4194304'])
      expect(configError({ PAYLOAD_STORE_DIR: dir, PAYLOAD_STORE_THRESHOLD: bad }).message).toMatch(
        /PAYLOAD_STORE_THRESHOLD must be a whole number of bytes/,
      );
  });
});
