// The data folder holds every history (emails, plans, comments in temporal.db), the emulator's state and generated
// credentials: only its owner may read it. The folder is 0700 and what we write in it 0600, also when it already
// existed with wider modes (an earlier version, a careless mkdir).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { StackError } from './dev-server';

/** Creates the folder (and its parents) owner-only, and narrows an existing one to 0700. */
export async function ensurePrivateFolder(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
}

/** Narrows files someone else created (the dev server's database and its journals) to 0600; absent ones are fine. */
export async function makePrivate(files: readonly string[]): Promise<void> {
  for (const file of files) {
    await fs.chmod(file, 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/**
 * Reads a generated credential from `file`, or makes one and keeps it there (owner-only). Without `files` (a replica
 * of a fleet), `variable` must have been given instead: nothing is generated per replica.
 */
export async function keyFile(
  file: string,
  required?: string,
): Promise<{ value: string; generated: boolean }> {
  if (required) throw new StackError(`${required} is required: every replica must be given the same value`);
  try {
    const value = (await fs.readFile(file, 'utf8')).trim();
    if (value) return { value, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(24).toString('base64url');
  await fs.writeFile(file, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}
