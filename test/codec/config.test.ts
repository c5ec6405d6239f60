import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  encodeToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import {
  AesGcmPayloadCodec,
  PayloadCodecConfigError,
  dataConverterFromEnv,
  payloadCodecFromEnv,
} from '../../src/codec';
import { thrown } from '../helpers/thrown';

const key = randomBytes(32);
const keyB64 = key.toString('base64');
const oldKey = randomBytes(32);
const oldB64 = oldKey.toString('base64');

const configError = (env: Record<string, string | undefined>) =>
  thrown(() => payloadCodecFromEnv(env), PayloadCodecConfigError);

describe('dataConverterFromEnv / payloadCodecFromEnv', () => {
  it('is off (undefined) without PAYLOAD_CODEC_KEY', () => {
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({ PAYLOAD_CODEC_KEY: '' })).toBeUndefined();
  });

  it('returns { payloadCodecs: [codec] } with the default key id', () => {
    const converter = dataConverterFromEnv({ PAYLOAD_CODEC_KEY: keyB64 });
    expect(Object.keys(converter ?? {})).toEqual(['payloadCodecs']);
    const [codec] = converter?.payloadCodecs ?? [];
    expect(codec).toBeInstanceOf(AesGcmPayloadCodec);
    expect((codec as AesGcmPayloadCodec).keyId).toBe('default');
  });

  it('plugs into the SDK data converter pipeline (what Client and Worker run)', async () => {
    const converter = loadDataConverter(dataConverterFromEnv({ PAYLOAD_CODEC_KEY: keyB64 }));
    const args = [{ apiKey: 'tcld_plaintext_token' }, 'second'];
    const payloads = (await encodeToPayloads(converter, ...args)) ?? [];
    expect(payloads).toHaveLength(2);
    for (const payload of payloads) {
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
      expect(Buffer.from(payload.data ?? []).includes('tcld_plaintext_token')).toBe(false);
    }
    expect(await decodeArrayFromPayloads(converter, payloads)).toEqual(args);
  });

  it('reads the key id and old keys, and decodes what the old key wrote', async () => {
    const codec = payloadCodecFromEnv({
      PAYLOAD_CODEC_KEY: keyB64,
      PAYLOAD_CODEC_KEY_ID: 'k2026',
      PAYLOAD_CODEC_OLD_KEYS: ` k2024:${randomBytes(32).toString('base64')}, k2025:${oldB64} `,
    });
    expect(codec?.keyIds).toEqual(['k2026', 'k2024', 'k2025']);
    const written = await new AesGcmPayloadCodec({ keyId: 'k2025', key: oldKey }).encode([
      defaultPayloadConverter.toPayload('history'),
    ]);
    const [decoded] = (await codec?.decode(written)) ?? [];
    expect(decoded && defaultPayloadConverter.fromPayload(decoded)).toBe('history');
  });

  it.each([
    [{ PAYLOAD_CODEC_KEY: 'not base64!' }, 'PAYLOAD_CODEC_KEY', 'is not valid base64'],
    [
      { PAYLOAD_CODEC_KEY: randomBytes(16).toString('base64') },
      'PAYLOAD_CODEC_KEY',
      'exactly 32 bytes, got 16',
    ],
    [{ PAYLOAD_CODEC_KEY: keyB64.slice(0, -1) }, 'PAYLOAD_CODEC_KEY', 'is not valid base64'],
    [{ PAYLOAD_CODEC_KEY_ID: 'k1' }, 'PAYLOAD_CODEC_KEY', 'is not set, but PAYLOAD_CODEC_KEY_ID is'],
    [
      { PAYLOAD_CODEC_OLD_KEYS: `a:${oldB64}` },
      'PAYLOAD_CODEC_KEY',
      'is not set, but PAYLOAD_CODEC_OLD_KEYS is',
    ],
    [
      { PAYLOAD_CODEC_KEY: keyB64, PAYLOAD_CODEC_KEY_ID: 'has space' },
      'PAYLOAD_CODEC_KEY_ID',
      '1-64 characters',
    ],
    [
      { PAYLOAD_CODEC_KEY: keyB64, PAYLOAD_CODEC_OLD_KEYS: oldB64 },
      'PAYLOAD_CODEC_OLD_KEYS',
      'entry 1 must be',
    ],
    [
      { PAYLOAD_CODEC_KEY: keyB64, PAYLOAD_CODEC_OLD_KEYS: 'old:short' },
      'PAYLOAD_CODEC_OLD_KEYS',
      'key old ',
    ],
    [
      { PAYLOAD_CODEC_KEY: keyB64, PAYLOAD_CODEC_OLD_KEYS: `a:${oldB64},a:${oldB64}` },
      'PAYLOAD_CODEC_OLD_KEYS',
      'lists key id a twice',
    ],
    [
      { PAYLOAD_CODEC_KEY: keyB64, PAYLOAD_CODEC_OLD_KEYS: `default:${oldB64}` },
      'PAYLOAD_CODEC_OLD_KEYS',
      'key id default with a different key',
    ],
  ])('names the variable for %j', (env, variable, problem) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(problem);
    // Key material is never echoed.
    expect(error.message).not.toContain(keyB64);
    expect(error.message).not.toContain(oldB64);
    expect(() => dataConverterFromEnv(env)).toThrow(PayloadCodecConfigError);
  });
});
