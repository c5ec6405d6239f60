// Throw-away certificates for tests: keys from node:crypto, certificates signed with node-forge (Node cannot sign X.509).
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

const DAY_MS = 86_400_000;
let serial = 1;

export interface TestCertificateOptions {
  commonName?: string;
  /** Days from `now` the certificate becomes valid (negative: in the past). Default -1. */
  validFromDays?: number;
  /** Days from `now` it expires. Default 365. */
  validForDays?: number;
  /** A CA (basicConstraints CA:TRUE, keyCertSign). Default true. */
  ca?: boolean;
  /** The issuer's common name; default the subject's (a root). Still signed by its own key. */
  issuer?: string;
  now?: Date;
}

/** A self-signed certificate in PEM; ~0.3 s each (an RSA-2048 key), so make them once per file. */
export function makeTestCertificate(options: TestCertificateOptions = {}): string {
  const {
    commonName = 'Test CA',
    validFromDays = -1,
    validForDays = 365,
    ca = true,
    issuer = commonName,
    now = new Date(),
  } = options;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = new Date(now.getTime() + validFromDays * DAY_MS);
  cert.validity.notAfter = new Date(now.getTime() + validForDays * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer([{ name: 'commonName', value: issuer }]);
  cert.setExtensions(
    ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ]
      : [{ name: 'basicConstraints', cA: false }],
  );
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Base64 of PEM text, as the API carries an accepted-CA bundle. */
export const pemToBase64 = (...pems: string[]): string =>
  Buffer.from(pems.join(''), 'utf8').toString('base64');
