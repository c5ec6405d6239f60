// Seen event ids, so a re-delivered event is answered with the run it started and a reused id with another
// body is refused. Kept in an append-only JSON-lines file in the data folder (or in memory for tests).
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface SeenEvent {
  eventId: string;
  /** Fingerprint of `[type, data]` (canonical JSON), so re-serialised re-deliveries still match. */
  fingerprint: string;
  type: string;
  workflowId: string;
  /** Absent while the start is in progress (or was interrupted by a crash). */
  runId?: string;
  /** ms since epoch of the first delivery. */
  at: number;
}

export interface EventStore {
  get(eventId: string): SeenEvent | undefined;
  put(event: SeenEvent): Promise<void>;
  delete(eventId: string): Promise<void>;
  close(): Promise<void>;
}

/** Default 30 days: far longer than any sender retries a delivery. */
export const DEFAULT_EVENT_RETENTION_MS = 30 * 24 * 60 * 60_000;

export function memoryEventStore(): EventStore {
  const seen = new Map<string, SeenEvent>();
  return {
    get: (id) => seen.get(id),
    put: async (e) => void seen.set(e.eventId, e),
    delete: async (id) => void seen.delete(id),
    close: async () => undefined,
  };
}

/**
 * Loads `file` (later lines win; `{eventId, deleted: true}` removes), drops entries older than the retention
 * and rewrites it compacted, then appends one line per change. Appends are serialised and fsync'ed before
 * `put` resolves, so an answered request is never forgotten by a crash.
 */
export async function fileEventStore(
  file: string,
  retentionMs: number = DEFAULT_EVENT_RETENTION_MS,
  now: () => number = Date.now,
): Promise<EventStore> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const seen = new Map<string, SeenEvent>();
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: (SeenEvent & { deleted?: boolean }) | undefined;
    try {
      entry = JSON.parse(line) as SeenEvent & { deleted?: boolean };
    } catch {
      continue; // A torn last line from a crash mid-append.
    }
    if (entry.deleted) seen.delete(entry.eventId);
    else if (typeof entry.eventId === 'string') seen.set(entry.eventId, entry);
  }
  const cutoff = now() - retentionMs;
  for (const [id, e] of seen) if (e.at < cutoff) seen.delete(id);
  const compacted = [...seen.values()].map((e) => `${JSON.stringify(e)}\n`).join('');
  await fs.writeFile(`${file}.tmp`, compacted, { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);

  const handle = await fs.open(file, 'a', 0o600);
  let queue: Promise<void> = Promise.resolve();
  const append = (entry: object): Promise<void> => {
    const next = queue.then(async () => {
      await handle.appendFile(`${JSON.stringify(entry)}\n`);
      await handle.sync();
    });
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    get: (id) => seen.get(id),
    put: async (e) => {
      seen.set(e.eventId, e);
      await append(e);
    },
    delete: async (id) => {
      seen.delete(id);
      await append({ eventId: id, deleted: true });
    },
    close: async () => {
      await queue;
      await handle.close();
    },
  };
}
