// Reading the CA certificates a namespace accepts for mTLS (Node only: workflows get the facts from activities).
import { X509Certificate } from 'node:crypto';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** What the product needs to know of one accepted CA; never the key, only public facts. */
export interface CaCertificate {
  /** SHA-256 of the DER, upper-case hex with colons (as `openssl x509 -fingerprint -sha256` prints it). */
  fingerprint: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  /** ISO-8601. */
  notBefore: string;
  notAfter: string;
  isCa: boolean;
  /** The certificate's own PEM block, normalized (one block, `\n` line ends). */
  pem: string;
}

/** A certificate the product refuses; the message names which one (by position and subject) and why. */
export class CertificateError extends Error {
  override readonly name = 'CertificateError';
  constructor(
    message: string,
    /** 1-based position in the bundle, when the problem is one certificate's. */
    readonly index?: number,
  ) {
    super(message);
  }
}

/** Splits PEM text into its certificate blocks; anything between blocks (comments, blank lines) is ignored. */
export function pemBlocks(text: string): string[] {
  return [...text.matchAll(PEM_CERTIFICATE)].map((m) => m[0]);
}

/** Parses every certificate of a PEM bundle; throws {@link CertificateError} on a block that is not one. */
export function parseCertificates(pemText: string): CaCertificate[] {
  const blocks = pemBlocks(pemText);
  if (blocks.length === 0)
    throw new CertificateError('no PEM certificate (-----BEGIN CERTIFICATE-----) found');
  return blocks.map((block, i) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new CertificateError(`certificate ${i + 1} is malformed: ${why}`, i + 1);
    }
    return {
      fingerprint: cert.fingerprint256,
      subject: cert.subject.replace(/\n/g, ', '),
      issuer: cert.issuer.replace(/\n/g, ', '),
      serialNumber: cert.serialNumber,
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: new Date(cert.validTo).toISOString(),
      isCa: cert.ca,
      pem: cert.toString().trim() + '\n',
    };
  });
}

/** The API carries the bundle as base64 of its PEM text. */
export const caBundleFromBase64 = (base64: string): CaCertificate[] =>
  parseCertificates(Buffer.from(base64, 'base64').toString('utf8'));

export const caBundleToBase64 = (certs: readonly Pick<CaCertificate, 'pem'>[]): string =>
  Buffer.from(certs.map((c) => c.pem).join(''), 'utf8').toString('base64');

/** The fingerprints of a base64 bundle's certificates, in order; undefined when it is not readable PEM. */
export function caBundleFingerprints(base64: string): string[] | undefined {
  try {
    return caBundleFromBase64(base64).map((c) => c.fingerprint);
  } catch (error) {
    if (error instanceof CertificateError) return undefined;
    throw error;
  }
}

/**
 * Refuses a CA that must not be added to a namespace's bundle: not a CA, expired, or not valid yet at `now`.
 * A bundle with such a certificate would either be useless or, for an expired one, hide the real expiry.
 */
export function checkNewCa(certs: readonly CaCertificate[], now: Date): void {
  certs.forEach((c, i) => {
    const which = `certificate ${i + 1} (${c.subject})`;
    if (!c.isCa)
      throw new CertificateError(`${which} is not a CA certificate (basicConstraints CA:FALSE)`, i + 1);
    if (Date.parse(c.notAfter) <= now.getTime()) {
      throw new CertificateError(`${which} expired on ${c.notAfter}`, i + 1);
    }
    if (Date.parse(c.notBefore) > now.getTime()) {
      throw new CertificateError(`${which} is not valid until ${c.notBefore}`, i + 1);
    }
  });
}

/** The certificates of `bundle` in order, each once (by fingerprint). */
export function uniqueCertificates(bundle: readonly CaCertificate[]): CaCertificate[] {
  const seen = new Set<string>();
  return bundle.filter((c) => !seen.has(c.fingerprint) && seen.add(c.fingerprint));
}
