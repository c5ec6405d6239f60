// The example file docs/desired-state.md shows: it loads without a problem and points editors at the schema.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDesiredState } from '../../src/desired-state/load';
import { DESIRED_STATE_SCHEMA_FILE } from '../../src/desired-state/json-schema';

const EXAMPLE = path.resolve(__dirname, '../../examples/cloud-ops.yaml');

test('examples/cloud-ops.yaml is a valid desired state that uses every section', async () => {
  const { name, state } = await loadDesiredState(EXAMPLE);
  expect(name).toBe('cloud-ops');
  expect(state.namespaces.length).toBeGreaterThan(0);
  expect(state.serviceAccounts.some((s) => s.apiKeys.some((k) => k.rotateBeforeDays))).toBe(true);
  expect(state.users.length).toBeGreaterThan(0);
  expect(state.users.some((u) => Object.keys(u.access).some((k) => k.includes('*')))).toBe(true);
  expect(state.prune).toBeDefined();
});

test('its first line points the YAML language server at the generated schema', () => {
  const first = readFileSync(EXAMPLE, 'utf8').split('\n')[0]!;
  expect(first).toBe('# yaml-language-server: $schema=../desired-state.schema.json');
  const schema = path.resolve(path.dirname(EXAMPLE), first.split('$schema=')[1]!);
  expect(schema).toBe(DESIRED_STATE_SCHEMA_FILE);
  expect(existsSync(schema)).toBe(true);
});
