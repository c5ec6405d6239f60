// What the forms offer to pick from: regions, users and service accounts, read from the Ops API with the service's
// own client (its key stays inside the client) and kept briefly, so a page view is not an API call. A failed read
// is remembered for a moment too and shown as "unavailable"; the error itself never reaches a page.
import type { Logger } from '../logger';
import { listAll, type OpsApiClient } from '../ops-api';

export interface Choice {
  id: string;
  label: string;
}

export interface DirectoryData {
  regions: Choice[];
  users: Choice[];
  serviceAccounts: Choice[];
}

export type Lookup<T> = { ok: true; value: T } | { ok: false };

export interface Directory {
  regions(): Promise<Lookup<Choice[]>>;
  /** Active users, by email. */
  users(): Promise<Lookup<Choice[]>>;
  serviceAccounts(): Promise<Lookup<Choice[]>>;
}

/** Default 60 s: regions never change and people rarely; a new user shows up within a minute. */
export const DIRECTORY_TTL_MS = 60_000;
const FAILURE_TTL_MS = 5_000;

export function createDirectory(
  client: Pick<OpsApiClient, 'listRegions' | 'listUsers' | 'listServiceAccounts'>,
  logger: Logger,
  ttlMs = DIRECTORY_TTL_MS,
  now: () => number = Date.now,
): Directory {
  const cached = <T>(what: string, load: () => Promise<T>) => {
    let entry: { at: number; ttl: number; value: Promise<Lookup<T>> } | undefined;
    return (): Promise<Lookup<T>> => {
      if (entry && now() - entry.at < entry.ttl) return entry.value;
      const fresh = { at: now(), ttl: ttlMs, value: Promise.resolve<Lookup<T>>({ ok: false }) };
      fresh.value = load().then(
        (value) => ({ ok: true as const, value }),
        (err: unknown) => {
          fresh.ttl = FAILURE_TTL_MS;
          logger.warn({ err, what }, 'portal: Ops API lookup failed');
          return { ok: false as const };
        },
      );
      entry = fresh;
      return fresh.value;
    };
  };
  const byLabel = (a: Choice, b: Choice) => a.label.localeCompare(b.label);
  return {
    regions: cached('regions', async () =>
      ((await client.listRegions()).regions ?? [])
        .filter((r): r is typeof r & { id: string } => typeof r.id === 'string' && r.id !== '')
        .map((r) => ({
          id: r.id,
          label: [r.id, [r.cloudProvider, r.location].filter(Boolean).join(', ')].filter(Boolean).join(' — '),
        })),
    ),
    users: cached('users', async () =>
      (await listAll(client as OpsApiClient, 'listUsers'))
        .filter((u) => u.state !== 'deleting' && u.state !== 'deleted')
        .map((u) => ({ id: u.id, label: u.spec.email }))
        .sort(byLabel),
    ),
    serviceAccounts: cached('service accounts', async () =>
      (await listAll(client as OpsApiClient, 'listServiceAccounts'))
        .filter((a) => a.state !== 'deleting' && a.state !== 'deleted')
        .map((a) => ({ id: a.id, label: a.spec.name }))
        .sort(byLabel),
    ),
  };
}
