// The module object itself (not a namespace copy), so a spy on it is seen by the sink's calls.
import fsPromises from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileSecretSink, SecretSinkError, parseSecretRef, validateSecretName } from '../../src/secrets';

const TOKEN = 'tcld_secret_token_do_not_leak_0123456789';

let root: string;
let sink: FileSecretSink;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'file-sink-'));
  sink = new FileSecretSink({ dir: path.join(root, 'secrets') });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await rm(root, { recursive: true, force: true });
});

/** All entries below `dir`, relative, folders with a trailing slash. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)) + (e.isDirectory() ? '/' : ''))
    .sort();
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('FileSecretSink', () => {
  it('writes one 0600 JSON file per secret in 0700 folders and returns a reference without the secret', async () => {
    const ref = await sink.put('apikey/ns.acct/key1', TOKEN, { owner: 'svc-a' });

    expect(ref).toBe('file:apikey/ns.acct/key1');
    expect(ref).not.toContain(TOKEN);
    expect(parseSecretRef(ref)).toEqual({ kind: 'file', name: 'apikey/ns.acct/key1' });

    const file = sink.pathFor('apikey/ns.acct/key1');
    expect(file).toBe(path.join(root, 'secrets', 'apikey', 'ns.acct', 'key1.json'));
    expect(await mode(file)).toBe(0o600);
    expect(await mode(path.join(root, 'secrets'))).toBe(0o700);
    expect(await mode(path.join(root, 'secrets', 'apikey'))).toBe(0o700);
    expect(await mode(path.join(root, 'secrets', 'apikey', 'ns.acct'))).toBe(0o700);

    const stored = JSON.parse(await readFile(file, 'utf8'));
    expect(stored).toEqual({
      name: 'apikey/ns.acct/key1',
      secret: TOKEN,
      metadata: { owner: 'svc-a' },
      writtenAt: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(stored.writtenAt))).toBe(false);
    expect(await sink.read('apikey/ns.acct/key1')).toEqual(stored);
    expect(await sink.has('apikey/ns.acct/key1')).toBe(true);
    expect(await listTree(path.join(root, 'secrets'))).toEqual([
      'apikey/',
      'apikey/ns.acct/',
      'apikey/ns.acct/key1.json',
    ]);
  });

  it('keeps 0600 even under a permissive umask', async () => {
    const previous = process.umask(0);
    try {
      await sink.put('apikey/ns/umask', TOKEN);
    } finally {
      process.umask(previous);
    }
    expect(await mode(sink.pathFor('apikey/ns/umask'))).toBe(0o600);
    expect(await mode(path.dirname(sink.pathFor('apikey/ns/umask')))).toBe(0o700);
  });

  it('overwrites the same name (idempotent put) and leaves no temp files', async () => {
    await sink.put('apikey/ns/key1', 'first-token');
    await sink.put('apikey/ns/key1', 'second-token', { rotated: 'yes' });

    expect(await sink.read('apikey/ns/key1')).toMatchObject({
      secret: 'second-token',
      metadata: { rotated: 'yes' },
    });
    expect(await mode(sink.pathFor('apikey/ns/key1'))).toBe(0o600);
    expect(await listTree(path.join(root, 'secrets'))).toEqual([
      'apikey/',
      'apikey/ns/',
      'apikey/ns/key1.json',
    ]);
  });

  it('lets a secret and a folder share a name prefix', async () => {
    await sink.put('apikey/ns', 'a');
    await sink.put('apikey/ns/key1', 'b');
    expect((await sink.read('apikey/ns'))?.secret).toBe('a');
    expect((await sink.read('apikey/ns/key1'))?.secret).toBe('b');
  });

  it('never exposes a partial file to concurrent readers and writers', async () => {
    const name = 'apikey/ns/contended';
    const big = (i: number) => `${i}-`.padEnd(256 * 1024, String(i % 10));
    await sink.put(name, big(0));
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        // Throws on a torn file (JSON.parse) — the point of the test.
        const record = await sink.read(name);
        expect(record).toBeDefined();
        expect([...Array(20).keys()].map(big)).toContain(record?.secret);
        reads++;
      }
    })();
    await Promise.all([...Array(20).keys()].map((i) => sink.put(name, big(i))));
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(await listTree(path.join(root, 'secrets'))).toEqual([
      'apikey/',
      'apikey/ns/',
      'apikey/ns/contended.json',
    ]);
  });

  it('keeps the old content and removes the temp file when the final rename fails', async () => {
    await sink.put('apikey/ns/key1', 'old-token');
    const rename = jest
      .spyOn(fsPromises, 'rename')
      .mockRejectedValueOnce(Object.assign(new Error('EIO: simulated rename failure'), { code: 'EIO' }));

    const error = await sink.put('apikey/ns/key1', TOKEN).catch((e: unknown) => e);

    expect(rename).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(SecretSinkError);
    expect((error as SecretSinkError).retryable).toBe(true);
    expect((error as Error).message).toContain('apikey/ns/key1');
    expect((error as Error).message).not.toContain(TOKEN);
    expect((await sink.read('apikey/ns/key1'))?.secret).toBe('old-token');
    expect(await listTree(path.join(root, 'secrets'))).toEqual([
      'apikey/',
      'apikey/ns/',
      'apikey/ns/key1.json',
    ]);
  });

  it('deletes idempotently', async () => {
    await sink.put('apikey/ns/key1', TOKEN);
    await sink.delete('apikey/ns/key1');
    expect(await sink.has('apikey/ns/key1')).toBe(false);
    expect(await sink.read('apikey/ns/key1')).toBeUndefined();
    await expect(sink.delete('apikey/ns/key1')).resolves.toBeUndefined();
    await expect(sink.delete('never/existed/at/all')).resolves.toBeUndefined();
    // A file where a folder is expected is still "absent", not an error.
    await sink.put('apikey/flat', TOKEN);
    await expect(sink.delete('apikey/flat/child')).resolves.toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(201), 'is 201 characters long; the limit is 200'],
    ['apikey/ns/key 1', 'may only contain'],
    ['apikey/ns/kéy', 'may only contain'],
    ['apikey\\ns', 'may only contain'],
    ['apikey/../../etc/passwd', 'must not contain ".."'],
    ['..', 'must not contain ".."'],
    ['/etc/passwd', 'must not start with "/"'],
    ['apikey/ns/', 'must not end with "/"'],
    ['apikey//ns', 'must not contain empty path segments'],
    ['apikey/./ns', 'must not contain "." path segments'],
  ])('rejects the name %j (%s) before touching disk', async (name, problem) => {
    await expect(sink.put(name, TOKEN)).rejects.toThrow(problem);
    await expect(sink.put(name, TOKEN)).rejects.toBeInstanceOf(SecretSinkError);
    await expect(sink.delete(name)).rejects.toThrow(problem);
    await expect(sink.has(name)).rejects.toThrow(problem);
    await expect(stat(path.join(root, 'secrets'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('accepts the longest allowed name and the full safe alphabet', () => {
    expect(() => validateSecretName('a'.repeat(200))).not.toThrow();
    expect(() => validateSecretName('apikey/My-NS.acct_1/key.v2')).not.toThrow();
  });
});
