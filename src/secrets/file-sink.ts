import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SecretSinkError, secretRef, validateSecretName, type SecretRef, type SecretSink } from './types';

export interface FileSecretSinkOptions {
  /** Root folder; created with mode 0700 if missing. */
  dir: string;
}

/** What {@link FileSecretSink} stores per secret. */
export interface StoredSecret {
  name: string;
  secret: string;
  metadata: Record<string, string>;
  /** ISO-8601 time of the write. */
  writtenAt: string;
}

// Every secret file ends in this, so `a` (a file) and `a/b` (needs folder `a`) never collide, and temp
// files (which do not end in it) can never be mistaken for a secret.
const SUFFIX = '.json';

/**
 * Keeps each secret in its own 0600 JSON file below `dir`, one subfolder (0700) per `/` in the name.
 * Writes are atomic (temp file, fsync, rename), so a reader or a crash never sees a half-written file.
 */
export class FileSecretSink implements SecretSink {
  readonly kind = 'file' as const;
  readonly dir: string;

  constructor(options: FileSecretSinkOptions) {
    if (!options.dir) throw new SecretSinkError('FileSecretSink needs a dir', false);
    this.dir = path.resolve(options.dir);
  }

  /** Absolute path of the file holding `name`. */
  pathFor(name: string): string {
    validateSecretName(name);
    return path.join(this.dir, ...name.split('/')) + SUFFIX;
  }

  async put(name: string, secret: string, metadata: Record<string, string> = {}): Promise<SecretRef> {
    const file = this.pathFor(name);
    if (typeof secret !== 'string') throw new SecretSinkError(`Secret for ${name} must be a string`, false);
    const folder = path.dirname(file);
    await this.ensureFolder(folder);
    const record: StoredSecret = {
      name,
      secret,
      metadata: { ...metadata },
      writtenAt: new Date().toISOString(),
    };
    const temp = path.join(folder, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      // `wx` refuses to follow a planted file/symlink; 0600 from creation, so the secret is never readable by others.
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(record));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new SecretSinkError(`Could not write secret ${name}: ${describe(error)}`, true);
    }
    // Persist the rename itself, otherwise a crash could lose a write the caller saw succeed.
    await syncFolder(folder);
    return secretRef(this.kind, name);
  }

  async delete(name: string): Promise<void> {
    const file = this.pathFor(name);
    try {
      await unlink(file);
    } catch (error) {
      if (isNotFound(error)) return;
      throw new SecretSinkError(`Could not delete secret ${name}: ${describe(error)}`, true);
    }
    await syncFolder(path.dirname(file));
  }

  async has(name: string): Promise<boolean> {
    return (await this.read(name)) !== undefined;
  }

  /** The stored record, or undefined when absent. For tests and operators; activities should not need it. */
  async read(name: string): Promise<StoredSecret | undefined> {
    const file = this.pathFor(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new SecretSinkError(`Could not read secret ${name}: ${describe(error)}`, true);
    }
    try {
      return JSON.parse(text) as StoredSecret;
    } catch {
      // Never echo the content: it is the secret.
      throw new SecretSinkError(`Secret file for ${name} is not valid JSON`, false);
    }
  }

  private async ensureFolder(folder: string): Promise<void> {
    // mkdir's mode applies to every folder it creates; existing folders (e.g. an operator-made root) are left alone.
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw new SecretSinkError(`Could not create secret folder ${folder}: ${describe(error)}`, true);
    });
  }
}

async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on folders; the rename has still happened.
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

// fs errors carry paths and codes, never file content, so their message is safe to pass on.
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
