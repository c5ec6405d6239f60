// A namespace's accepted CAs as PEM files in the desired state: read and checked when the file loads (every problem
// naming the file and its place), and planned as a set of certificates, so adding a file accepts its CA beside the
// others and removing one removes its CA (destructive: it needs approval).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { caBundleFingerprints, caBundleToBase64, parseCertificates } from '../../src/certificates';
import { DesiredStateError, parseDesiredState } from '../../src/desired-state/load';
import { computePlan, type AccountSnapshot } from '../../src/desired-state/plan';
import { makeTestCertificate, pemToBase64 } from '../helpers/certificates';

const oldCa = makeTestCertificate({ commonName: 'Old CA' });
const newCa = makeTestCertificate({ commonName: 'New CA' });
const fp = (pem: string) => parseCertificates(pem)[0]!.fingerprint;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'desired-ca-'));
  await writeFile(path.join(dir, 'old.pem'), oldCa);
  await writeFile(path.join(dir, 'new.pem'), `# issued 2026-12\n${newCa}`);
  await writeFile(path.join(dir, 'leaf.pem'), makeTestCertificate({ commonName: 'client', ca: false }));
  await writeFile(
    path.join(dir, 'expired.pem'),
    makeTestCertificate({ validFromDays: -9, validForDays: -1 }),
  );
  await writeFile(path.join(dir, 'notes.txt'), 'not a certificate');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const fileWith = (...files: string[]) =>
  `namespaces:\n  - name: payments\n    region: aws-us-east-1\n    retentionDays: 7\n    mtlsAuth:\n` +
  `      acceptedClientCa:\n${files.map((f) => `        - ${f}\n`).join('')}`;
const load = (...files: string[]) => parseDesiredState(fileWith(...files), path.join(dir, 'cloud-ops.yaml'));

test('the files are read relative to the desired-state file into one bundle, as the API carries it', () => {
  const { state } = load('old.pem', 'new.pem', path.join(dir, 'old.pem'));
  const bundle = state.namespaces[0]!.mtlsAuth!.acceptedClientCa;
  // In the order listed, each CA once, whatever stood around it in the file.
  expect(bundle).toBe(caBundleToBase64(parseCertificates(oldCa + newCa)));
});

test('every bad file is named, with its place and line, and nothing loads', () => {
  let problems: DesiredStateError['problems'] = [];
  try {
    load('old.pem', 'missing.pem', 'notes.txt', 'leaf.pem', 'expired.pem');
  } catch (err) {
    if (!(err instanceof DesiredStateError)) throw err;
    problems = err.problems;
  }
  const where = (j: number) => `namespaces[0].mtlsAuth.acceptedClientCa[${j}]`;
  expect(problems).toEqual([
    { path: where(1), line: 8, message: 'missing.pem: cannot read it (ENOENT)' },
    { path: where(2), line: 9, message: expect.stringMatching(/^notes\.txt: no PEM certificate/) },
    {
      path: where(3),
      line: 10,
      message: expect.stringMatching(/^leaf\.pem: certificate 1 \(CN=client\) is not a CA/),
    },
    {
      path: where(4),
      line: 11,
      message: expect.stringMatching(/^expired\.pem: certificate 1 .* expired on/),
    },
  ]);
  expect(() =>
    parseDesiredState(fileWith().replace('acceptedClientCa:\n', 'acceptedClientCa: []\n'), 'f.yaml'),
  ).toThrow(/line 6: namespaces\[0\].mtlsAuth.acceptedClientCa: must list at least one PEM file/);
});

describe('the plan compares the accepted CAs as certificates', () => {
  const account = (bundle: string): AccountSnapshot => ({
    regions: ['aws-us-east-1'],
    namespaces: [
      {
        id: 'payments.acct',
        name: 'payments',
        region: 'aws-us-east-1',
        retentionDays: 7,
        mtlsAuth: { acceptedClientCa: bundle },
        apiKeyAuth: false,
        state: 'active',
      },
    ],
    serviceAccounts: [],
    users: [],
    apiKeys: [],
  });
  const options = { now: Date.now(), canChangeAccess: true, caFingerprints: caBundleFingerprints };
  const plan = (live: string, ...files: string[]) =>
    computePlan(load(...files).state, account(live), options);

  test('the same certificates in another text or order are no change', () => {
    // The account keeps the PEM as sent (CRLF lines, another order); the file lists the same two CAs.
    expect(plan(pemToBase64(newCa, oldCa), 'old.pem', 'new.pem').changes).toEqual([]);
    // Without the fingerprints (text only) it would be a change.
    const byText = computePlan(load('old.pem', 'new.pem').state, account(pemToBase64(newCa, oldCa)), {
      ...options,
      caFingerprints: undefined,
    });
    expect(byText.changes).toHaveLength(1);
  });

  test('adding a file accepts its CA beside the old one; removing the old file removes its CA, with approval', () => {
    const both = plan(pemToBase64(oldCa), 'old.pem', 'new.pem').changes;
    expect(both).toEqual([
      expect.objectContaining({
        action: 'update',
        destructive: false,
        reason: `accepts 1 more CA(s) (${fp(newCa)})`,
        fields: [expect.objectContaining({ field: 'mtlsAuth' })],
      }),
    ]);
    expect(
      caBundleFingerprints((both[0]!.fields[0]!.to as { acceptedClientCa: string }).acceptedClientCa),
    ).toEqual([fp(oldCa), fp(newCa)]);
    const cutOver = plan(pemToBase64(oldCa, newCa), 'new.pem').changes;
    expect(cutOver).toEqual([
      expect.objectContaining({ destructive: true, reason: `removes 1 accepted CA(s) (${fp(oldCa)})` }),
    ]);
  });
});
