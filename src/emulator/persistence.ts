import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PersistedState } from './store';

export async function readState(file: string): Promise<PersistedState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A corrupt file is an error, not an empty account: silently starting over would lose state.
  try {
    return JSON.parse(text) as PersistedState;
  } catch (error) {
    throw new Error(`Emulator state file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Writes are serialised and atomic (temp file + rename), so a crash mid-write leaves the previous
 * state intact and concurrent mutations can never interleave their bytes.
 */
export class StateWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly read: () => PersistedState,
  ) {}

  /** Resolves once a write that includes every change made so far has reached the disk. */
  save(): Promise<void> {
    const data = JSON.stringify(this.read());
    const next = this.chain.then(() => this.write(data));
    this.chain = next.catch(() => undefined);
    return next;
  }

  flush(): Promise<void> {
    return this.chain;
  }

  private async write(data: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, data, { mode: 0o600 });
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
