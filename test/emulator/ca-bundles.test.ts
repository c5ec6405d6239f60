// Accepted-CA bundles: the realism switch caBundleChecks (real CA certificates only, kept re-encoded) and the
// history of which CAs a namespace accepted over time, in both dialects.
import { caBundleToBase64, parseCertificates } from '../../src/certificates';
import { makeTestCertificate, pemToBase64 } from '../helpers/certificates';
import { cloudNsSpec, REALISM_OFF, startCloudEmulator, type CloudApi } from './cloud-helpers';
import { API_KEY, httpClient, nsSpec, T0 } from './helpers';

const now = new Date(T0);
const caA = makeTestCertificate({ commonName: 'CA A', now });
const caB = makeTestCertificate({ commonName: 'CA B', now });
const leaf = makeTestCertificate({ commonName: 'leaf', ca: false, now });
const intermediate = makeTestCertificate({ commonName: 'Issuing CA', issuer: 'CA B', now });
const [fpA, fpB] = [caA, caB].map((pem) => parseCertificates(pem)[0]!.fingerprint);

let api: CloudApi;
afterEach(async () => {
  await api?.close();
});

const startWith = (caBundleChecks: boolean) =>
  startCloudEmulator({ realism: { ...REALISM_OFF, caBundleChecks }, asyncOperationDurationMs: 1_000 });

test('with caBundleChecks on, a bundle is real CA certificates, kept re-encoded; anything else is refused', async () => {
  api = await startWith(true);
  const http = httpClient(api.emu.url, API_KEY);
  const create = (name: string, ca: string) =>
    http.post('/api/v1/namespaces', nsSpec(name, { mtlsAuth: { acceptedClientCa: ca } }));

  const commented = Buffer.from(`# our root\n${caA}\n\n`).toString('base64');
  expect((await create('kept', commented)).status).toBe(200);
  const kept = (await http.get('/api/v1/namespaces/kept.a1b2c')).body.spec.mtlsAuth.acceptedClientCa;
  expect(kept).toBe(caBundleToBase64(parseCertificates(caA)));

  const refusals = await Promise.all([
    create('leaf', pemToBase64(leaf)),
    create('junk', 'QUJD'),
    create('broken', pemToBase64(caA, caB.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'))),
    create('orphan', pemToBase64(caA, intermediate)),
    create('many', pemToBase64(...Array.from({ length: 17 }, () => caA))),
    create('huge', pemToBase64(...Array.from({ length: 16 }, () => caA), 'x'.repeat(20_000))),
  ]);
  expect(refusals.map((r) => [r.status, r.body.field])).toEqual(
    refusals.map(() => [400, 'spec.mtlsAuth.acceptedClientCa']),
  );
  expect(refusals.map((r) => r.body.message as string)).toEqual([
    expect.stringMatching(/certificate 1 \(CN=leaf\) is not a CA certificate/),
    expect.stringMatching(/no PEM certificate/),
    expect.stringMatching(/certificate 2 is malformed/),
    expect.stringMatching(/certificate 2 \(CN=Issuing CA\) is neither a root .* nor issued by another/),
    expect.stringMatching(/has 17 certificates; a bundle may have at most 16/),
    expect.stringMatching(/is \d+ bytes of PEM; a bundle may have at most 32768/),
  ]);
  // Issued by a certificate of the bundle: accepted. On /cloud the same rule holds.
  expect((await create('chain', pemToBase64(caB, intermediate))).status).toBe(200);
  const leafOnCloud = await api.call('POST', '/cloud/namespaces', {
    spec: cloudNsSpec('cloud-leaf', { mtlsAuth: { enabled: true, acceptedClientCa: pemToBase64(leaf) } }),
  });
  expect([leafOnCloud.status, leafOnCloud.body.message]).toEqual([400, expect.stringMatching(/not a CA/)]);
  expect(api.emu.snapshot().namespaces.map((n) => n.spec.name)).toEqual(['kept', 'chain']);
});

test('with the switch off (the given document alone), any base64 is taken as it is', async () => {
  api = await startWith(false);
  const http = httpClient(api.emu.url, API_KEY);
  const res = await http.post(
    '/api/v1/namespaces',
    nsSpec('loose', { mtlsAuth: { acceptedClientCa: 'QUJD' } }),
  );
  expect(res.status).toBe(200);
  // Nothing is accepted until the create is fulfilled.
  expect(api.emu.acceptedCaHistory('loose.a1b2c')).toEqual([]);
  api.clock.advance(1_000);
  expect(api.emu.acceptedCaHistory('loose.a1b2c')).toEqual([
    { time: new Date(T0 + 1_000).toISOString().replace('.000Z', 'Z'), acceptedClientCa: 'QUJD' },
  ]);
});

test('the history shows which CAs a namespace accepted from when, whichever dialect changed it', async () => {
  api = await startWith(true);
  const http = httpClient(api.emu.url, API_KEY);
  const id = 'rolled.a1b2c';
  const at = (ms: number) => new Date(T0 + ms).toISOString().replace('.000Z', 'Z');
  await http.post(
    '/api/v1/namespaces',
    nsSpec('rolled', { mtlsAuth: { acceptedClientCa: pemToBase64(caA) } }),
  );
  api.clock.advance(10_000);
  // Both CAs, through the real API's whole-spec update.
  const read = await api.client.getNamespace(id);
  const both = pemToBase64(caA, caB);
  await api.client.updateNamespace(id, {
    resourceVersion: read.resourceVersion,
    spec: { ...read.spec, mtlsAuth: { acceptedClientCa: both } },
  });
  api.clock.advance(10_000);
  const again = (await http.get(`/api/v1/namespaces/${id}`)).body;
  await http.post(`/api/v1/namespaces/${id}/update`, {
    resourceVersion: again.resourceVersion,
    spec: { retentionDays: 9 }, // not a CA change: no new entry
  });
  api.clock.advance(10_000);
  const third = (await http.get(`/api/v1/namespaces/${id}`)).body;
  await http.post(`/api/v1/namespaces/${id}/update`, {
    resourceVersion: third.resourceVersion,
    spec: { mtlsAuth: { acceptedClientCa: pemToBase64(caB) } },
  });
  api.clock.advance(10_000);

  const history = api.emu.acceptedCaHistory(id);
  expect(history.map((h) => [h.time, h.fingerprints])).toEqual([
    [at(1_000), [fpA]],
    [at(11_000), [fpA, fpB]],
    [at(31_000), [fpB]],
  ]);
  const admin = await http.get(`/_emulator/namespaces/${id}/accepted-ca`);
  expect(admin.body).toEqual({ namespace: id, history });
  expect((await http.get('/_emulator/namespaces/nope.a1b2c/accepted-ca')).status).toBe(404);
  expect(api.problems).toEqual([]);
});
