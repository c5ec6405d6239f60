// An mTLS CA rotation's steps on the Ops API: what a namespace accepts now and whether the new CA may join it (Node's
// X509Certificate: workflows get these facts from here), and each change of its bundle, made once under the step's
// own operation id. Certificates are public: their facts and PEM may enter a workflow's history.
import { ApplicationFailure } from '@temporalio/common';
import {
  caBundleFromBase64,
  caBundleToBase64,
  CertificateError,
  checkNewCa,
  uniqueCertificates,
  type CaCertificate,
} from '../certificates';
import type { Namespace, OpsApiClient } from '../ops-api';
import { withNamespaceChanges } from '../ops-api/resources';
import { FailureType } from '../shared/failure-types';
import { isLive } from '../shared/resources';
import { changeOnce, type ChangeResult } from './change-once';
import type { ActivityDeps } from './deps';
import { findNamespaceByName } from './namespaces';

/** What a run shows of one CA. */
export interface CaSummary {
  fingerprint: string;
  subject: string;
  notAfter: string;
}

/** The documented limits of a bundle (docs.temporal.io/cloud/certificates). */
const MAX_CERTIFICATES = 16;
const MAX_PEM_BYTES = 32 * 1024;

export interface InspectNamespaceCaInput {
  /** The namespace's name. */
  namespace: string;
  /** The new CA(s): base64 of PEM. */
  newCa: string;
  /** Fingerprints (normalized) of the CAs to remove at the cut-over; default every other CA accepted now. */
  replace?: string[];
}

export interface NamespaceCaInspection {
  /** The namespace's id. */
  namespace: string;
  /** The bundle as read (base64 of PEM): what an abort puts back. */
  bundleAsFound: string;
  accepted: CaSummary[];
  incoming: CaSummary[];
  /** Fingerprints of new CAs the namespace accepts already. */
  alreadyAccepted: string[];
  /** Fingerprints of the CAs the cut-over removes. */
  replaced: string[];
}

/** A change of the bundle: the new CAs added, the old ones removed (the new ones must still be there), or it put back. */
export type CaChange =
  | { kind: 'add'; certificates: string }
  | { kind: 'remove'; fingerprints: string[]; keep: string[] }
  | { kind: 'restore'; bundle: string; added: string[] };

export interface ChangeNamespaceCaInput {
  /** The namespace's id. */
  namespace: string;
  change: CaChange;
  operationKey: string;
}

const summary = (c: CaCertificate): CaSummary => ({
  fingerprint: c.fingerprint,
  subject: c.subject,
  notAfter: c.notAfter,
});

const refusal = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

/** The certificates of a bundle the namespace holds; one that is not readable PEM stops the rotation. */
function bundleOf(ns: Namespace): CaCertificate[] {
  const ca = ns.spec.mtlsAuth?.acceptedClientCa;
  if (!ca) return [];
  try {
    return caBundleFromBase64(ca);
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    throw refusal(
      FailureType.CaBundleUnreadable,
      `namespace ${ns.spec.name} accepts a CA bundle that is not readable PEM (${err.message}); fix it by hand first`,
    );
  }
}

/**
 * The new CAs, checked as a namespace may take them now (the clock clients are checked by, not workflow time);
 * refused (InvalidInput) with the reason otherwise.
 */
function incomingOf(input: InspectNamespaceCaInput): CaCertificate[] {
  try {
    const certs = uniqueCertificates(caBundleFromBase64(input.newCa));
    checkNewCa(certs, new Date());
    return certs;
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    throw refusal(FailureType.InvalidInput, `newCa: ${err.message}`);
  }
}

/** The CAs the cut-over removes: those named (each must be accepted now, and not new), else every other one. */
function replacedOf(
  input: InspectNamespaceCaInput,
  accepted: CaCertificate[],
  incoming: Set<string>,
): string[] {
  const now = new Set(accepted.map((c) => c.fingerprint));
  if (!input.replace) return [...now].filter((fp) => !incoming.has(fp));
  for (const fp of input.replace) {
    if (incoming.has(fp)) throw refusal(FailureType.InvalidInput, `replace: ${fp} is one of the new CAs`);
    if (!now.has(fp)) {
      throw refusal(
        FailureType.InvalidInput,
        `replace: ${fp} is not among the CAs namespace ${input.namespace} accepts`,
      );
    }
  }
  return input.replace;
}

/** Reads the namespace and checks the new CA against it: nothing changes here. */
async function inspectNamespaceCa(
  client: OpsApiClient,
  input: InspectNamespaceCaInput,
): Promise<NamespaceCaInspection> {
  const incoming = incomingOf(input);
  const ns = await findNamespaceByName(client, input.namespace);
  if (!ns || !isLive(ns)) {
    throw refusal(FailureType.NotFound, `namespace ${input.namespace} does not exist`);
  }
  const accepted = bundleOf(ns);
  if (accepted.length === 0) {
    throw refusal(
      FailureType.InvalidInput,
      `namespace ${input.namespace} accepts no client CA (no mTLS): a rotation replaces one; set the first with ` +
        'update-namespace --mtls-ca-file',
    );
  }
  const incomingFps = new Set(incoming.map((c) => c.fingerprint));
  const acceptedNow = new Set(accepted.map((c) => c.fingerprint));
  const both = [...accepted, ...incoming.filter((c) => !acceptedNow.has(c.fingerprint))];
  const bytes = Buffer.byteLength(both.map((c) => c.pem).join(''));
  if (both.length > MAX_CERTIFICATES || bytes > MAX_PEM_BYTES) {
    throw refusal(
      FailureType.InvalidInput,
      `newCa: with the ${accepted.length} CA(s) accepted now the bundle would hold ${both.length} certificates ` +
        `(${bytes} bytes of PEM); a bundle holds at most ${MAX_CERTIFICATES} (${MAX_PEM_BYTES} bytes)`,
    );
  }
  return {
    namespace: ns.namespace,
    bundleAsFound: ns.spec.mtlsAuth!.acceptedClientCa,
    accepted: accepted.map(summary),
    incoming: incoming.map(summary),
    alreadyAccepted: incoming.filter((c) => acceptedNow.has(c.fingerprint)).map((c) => c.fingerprint),
    replaced: replacedOf(input, accepted, incomingFps),
  };
}

/** The bundle the change wants, from the one the namespace holds now; undefined: it holds it already. */
function wantedBundle(ns: Namespace, change: CaChange): string | undefined {
  const now = bundleOf(ns);
  const has = new Set(now.map((c) => c.fingerprint));
  if (change.kind === 'restore') {
    // Only what this run did is undone: the CAs it added go, the ones it took away come back; a CA someone else
    // added meanwhile stays. Untouched by anyone else, that is exactly the bundle found.
    const added = new Set(change.added);
    const found = caBundleFromBase64(change.bundle);
    const wanted = [
      ...now.filter((c) => !added.has(c.fingerprint)),
      ...found.filter((c) => !has.has(c.fingerprint) && !added.has(c.fingerprint)),
    ];
    const same =
      wanted.length === now.length && wanted.every((c, i) => c.fingerprint === now[i]!.fingerprint);
    if (same) return undefined;
    const asFound =
      wanted.length === found.length && wanted.every((c, i) => c.fingerprint === found[i]!.fingerprint);
    return asFound ? change.bundle : caBundleToBase64(wanted);
  }
  if (change.kind === 'add') {
    const missing = caBundleFromBase64(change.certificates).filter((c) => !has.has(c.fingerprint));
    return missing.length ? caBundleToBase64(uniqueCertificates([...now, ...missing])) : undefined;
  }
  const lost = change.keep.filter((fp) => !has.has(fp));
  if (lost.length > 0) {
    throw refusal(
      FailureType.CaBundleUnsafe,
      `namespace ${ns.spec.name} no longer accepts the new CA (${lost.join(', ')}): the old CA is kept`,
    );
  }
  const kept = now.filter((c) => !change.fingerprints.includes(c.fingerprint));
  return kept.length === now.length ? undefined : caBundleToBase64(kept);
}

/** One change of the bundle under the step's operation id; everything else of the spec goes back as read. */
async function changeNamespaceCa(client: OpsApiClient, input: ChangeNamespaceCaInput): Promise<ChangeResult> {
  const { namespace, change } = input;
  const read = () => client.getNamespace(namespace);
  return changeOnce(
    client,
    input.operationKey,
    `namespace ${namespace}`,
    read,
    async (current, asyncOperationId) => {
      const bundle = wantedBundle(current, change);
      if (bundle === undefined) return undefined;
      const mtlsAuth = { ...current.spec.mtlsAuth, acceptedClientCa: bundle };
      return client.updateNamespace(namespace, {
        resourceVersion: current.resourceVersion,
        spec: withNamespaceChanges(current.spec, { mtlsAuth }),
        asyncOperationId,
      });
    },
    (now) => wantedBundle(now, change) === undefined,
  );
}

export function createNamespaceCaActivities({ client }: ActivityDeps) {
  return {
    inspectNamespaceCa: (input: InspectNamespaceCaInput) => inspectNamespaceCa(client, input),
    changeNamespaceCa: (input: ChangeNamespaceCaInput) => changeNamespaceCa(client, input),
    /** The CAs the namespace (by id) accepts now. */
    async readNamespaceCa(namespace: string): Promise<CaSummary[]> {
      return bundleOf(await client.getNamespace(namespace)).map(summary);
    },
  };
}
