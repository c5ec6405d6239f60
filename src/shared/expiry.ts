// The expiry watch's vocabulary and rules, shared by the watch (a workflow), the listing activity, the `expiring`
// command and the portal's page: what is inside the warning window, what the product does about each item, and
// which items are due to be reported (once per threshold crossed). Pure code: safe inside the workflow sandbox.
import { z } from 'zod';
import { concurrency, duration, expiryDays, MAX_GRACE_PERIOD } from './validation';

export const DAY_MS = 86_400_000;

/**
 * Warning thresholds in days. Temporal e-mails a key's owner 30, 20 and 10 days ahead; these reach everyone the
 * webhook reaches and add the last week and the last day, when a missed warning costs most.
 */
export const DEFAULT_THRESHOLDS = [30, 14, 7, 1];

/** The level of an expired item: reported once more when it expires, after its last threshold. */
export const EXPIRED_LEVEL = 0;

export type ExpiringKind = 'api-key' | 'ca-certificate';

/**
 * Why the product does what it does with an item:
 * - `auto-rotated`: a service account's key the watch rotates on its own, `leadDays` before expiry;
 * - `user-owned`: a person must make the new key and take its token;
 * - `not-configured`: a service account the watch is not set up to rotate (its consumers are not known to read
 *   the secret sink);
 * - `ca-certificate`: a namespace's accepted CA, rolled over by people (`rotateNamespaceCa`);
 * - `not-rotated`: a key the watch should have rotated and did not (the rotation failed or was skipped).
 */
export type ExpiryReason =
  'auto-rotated' | 'user-owned' | 'not-configured' | 'ca-certificate' | 'not-rotated';

export interface ExpiringItem {
  kind: ExpiringKind;
  /** The key's id, or the certificate's SHA-256 fingerprint. Never a token. */
  id: string;
  /** The key's display name, or the certificate's subject. */
  name: string;
  owner: { type: 'user' | 'service-account' | 'namespace'; id: string; name: string };
  /** ISO-8601. */
  expiresAt: string;
  /** Whole days left when read; negative once expired. */
  daysLeft: number;
  /** `rotate`: the product replaces it on its own; `report`: it tells people. */
  action: 'rotate' | 'report';
  reason: ExpiryReason;
}

/** Which keys the product rotates on its own. */
export interface RotationPolicy {
  /** Service accounts whose keys are rotated: every one, none, or these (by name). */
  serviceAccounts: 'all' | 'none' | string[];
  /** Rotated this many days before expiry. */
  leadDays: number;
}

/** Whole days from `asOf` to `expiresAt` (ms), rounded down: negative once expired. */
export const daysLeft = (expiresAt: number, asOf: number): number => Math.floor((expiresAt - asOf) / DAY_MS);

/**
 * What the product does with an item. `afterRotation`: the watch has just rotated what was due, so a key of a
 * rotated service account still due now is one it failed to rotate.
 */
export function expiryAction(
  item: Pick<ExpiringItem, 'kind' | 'owner' | 'daysLeft'>,
  policy: RotationPolicy | undefined,
  afterRotation: boolean,
): Pick<ExpiringItem, 'action' | 'reason'> {
  if (item.kind === 'ca-certificate') return { action: 'report', reason: 'ca-certificate' };
  if (item.owner.type === 'user') return { action: 'report', reason: 'user-owned' };
  const selected = policy?.serviceAccounts;
  const rotates = selected === 'all' || (Array.isArray(selected) && selected.includes(item.owner.name));
  if (!policy || !rotates) return { action: 'report', reason: 'not-configured' };
  if (afterRotation && item.daysLeft <= policy.leadDays) return { action: 'report', reason: 'not-rotated' };
  return { action: 'rotate', reason: 'auto-rotated' };
}

/** What the product does, in words, for the page and the command. */
export function describeAction(
  item: Pick<ExpiringItem, 'reason'>,
  policy: RotationPolicy | undefined,
): string {
  switch (item.reason) {
    case 'auto-rotated':
      return `rotated automatically ${policy?.leadDays ?? '?'} days before expiry`;
    case 'user-owned':
      return 'reported: its owner makes a new key';
    case 'not-configured':
      return 'reported: not set up for automatic rotation';
    case 'ca-certificate':
      return 'reported: roll the CA over';
    case 'not-rotated':
      return 'reported: automatic rotation did not replace it';
  }
}

/**
 * The warning level an item is at: the smallest threshold at or above its days left, {@link EXPIRED_LEVEL} once
 * expired; undefined outside every threshold.
 */
export function levelOf(days: number, thresholds: readonly number[]): number | undefined {
  if (days < 0) return EXPIRED_LEVEL;
  const above = thresholds.filter((t) => days <= t);
  return above.length ? Math.min(...above) : undefined;
}

/**
 * What earlier runs reported: item → the lowest level reported for it. Carried from run to run (the schedule's
 * last completion result); only items still to report and inside the window are kept, so it stays as small as
 * the window.
 */
export type ExpiryLedger = Record<string, number>;

/**
 * An item's ledger key. A key's includes its expiry (a key given a new expiry is a new item to warn about); a
 * certificate's fingerprint fixes its expiry, and it is one item per namespace that accepts it.
 */
export const ledgerKey = (item: Pick<ExpiringItem, 'kind' | 'id' | 'owner' | 'expiresAt'>): string =>
  item.kind === 'api-key' ? `api-key/${item.id}@${item.expiresAt}` : `ca/${item.owner.id}/${item.id}`;

export type ReportedItem = ExpiringItem & { level: number };

/**
 * The items to report now and what the ledger keeps of the earlier reports: an item to report is due when it
 * has not been reported yet, or has crossed a threshold below the one it was last reported at (several crossed
 * since, as after missed runs, make one report at the lowest). Items not to report, or gone, leave the ledger.
 */
export function dueReports(
  items: readonly ExpiringItem[],
  thresholds: readonly number[],
  ledger: ExpiryLedger,
): { due: ReportedItem[]; kept: ExpiryLedger } {
  const due: ReportedItem[] = [];
  const kept: ExpiryLedger = {};
  for (const item of items) {
    const level = item.action === 'report' ? levelOf(item.daysLeft, thresholds) : undefined;
    if (level === undefined) continue;
    const key = ledgerKey(item);
    const before = Object.hasOwn(ledger, key) ? ledger[key] : undefined;
    if (before !== undefined) kept[key] = before;
    if (before === undefined || level < before) due.push({ ...item, level });
  }
  return { due, kept };
}

/** The ledger after `sent` were delivered. */
export function recorded(kept: ExpiryLedger, sent: readonly ReportedItem[]): ExpiryLedger {
  const next = { ...kept };
  for (const item of sent) next[ledgerKey(item)] = item.level;
  return next;
}

/** A ledger from an earlier result, if it holds one; anything else (a first run, another version) is empty. */
export function ledgerFrom(result: unknown): ExpiryLedger {
  const ledger = (result as { ledger?: unknown } | undefined)?.ledger;
  if (!ledger || typeof ledger !== 'object' || Array.isArray(ledger)) return {};
  return Object.fromEntries(
    Object.entries(ledger).filter((e): e is [string, number] => typeof e[1] === 'number'),
  );
}

// ---------------------------------------------------------------- inputs

const wholeDays = (min: number, max: number) =>
  z
    .number()
    .int({ error: 'must be a whole number of days' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

export const rotateServiceAccounts = z
  .union([
    z.enum(['all', 'none']),
    z.array(z.string().min(1, { error: 'must not be empty' })).min(1, { error: 'must name one at least' }),
  ])
  .refine((v) => !Array.isArray(v) || v.length <= 1000, { error: 'must name at most 1000' });

export const rotationPolicy = z.strictObject({
  serviceAccounts: rotateServiceAccounts,
  leadDays: wholeDays(0, 365),
});

/**
 * Items kept in a result; a bigger window is counted in `omitted` (the soonest to expire are kept). The result (items,
 * what was reported, the ledger) is the schedule's next input too: 500 items keep it near 300 KB, under Temporal's
 * 512 KB payload warning; 1,000 is the most allowed.
 */
const maxItems = z.number().int().min(1).max(1000).default(500);

export const watchExpiryInput = z
  .strictObject({
    /** Report an item as it crosses each of these (days before expiry), and once more when it expires. */
    thresholds: z
      .array(wholeDays(1, 365))
      .min(1, { error: 'must hold one threshold at least' })
      .max(10, { error: 'must hold at most 10 thresholds' })
      .refine((t) => new Set(t).size === t.length, { error: 'must not repeat a threshold' })
      .default(DEFAULT_THRESHOLDS),
    /** Service accounts whose keys the watch rotates: `all`, `none`, or a list of names. */
    rotateServiceAccounts: rotateServiceAccounts.default('all'),
    /** The rotation's settings, as the key sweep has them. */
    leadDays: wholeDays(0, 365).default(14),
    expiryDays: expiryDays.default(90),
    gracePeriod: duration(30 * 86_400_000, MAX_GRACE_PERIOD).default('0'),
    concurrency: concurrency(5),
    maxItems,
  })
  .refine((v) => v.expiryDays > v.leadDays, {
    error: 'must be greater than leadDays, or every replacement key would itself be due',
    path: ['expiryDays'],
  });
export type WatchExpiryInput = z.input<typeof watchExpiryInput>;
export type WatchExpiryRequest = z.output<typeof watchExpiryInput>;

/** The rotation policy of a (validated) watch input. */
export const policyOf = (input: WatchExpiryRequest): RotationPolicy => ({
  serviceAccounts: input.rotateServiceAccounts,
  leadDays: input.leadDays,
});

/** The watch looks as far ahead as its widest threshold, or its rotation's lead if that is further. */
export const windowOf = (input: WatchExpiryRequest): number =>
  Math.max(...input.thresholds, input.rotateServiceAccounts === 'none' ? 0 : input.leadDays);

export const listExpiringInput = z.strictObject({
  withinDays: wholeDays(0, 3650),
  /** What the watch rotates on its own (from its schedule); absent: nothing is. */
  rotation: rotationPolicy.optional(),
  maxItems,
});
export type ListExpiringInput = z.input<typeof listExpiringInput>;
