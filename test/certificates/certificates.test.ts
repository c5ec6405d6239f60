import {
  caBundleFromBase64,
  caBundleToBase64,
  checkNewCa,
  parseCertificates,
  uniqueCertificates,
} from '../../src/certificates';
import { makeTestCertificate, pemToBase64 } from '../helpers/certificates';

const now = new Date('2026-12-07T00:00:00Z');
const caA = makeTestCertificate({ commonName: 'CA A', now, validForDays: 30 });
const caB = makeTestCertificate({ commonName: 'CA B', now, validForDays: 400 });

describe('certificates', () => {
  test('reads a bundle: every certificate, its facts, whatever lies between the blocks', () => {
    const certs = parseCertificates(`# old CA\n${caA}\n\n# new CA\r\n${caB}`);
    expect(certs.map((c) => c.subject)).toEqual(['CN=CA A', 'CN=CA B']);
    expect(certs[0]).toMatchObject({
      isCa: true,
      notAfter: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
    });
    expect(certs[0]!.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('round-trips through the base64 the API carries', () => {
    const certs = caBundleFromBase64(pemToBase64(caA, caB));
    expect(caBundleFromBase64(caBundleToBase64(certs)).map((c) => c.fingerprint)).toEqual(
      certs.map((c) => c.fingerprint),
    );
  });

  test('keeps each certificate of a bundle once, by fingerprint, in order', () => {
    const [a, b] = parseCertificates(caA + caB);
    expect(uniqueCertificates([a!, b!, a!]).map((c) => c.subject)).toEqual(['CN=CA A', 'CN=CA B']);
  });

  test('refuses malformed input, naming the certificate', () => {
    expect(() => parseCertificates('hello')).toThrow(/no PEM certificate/);
    const broken = caB.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    expect(() => parseCertificates(caA + broken)).toThrow(/certificate 2 is malformed/);
  });

  test('refuses a new CA that is expired, not valid yet or not a CA', () => {
    const ok = parseCertificates(caA);
    expect(() => checkNewCa(ok, now)).not.toThrow();
    const expired = parseCertificates(makeTestCertificate({ now, validFromDays: -10, validForDays: -1 }));
    expect(() => checkNewCa(expired, now)).toThrow(/certificate 1 \(CN=Test CA\) expired on/);
    const future = parseCertificates(makeTestCertificate({ now, validFromDays: 2 }));
    expect(() => checkNewCa([...ok, ...future], now)).toThrow(/certificate 2 .* is not valid until/);
    const leaf = parseCertificates(makeTestCertificate({ now, ca: false, commonName: 'leaf' }));
    expect(() => checkNewCa(leaf, now)).toThrow(/certificate 1 \(CN=leaf\) is not a CA certificate/);
  });
});
