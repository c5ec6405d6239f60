// Accepted-CA bundles as the real service treats them (realism switch `caBundleChecks`): real X.509 CA
// certificates only, kept re-encoded.
import { X509Certificate } from 'node:crypto';
import { caBundleFromBase64, caBundleToBase64, CertificateError, type CaCertificate } from '../certificates';
import { invalid } from './errors';

/** The documented limits of a bundle (docs.temporal.io/cloud/certificates). */
export const MAX_BUNDLE_CERTIFICATES = 16;
export const MAX_BUNDLE_PEM_BYTES = 32 * 1024;

/**
 * The bundle as the real service keeps it (each certificate re-encoded, whatever stood between them dropped), or
 * INVALID_ARGUMENT naming the certificate: not PEM, not X.509, not a CA, or neither a root nor issued by another
 * certificate of the bundle; or the whole: over 16 certificates or 32 KB (docs.temporal.io/cloud/certificates).
 */
export function checkedCaBundle(base64: string, field: string): string {
  const bytes = Buffer.from(base64, 'base64').length;
  if (bytes > MAX_BUNDLE_PEM_BYTES) {
    throw invalid(field, `is ${bytes} bytes of PEM; a bundle may have at most ${MAX_BUNDLE_PEM_BYTES}`);
  }
  let certs: CaCertificate[];
  try {
    certs = caBundleFromBase64(base64);
  } catch (error) {
    if (error instanceof CertificateError) throw invalid(field, error.message);
    throw error;
  }
  if (certs.length > MAX_BUNDLE_CERTIFICATES) {
    throw invalid(
      field,
      `has ${certs.length} certificates; a bundle may have at most ${MAX_BUNDLE_CERTIFICATES}`,
    );
  }
  const x509 = certs.map((c) => new X509Certificate(c.pem));
  certs.forEach((c, i) => {
    const which = `certificate ${i + 1} (${c.subject})`;
    if (!c.isCa)
      throw invalid(field, `${which} is not a CA certificate (basicConstraints CA:TRUE is required)`);
    const self = x509[i]!;
    if (!self.checkIssued(self) && !x509.some((other, j) => j !== i && self.checkIssued(other))) {
      throw invalid(
        field,
        `${which} is neither a root certificate nor issued by another certificate of the bundle`,
      );
    }
  });
  return caBundleToBase64(certs);
}
