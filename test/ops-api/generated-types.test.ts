import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'node_modules/openapi-typescript/bin/cli.js');

// The committed types must be exactly what `npm run generate` makes from the committed specs.
test.each([
  ['openapi/cloud-ops-api.yml', 'src/ops-api/generated/schema.ts'],
  ['openapi/spec-silences.yml', 'src/ops-api/generated/silences.ts'],
])('%s → %s is up to date (run `npm run generate`)', async (spec, generated) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openapi-'));
  try {
    const fresh = path.join(dir, 'out.ts');
    await promisify(execFile)(process.execPath, [cli, path.join(root, spec), '-o', fresh], { cwd: root });
    expect(await readFile(path.join(root, generated), 'utf8')).toBe(await readFile(fresh, 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
