// The catalog names the workflows by their functions' names and is the one table of business keys, request types
// and starter commands: a name that drifts from the code, or a command without its npm script, fails here.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  CATALOG,
  grantTemporaryAccessKind,
  kindOf,
  REQUEST_KINDS,
  REQUEST_TYPES,
  rotateApiKeyKind,
  workflowIds,
} from '../../src/catalog';
import { UsageError } from '../../src/starters/flags';
import { prepareStart } from '../../src/starters/starter';
import * as workflows from '../../src/workflows';

const root = path.join(__dirname, '../..');

test("every kind is an exported workflow function of that name, and only the catalog's own kinds are found", () => {
  for (const kind of CATALOG) {
    const fn = (workflows as Record<string, unknown>)[kind.workflowType];
    expect(typeof fn).toBe('function');
    expect((fn as { name: string }).name).toBe(kind.workflowType);
    expect(kindOf(kind.workflowType)).toBe(kind);
  }
  expect(kindOf('constructor')).toBeUndefined();
  expect(new Set(CATALOG.map((k) => k.workflowType)).size).toBe(CATALOG.length);
});

test('every starter has its npm script and file', () => {
  const scripts = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const starters = CATALOG.flatMap((k) => (k.starter ? [k.starter.name] : []));
  expect(starters).toEqual([
    'provision-namespace',
    'update-namespace',
    'decommission-namespace',
    'rotate-api-key',
    'rotate-namespace-ca',
    'rotate-expiring-keys',
    'offboard-user',
    'grant-temporary-access',
  ]);
  for (const name of starters) {
    expect(scripts[name]).toBe(`exec node --import tsx src/starters/${name}.ts`);
    expect(existsSync(path.join(root, 'src/starters', `${name}.ts`))).toBe(true);
  }
});

test('request types (the events API) and business keys are the ones senders and runs rely on', () => {
  expect(REQUEST_TYPES).toEqual([
    'namespace.requested',
    'namespace.decommission.requested',
    'apikey.rotation.requested',
    'namespace.ca.rotation.requested',
    'user.offboarding.requested',
    'access.requested',
  ]);
  expect(Object.values(REQUEST_KINDS).map((k) => k.workflowType)).toEqual([
    'provisionNamespace',
    'decommissionNamespace',
    'rotateApiKey',
    'rotateNamespaceCa',
    'offboardUser',
    'grantTemporaryAccess',
  ]);
  expect(workflowIds.provisionNamespace('payments')).toBe('provision-namespace/payments');
  expect(workflowIds.offboardUser(' Jo@Example.com ')).toBe('offboard-user/jo@example.com');
  expect(workflowIds.rotateApiKey('service-account', 'sa-1')).toBe('rotate-api-key/service-account/sa-1');
  // One request per namespace and principal: a user by lower-cased email, a service account by name.
  expect(workflowIds.grantTemporaryAccess('payments', ' Jo@Example.com')).toBe(
    'grant-temporary-access/payments/jo@example.com',
  );
  expect(workflowIds.grantTemporaryAccess('payments', 'ci-bot')).toBe(
    'grant-temporary-access/payments/ci-bot',
  );
  expect(workflowIds.rotateNamespaceCa('payments')).toBe('rotate-namespace-ca/payments');
  expect(workflowIds.reconcile('cloud-ops')).toBe('reconcile/cloud-ops');
  expect(workflowIds.reconcilePlan('cloud-ops')).toBe('reconcile-plan/cloud-ops');
  // A rotation is keyed by its owner, whether the request names the key or not.
  expect(REQUEST_KINDS['apikey.rotation.requested'].keyProblem?.({ keyId: 'k-1' })).toEqual({
    field: 'ownerId',
    message: expect.stringContaining('keyed by their owner'),
  });
});

test('a provisioning answers once: a finished run is reported while its namespace is there, a failed one retried', () => {
  const kind = kindOf('provisionNamespace')!;
  expect(kind.reusePolicy).toBe('ALLOW_DUPLICATE_FAILED_ONLY');
  const check = kind.finishedRunCheck!;
  expect(check.kind.workflowType).toBe('namespaceExists');
  expect(check.input({ name: 'payments', region: 'r', retentionDays: 1 })).toEqual({ name: 'payments' });
  expect(check.holds({ exists: true })).toBe(true);
  expect(check.holds({ exists: false })).toBe(false);
  expect(check.holds(undefined)).toBe(false);
});

test('the access starter names each bad flag; a signal needs only the business key', async () => {
  const problems = (argv: string[], forSignal = false) =>
    prepareStart(grantTemporaryAccessKind, argv, {}, forSignal ? 'signal' : 'start').then(
      () => [],
      (err: unknown) => (err instanceof UsageError ? err.problems : Promise.reject(err)),
    );
  expect(
    await problems([
      '--principal',
      'a/b',
      '--namespace',
      'team-a',
      '--permission',
      'owner',
      '--duration',
      '31d',
    ]),
  ).toEqual([
    {
      flag: '--principal',
      message: expect.stringMatching(/user's email address, or a service account's name/),
    },
    { flag: '--permission', message: 'must be one of read, write, admin' },
    { flag: '--duration', message: 'must be at most 30d' },
    { flag: '--reason', message: 'is required' },
  ]);
  expect(await problems(['--principal', 'ci-bot', '--namespace', 'team-a', '--revoke-now'], true)).toEqual(
    [],
  );
  expect(await problems(['--namespace', 'team-a', '--revoke-now'], true)).toEqual([
    { flag: '--principal', message: 'is required' },
  ]);
  // A rotation's key has two parts: a bad owner type is named for a signal too, not sent to a run that is not.
  const rotation = (argv: string[]) =>
    prepareStart(rotateApiKeyKind, argv, {}, 'signal').then(
      () => [],
      (err: unknown) => (err instanceof UsageError ? err.problems.map((p) => p.flag) : Promise.reject(err)),
    );
  expect(
    await rotation(['--owner-type', 'bogus', '--owner-id', 'sa-1', '--confirm-cutover', '--approver', 'bob']),
  ).toEqual(['--owner-type']);
  expect(
    await rotation(['--owner-type', 'user', '--owner-id', 'u-1', '--confirm-cutover', '--approver', 'bob']),
  ).toEqual([]);
});
