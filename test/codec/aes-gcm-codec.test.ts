import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  METADATA_KEY_ID_KEY,
  PayloadCodecError,
} from '../../src/codec';

const SECRET = 'tcld_super_secret_token_value_0123456789';
const key = randomBytes(32);
const codec = new AesGcmPayloadCodec({ keyId: 'k2026', key });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

function payloadOf(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

describe('AesGcmPayloadCodec', () => {
  it('round-trips payloads, including metadata, empty data and binary', async () => {
    const payloads = [
      payloadOf({ token: SECRET, nested: [1, 'two', null] }),
      payloadOf(undefined),
      payloadOf(new Uint8Array([0, 1, 2, 255])),
      payloadOf('plain string'),
    ];
    const encoded = await codec.encode(payloads);
    expect(encoded).toHaveLength(payloads.length);
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { token: SECRET, nested: [1, 'two', null] },
      undefined,
      new Uint8Array([0, 1, 2, 255]),
      'plain string',
    ]);
    expect(decoded[0]?.metadata?.encoding && text(decoded[0].metadata.encoding)).toBe('json/plain');
    await expect(codec.encode([])).resolves.toEqual([]);
  });

  it('hides the value and its original encoding; data is iv(12) + ciphertext + tag(16)', async () => {
    const original = payloadOf({ token: SECRET });
    const [encoded] = await codec.encode([original]);
    expect(Object.keys(encoded?.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    expect(text(encoded?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded?.metadata?.[METADATA_KEY_ID_KEY])).toBe('k2026');
    const bytes = Buffer.from(encoded?.data ?? []);
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
    expect(bytes.includes(Buffer.from('tcld_'))).toBe(false);
    expect(bytes.includes(Buffer.from('json/plain'))).toBe(false);
    // The whole serialized Payload is encrypted; GCM adds no padding, so only the IV and tag are extra.
    const protoLength = temporal.api.common.v1.Payload.encode(original).finish().length;
    expect(bytes.length).toBe(protoLength + 12 + 16);
  });

  it('uses a fresh IV every time', async () => {
    const [a, b] = await codec.encode([payloadOf('same'), payloadOf('same')]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
    expect(
      Buffer.from(a?.data ?? [])
        .subarray(0, 12)
        .equals(Buffer.from(b?.data ?? []).subarray(0, 12)),
    ).toBe(false);
  });

  it('passes unencrypted payloads through on decode', async () => {
    const plain = [payloadOf({ hello: 'world' }), { metadata: {}, data: new Uint8Array([1]) }, {}];
    const decoded = await codec.decode(plain);
    expect(decoded).toEqual(plain);
    expect(decoded[0]).toBe(plain[0]);
  });

  it.each([
    ['IV', 0],
    ['ciphertext', 20],
    ['tag', -1],
  ])('detects tampering with the %s', async (_part, offset) => {
    const [encoded] = await codec.encode([payloadOf({ token: SECRET })]);
    const data = Buffer.from(encoded?.data ?? []);
    const at = offset < 0 ? data.length + offset : offset;
    data[at] = (data[at] ?? 0) ^ 0x01;
    const error = await codec.decode([{ ...encoded, data }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadCodecError);
    expect((error as Error).message).toMatch(/failed authentication with key id k2026: it was tampered with/);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('rejects truncated data and a missing key id', async () => {
    const [encoded] = await codec.encode([payloadOf('x')]);
    await expect(codec.decode([{ ...encoded, data: new Uint8Array(27) }])).rejects.toThrow(
      /truncated: 27 bytes/,
    );
    const metadata = { encoding: Buffer.from(ENCRYPTED_ENCODING) };
    await expect(codec.decode([{ metadata, data: encoded?.data }])).rejects.toThrow(/no encryption-key-id/);
  });

  it('fails clearly on an unknown key id, listing the known ones', async () => {
    const other = new AesGcmPayloadCodec({ keyId: 'elsewhere', key: randomBytes(32) });
    const encoded = await other.encode([payloadOf('x')]);
    await expect(codec.decode(encoded)).rejects.toThrow(
      'Encrypted payload uses unknown key id "elsewhere" (known: k2026); add it to PAYLOAD_CODEC_OLD_KEYS',
    );
  });

  it('fails authentication when the key id matches but the key does not', async () => {
    const impostor = new AesGcmPayloadCodec({ keyId: 'k2026', key: randomBytes(32) });
    const encoded = await impostor.encode([payloadOf('x')]);
    await expect(codec.decode(encoded)).rejects.toThrow(/failed authentication with key id k2026/);
  });

  it('decodes with old keys after rotation but encrypts only with the current key', async () => {
    const oldKey = randomBytes(32);
    const before = new AesGcmPayloadCodec({ keyId: 'k2025', key: oldKey });
    const history = await before.encode([payloadOf({ written: 'before rotation' })]);

    const rotated = new AesGcmPayloadCodec({ keyId: 'k2026', key, oldKeys: { k2025: oldKey } });
    expect(rotated.keyIds).toEqual(['k2026', 'k2025']);
    const [decoded] = await rotated.decode(history);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual({ written: 'before rotation' });

    const [fresh] = await rotated.encode([payloadOf('new')]);
    expect(text(fresh?.metadata?.[METADATA_KEY_ID_KEY])).toBe('k2026');
    // Payloads written after rotation are readable by anything holding the new key, and not by the old one.
    await expect(codec.decode([fresh as Payload])).resolves.toHaveLength(1);
    await expect(before.decode([fresh as Payload])).rejects.toThrow(/unknown key id "k2026"/);
  });

  it('validates keys and key ids', () => {
    expect(() => new AesGcmPayloadCodec({ keyId: 'k', key: randomBytes(16) })).toThrow(
      'key k must be 32 bytes, got 16',
    );
    expect(() => new AesGcmPayloadCodec({ keyId: 'bad id', key })).toThrow(/must be 1-64 characters/);
    expect(() => new AesGcmPayloadCodec({ keyId: 'k', key, oldKeys: { k: randomBytes(32) } })).toThrow(
      'Key id k is given twice with different keys',
    );
    expect(() => new AesGcmPayloadCodec({ keyId: 'k', key, oldKeys: { k: key } })).not.toThrow();
  });
});
