// The layer rules of `npm run lint` (.dependency-cruiser.cjs) on small trees made here: an import up a layer, a
// cycle and the emulator reaching into the client fail by rule name; imports down the layers pass.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Writes the files (path → source) into a fresh folder and runs the project's check on its src/. */
async function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'layers-'));
  dirs.push(dir);
  for (const [file, source] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), source);
  }
  const depcruise = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const args = [depcruise, '--config', path.join(root, '.dependency-cruiser.cjs'), 'src'];
  return run(process.execPath, args, { cwd: dir }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, output: err.stdout }),
  );
}

test('imports down the layers pass', async () => {
  const result = await cruise({
    'src/service/start.ts': "import { x } from '../portal/page';\nexport const y = x;\n",
    'src/portal/page.ts': "import { z } from '../shared/ids';\nexport const x = z;\n",
    'src/shared/ids.ts': 'export const z = 1;\n',
  });
  expect(result).toMatchObject({ code: 0 });
});

test('an import up a layer fails, type-only too, naming the rule and the arrow', async () => {
  const result = await cruise({
    'src/service/telemetry.ts': 'export interface Meter { n: number }\n',
    'src/shared/uses-service.ts':
      "import type { Meter } from '../service/telemetry';\nexport type M = Meter;\n",
    'src/workflows/flow.ts': "import { a } from '../portal/page';\nexport const b = a;\n",
    'src/portal/page.ts': 'export const a = 1;\n',
  });
  expect(result.code).not.toBe(0);
  expect(result.output).toContain(
    'no-upward-from-bottom: src/shared/uses-service.ts → src/service/telemetry.ts',
  );
  expect(result.output).toContain('no-upward-from-workflows: src/workflows/flow.ts → src/portal/page.ts');
});

test('a cycle fails, and so does the emulator importing the client', async () => {
  const result = await cruise({
    'src/fleet/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
    'src/fleet/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    'src/emulator/server.ts': "import { c } from '../ops-api/client';\nexport const s = c;\n",
    'src/ops-api/client.ts': 'export const c = 1;\n',
  });
  expect(result.code).not.toBe(0);
  expect(result.output).toMatch(/no-circular: src\/fleet\/a\.ts →\s+src\/fleet\/b\.ts →\s+src\/fleet\/a\.ts/);
  expect(result.output).toContain(
    'emulator-beside-the-stack: src/emulator/server.ts → src/ops-api/client.ts',
  );
});
