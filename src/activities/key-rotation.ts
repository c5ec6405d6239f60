import { listAll, type ApiKey, type OwnerType } from '../ops-api';
import type { ActivityDeps } from './deps';
import { heartbeat } from './util';

const DAY_MS = 24 * 60 * 60_000;

export interface SelectKeysForRotationInput {
  /** Where to continue the listing; omitted = from the start. */
  pageToken?: string;
  pageSize: number;
  /** Stop after the page on which this many candidates were reached. */
  batchSize: number;
  /** Upper bound on pages per call, so one call stays well inside its timeout. */
  maxPages: number;
  /** "Now" as the workflow sees it (ms): workflow time, not this machine's clock. */
  asOf: number;
  leadDays: number;
  maxAgeDays?: number;
  ownerType?: OwnerType;
  /** Only keys of these service accounts (by name); due keys of others are skipped as `not-selected`. */
  serviceAccounts?: string[];
}

export interface RotationCandidate {
  keyId: string;
  ownerId: string;
  ownerType: OwnerType;
  displayName: string;
  expiryTime: string;
  reason: 'expired' | 'expiring' | 'too-old';
}

export interface SelectedKeys {
  candidates: RotationCandidate[];
  scanned: number;
  /** Keys looked at and left alone because they are not due. */
  notDue: number;
  /** Keys that would be due but cannot be rotated now, by reason. */
  skipped: Record<string, number>;
  /** Absent when the listing is complete. */
  nextPageToken?: string;
}

/** Why a key is due for rotation, or undefined when it is not. */
export function rotationReason(
  key: ApiKey,
  input: Pick<SelectKeysForRotationInput, 'asOf' | 'leadDays' | 'maxAgeDays'>,
): RotationCandidate['reason'] | undefined {
  const expiresAt = Date.parse(key.spec.expiryTime);
  if (expiresAt <= input.asOf) return 'expired';
  if (expiresAt <= input.asOf + input.leadDays * DAY_MS) return 'expiring';
  const createdAt = key.createdTime ? Date.parse(key.createdTime) : NaN;
  if (input.maxAgeDays !== undefined && createdAt <= input.asOf - input.maxAgeDays * DAY_MS) return 'too-old';
  return undefined;
}

export function createKeyRotationActivities({ client }: ActivityDeps) {
  /** The ids of the named service accounts (names are unique in an account); undefined when not restricted. */
  const selectedOwners = async (names: string[] | undefined): Promise<Set<string> | undefined> => {
    if (!names) return undefined;
    const wanted = new Set(names);
    const accounts = await listAll(client, 'listServiceAccounts');
    return new Set(accounts.filter((a) => wanted.has(a.spec.name)).map((a) => a.id));
  };
  return {
    /**
     * One batch of a sweep: walks pages from `pageToken` and returns only the keys due for rotation
     * (a few fields each) and the token to continue from, so a sweep over thousands of keys never puts
     * a full listing into workflow history.
     */
    async selectApiKeysForRotation(input: SelectKeysForRotationInput): Promise<SelectedKeys> {
      const out: SelectedKeys = { candidates: [], scanned: 0, notDue: 0, skipped: {} };
      const selected = await selectedOwners(input.serviceAccounts);
      const ownerType = selected ? 'service-account' : input.ownerType;
      let pageToken = input.pageToken;
      for (let pages = 0; pages < input.maxPages; pages++) {
        const page = await client.listApiKeys({
          pageSize: input.pageSize,
          ...(pageToken ? { pageToken } : {}),
          ...(ownerType ? { ownerType } : {}),
        });
        heartbeat({ pages: pages + 1 });
        for (const key of page.apiKeys ?? []) {
          out.scanned++;
          const reason = rotationReason(key, input);
          if (!reason) {
            out.notDue++;
          } else if (selected && !selected.has(key.spec.ownerId)) {
            out.skipped['not-selected'] = (out.skipped['not-selected'] ?? 0) + 1;
          } else if (key.state !== 'active' && key.state !== 'expired') {
            // `deleting`: on its way out already; `activating`: not usable yet, the next sweep sees it.
            out.skipped[key.state] = (out.skipped[key.state] ?? 0) + 1;
          } else {
            out.candidates.push({
              keyId: key.id,
              ownerId: key.spec.ownerId,
              ownerType: key.spec.ownerType,
              displayName: key.spec.displayName,
              expiryTime: key.spec.expiryTime,
              reason,
            });
          }
        }
        pageToken = page.nextPageToken || undefined;
        if (!pageToken || out.candidates.length >= input.batchSize) break;
      }
      return { ...out, ...(pageToken ? { nextPageToken: pageToken } : {}) };
    },
  };
}
