// Form posts become the workflow's input, and the shared validation's problems land next to the field that caused
// them (field names are the input's own paths).
import {
  caRotationForm,
  namespaceForm,
  offboardingForm,
  problemsByField,
  requestIdOf,
  rotationForm,
} from '../../src/portal/forms';
import { REQUEST_KINDS } from '../../src/catalog';
import { validate } from '../../src/shared/validation';

const problemsOf = (spec: typeof namespaceForm, values: Record<string, string>) => {
  const checked = validate(REQUEST_KINDS[spec.type].schema, spec.toData(values));
  return checked.ok ? new Map<string, string[]>() : problemsByField(spec, checked.problems);
};

test('a namespace form becomes the provisioning input the events endpoint takes', () => {
  expect(
    namespaceForm.toData({
      name: ' payments-dev ',
      region: 'aws-us-east-1',
      retentionDays: '7',
      serviceAccount: 'on',
      'serviceAccount.name': '',
      'serviceAccount.permission': 'read',
      apiKey: 'on',
      'apiKey.expiryDays': '30',
      'codecServer.endpoint': 'https://codec.example.com',
      'codecServer.passAccessToken': 'on',
    }),
  ).toEqual({
    name: 'payments-dev',
    region: 'aws-us-east-1',
    retentionDays: 7,
    serviceAccount: { permission: 'read' },
    apiKey: { expiryDays: 30 },
    codecServer: {
      endpoint: 'https://codec.example.com',
      passAccessToken: true,
      includeCrossOriginCredentials: false,
    },
  });
  // A role asks for an account-wide account; the form names the field the workflow checks.
  expect(
    namespaceForm.toData({
      name: 'x1',
      region: 'r',
      retentionDays: '3',
      serviceAccount: 'on',
      'serviceAccount.permission': 'write',
      'serviceAccount.accountRole': 'developer',
    }).serviceAccount,
  ).toEqual({ permission: 'write', accountRole: 'developer' });
  expect(
    problemsOf(namespaceForm, {
      name: 'x1',
      region: 'aws-us-east-1',
      retentionDays: '3',
      serviceAccount: 'on',
      'serviceAccount.accountRole': 'owner',
    }).get('serviceAccount.accountRole'),
  ).toEqual(['must be one of admin, developer, read']);
  // Unticked groups and an empty codec endpoint are left out.
  expect(namespaceForm.toData({ name: 'x1', region: 'r', retentionDays: '3' })).toEqual({
    name: 'x1',
    region: 'r',
    retentionDays: 3,
  });
});

test("the workflow's own validation names the form's fields", () => {
  const errors = problemsOf(namespaceForm, {
    name: 'Bad_Name',
    retentionDays: 'seven',
    'codecServer.endpoint': 'http://plain.example.com',
  });
  expect([...errors.keys()].sort()).toEqual(['codecServer.endpoint', 'name', 'region', 'retentionDays']);
  expect(errors.get('retentionDays')).toEqual(['must be a number']);
  expect(errors.get('region')).toEqual(['is required']);
  expect(errors.get('codecServer.endpoint')).toEqual(['must be an https:// URL']);
  // A rule across fields (checked once each field is right) goes to the group it is about.
  expect(
    problemsOf(namespaceForm, { name: 'ok-name', region: 'r', retentionDays: '3', apiKey: 'on' }),
  ).toEqual(new Map([['apiKey', [expect.stringContaining('needs a service account')]]]));
});

test('a rotation names its owner in one picker; an offboarding by email with approval', () => {
  expect(
    rotationForm.toData({ owner: 'service-account:sa-1', gracePeriod: '1d', deleteOldKey: 'on' }),
  ).toEqual({
    ownerType: 'service-account',
    ownerId: 'sa-1',
    gracePeriod: '1d',
    deleteOldKey: true,
  });
  expect(problemsOf(rotationForm, { gracePeriod: 'soon' })).toEqual(
    new Map([
      ['gracePeriod', [expect.stringContaining('must be a duration')]],
      ['owner', ['give keyId, or ownerId with ownerType']],
    ]),
  );
  // Whether it waits for an approver is the policy's: a posted `requireApproval` (even "off") is not read.
  expect(offboardingForm.toData({ email: 'jo@example.com', requireApproval: 'off' })).toEqual({
    email: 'jo@example.com',
    dryRun: false,
    deleteUser: false,
  });
  expect(problemsOf(offboardingForm, {}).get('email')).toEqual(['give exactly one of email or userId']);
});

test('a CA rollover takes the PEM as pasted (sent as base64, as the API carries it); problems go to their fields', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  expect(caRotationForm.toData({ namespace: ' payments ', newCa: `\n${pem}`, gracePeriod: '2d' })).toEqual({
    namespace: 'payments',
    newCa: Buffer.from(pem.trim()).toString('base64'),
    gracePeriod: '2d',
  });
  // Base64 already is taken as it is; anything else is the schema's to refuse, next to the field.
  expect(caRotationForm.toData({ namespace: 'p', newCa: 'QUJD' }).newCa).toBe('QUJD');
  expect(
    problemsOf(caRotationForm, { namespace: 'Payments', newCa: 'not a PEM', gracePeriod: 'soon' }),
  ).toEqual(
    new Map([
      ['namespace', [expect.stringContaining('must be 2–39 characters')]],
      ['newCa', ['must be base64-encoded PEM']],
      ['gracePeriod', [expect.stringContaining('must be a duration')]],
    ]),
  );
  expect(problemsOf(caRotationForm, { namespace: 'p1' }).get('newCa')).toEqual(['is required']);
});

test("a form's id makes the request id; a missing or odd one gets a fresh id", () => {
  const id = '2f1c3a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6';
  expect(requestIdOf({ requestId: id })).toBe(`portal:${id}`);
  expect(requestIdOf({ requestId: 'x' })).toMatch(/^portal:[0-9a-f-]{36}$/);
  expect(requestIdOf({ requestId: 'x' })).not.toBe(requestIdOf({ requestId: 'x' }));
});
