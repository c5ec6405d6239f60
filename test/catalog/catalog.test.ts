// The catalog names the workflows by their functions' names and is the one table of business keys, request types
// and starter commands: a name that drifts from the code, or a command without its npm script, fails here.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { CATALOG, kindOf, REQUEST_KINDS, REQUEST_TYPES, workflowIds } from '../../src/catalog';
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
  ]);
  expect(Object.values(REQUEST_KINDS).map((k) => k.workflowType)).toEqual([
    'provisionNamespace',
    'decommissionNamespace',
    'rotateApiKey',
    'rotateNamespaceCa',
    'offboardUser',
  ]);
  expect(workflowIds.provisionNamespace('payments')).toBe('provision-namespace/payments');
  expect(workflowIds.offboardUser(' Jo@Example.com ')).toBe('offboard-user/jo@example.com');
  expect(workflowIds.rotateApiKey('service-account', 'sa-1')).toBe('rotate-api-key/service-account/sa-1');
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
