// A namespace's accepted CAs as PEM files beside the desired-state file (Node only): read and checked when the file is
// loaded, and put into the state as the bundle itself (base64 of the PEM, as the API carries it), so the plan, the
// workflows and a schedule never read files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  caBundleToBase64,
  CertificateError,
  checkNewCa,
  parseCertificates,
  uniqueCertificates,
  type CaCertificate,
} from '../certificates';
import { pathOf, type DesiredState, type DesiredStateFile, type FileProblem } from './schema';

/** A bundle holds at most this many CAs (docs.temporal.io/cloud/certificates). */
const MAX_CERTIFICATES = 16;

/** One file's certificates, or the problem naming the file: unreadable, not PEM, or a CA not valid `now`. */
function readCaFile(dir: string, file: string, now: Date): CaCertificate[] | string {
  let text: string;
  try {
    text = readFileSync(path.resolve(dir, file), 'utf8');
  } catch (err) {
    return `${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  try {
    const certs = parseCertificates(text);
    checkNewCa(certs, now);
    return certs;
  } catch (err) {
    if (err instanceof CertificateError) return `${file}: ${err.message}`;
    throw err;
  }
}

/**
 * The state with every list of CA files read into its bundle (relative paths from `dir`), or every problem: each
 * file's by its place in the file (`namespaces[0].mtlsAuth.acceptedClientCa[1]`).
 */
export function resolveCaFiles(
  state: DesiredStateFile,
  dir: string,
  now: Date = new Date(),
): { state: DesiredState; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const namespaces = state.namespaces.map((ns, i) => {
    const files = ns.mtlsAuth?.acceptedClientCa;
    if (!Array.isArray(files)) return ns as DesiredState['namespaces'][number];
    const where = ['namespaces', i, 'mtlsAuth', 'acceptedClientCa'];
    const certs: CaCertificate[] = [];
    files.forEach((file, j) => {
      const read = readCaFile(dir, file, now);
      if (typeof read === 'string') problems.push({ path: pathOf([...where, j]), message: read });
      else certs.push(...read);
    });
    const unique = uniqueCertificates(certs);
    if (unique.length > MAX_CERTIFICATES) {
      problems.push({
        path: pathOf(where),
        message: `holds ${unique.length} CAs; a bundle holds at most ${MAX_CERTIFICATES}`,
      });
    }
    return { ...ns, mtlsAuth: { ...ns.mtlsAuth!, acceptedClientCa: caBundleToBase64(unique) } };
  });
  return { state: { ...state, namespaces }, problems };
}
