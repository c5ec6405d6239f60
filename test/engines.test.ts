// Every package the lockfile installs runs on the oldest Node that package.json promises (npm only warns,
// EBADENGINE, and the package may then fail at run time).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

test("every locked package accepts the project's minimum Node version", () => {
  const root = path.resolve(__dirname, '..');
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  const { engines } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const oldest = semver.minVersion(engines.node)!;
  expect(oldest.version).toBe('20.19.0');

  const refusing = Object.entries(lock.packages)
    .filter(([location]) => location !== '')
    .flatMap(([location, pkg]) => {
      const range = pkg.engines && !Array.isArray(pkg.engines) ? pkg.engines.node : undefined;
      return range && !semver.satisfies(oldest, range, { includePrerelease: true })
        ? [`${location.replace(/^.*node_modules\//, '')}@${pkg.version} needs node ${range}`]
        : [];
    });
  expect(refusing).toEqual([]);
});
