// The fleet-wide Ops API limits as a pure state machine: what the limiter workflow (src/workflows/ops-api-limiter.ts)
// holds and how it answers. Workflow-safe (no I/O, time passed in), so the workers' side can be tested against it
// in memory. Times are the limiter workflow's own clock (ms): leases are never compared with a worker's clock.

/** The limiter workflow of a task queue, and its updates and queries. */
export const FLEET_LIMITER = {
  workflowType: 'opsApiLimiter',
  workflowId: (taskQueue: string) => `ops-api-limiter/${taskQueue}`,
  sync: 'syncRequestSlots',
  acquireMutation: 'acquireMutationSlot',
  rebindMutation: 'rebindMutationSlot',
  releaseMutation: 'releaseMutationSlot',
  stateQuery: 'state',
} as const;

/** Failure types of rejected updates (rejections write nothing to the limiter's history). */
export const FLEET_REJECTIONS = {
  /** A sync that would change nothing; its details carry the holder's current grant. */
  unchanged: 'FleetLimiterUnchanged',
  /** Every mutation slot is taken; its details carry the orphaned operations (see `orphanedOperations`). */
  full: 'FleetLimiterFull',
  /** Releasing or rebinding a slot the limiter does not hold. */
  unknown: 'FleetLimiterUnknownSlot',
  invalid: 'FleetLimiterInvalidRequest',
} as const;

export interface FleetCaps {
  /** Ops API requests per second across the task queue's workers; 0 = this worker does not limit them. */
  requestsPerSecond: number;
  /** Async operations in flight across the task queue's workers; 0 = not limited. */
  mutations: number;
}

export interface HolderRecord {
  /** When the lease ends unless renewed (limiter time, ms). */
  expiresAt: number;
  /** Request slots granted to the holder. */
  slots: number;
  /** Requests waiting in the holder at its last sync (capped at the fleet rate). */
  wanted: number;
  caps: FleetCaps;
}

export interface MutationRecord {
  holder: string;
  /** When the slot was taken (limiter time, ms). */
  since: number;
  /** The slot comes back at this time at the latest, whatever happened to the operation. */
  expiresAt: number;
  /**
   * True when the key is the async operation's own id: the request may have reached the API, so the slot belongs
   * to the operation (whoever polls it) rather than to the holder, and outlives a dead holder.
   */
  operation: boolean;
}

export interface LimiterState {
  holders: Record<string, HolderRecord>;
  mutations: Record<string, MutationRecord>;
}

export const emptyLimiterState = (): LimiterState => ({ holders: {}, mutations: {} });

export interface SyncRequest {
  holder: string;
  /** Slots the holder still counts as its own (it reports fewer once a slot it gives back has cooled down). */
  slots: number;
  /** Requests waiting for a slot in the holder. */
  wanted: number;
  leaseMs: number;
  caps: FleetCaps;
}

export interface SyncResult {
  /** The slots the holder owns now. */
  slots: number;
  /** Its fair share: above it, the holder gives slots back. */
  target: number;
  /** The fleet's caps: the lowest of the live holders'. */
  caps: FleetCaps;
}

export interface AcquireMutationRequest {
  key: string;
  holder: string;
  /** `key` is the async operation's id (chosen by the client before sending). */
  operation: boolean;
  holdLimitMs: number;
  leaseMs: number;
  caps: FleetCaps;
}

export interface AcquireMutationResult {
  /** The key already held a slot as an operation (see holdsOperation). */
  existed: boolean;
}

/** A snapshot for the `state` query, tests and the bench. */
export interface LimiterView {
  caps: FleetCaps;
  holders: Array<{ holder: string; slots: number; wanted: number; expiresInMs: number }>;
  mutations: Array<{ key: string; holder: string; operation: boolean; heldMs: number }>;
  requestSlotsInUse: number;
  mutationSlotsInUse: number;
}

/** A sync is accepted (and renews the lease) when this little of it is left, even if nothing else changes. */
export const RENEW_WHEN_REMAINING = 0.75;

const live = (h: HolderRecord | undefined, now: number): h is HolderRecord => !!h && h.expiresAt > now;

function mutationLive(state: LimiterState, m: MutationRecord, now: number): boolean {
  return m.expiresAt > now && (m.operation || live(state.holders[m.holder], now));
}

/** Drops expired leases and slots: a dead holder's request slots and unsent reservations come back here. */
export function purge(state: LimiterState, now: number): LimiterState {
  const holders: LimiterState['holders'] = {};
  for (const [id, h] of Object.entries(state.holders)) if (live(h, now)) holders[id] = h;
  const next: LimiterState = { holders, mutations: {} };
  for (const [key, m] of Object.entries(state.mutations))
    if (mutationLive(next, m, now)) next.mutations[key] = m;
  return next;
}

/** The lowest positive cap among the live holders (and the caller), per dimension; 0 when nobody sets one. */
export function effectiveCaps(state: LimiterState, now: number, caller?: FleetCaps): FleetCaps {
  const all = Object.values(state.holders)
    .filter((h) => live(h, now))
    .map((h) => h.caps);
  if (caller) all.push(caller);
  const lowest = (pick: (c: FleetCaps) => number) =>
    all.map(pick).reduce((min, v) => (v > 0 && (min === 0 || v < min) ? v : min), 0);
  return { requestsPerSecond: lowest((c) => c.requestsPerSecond), mutations: lowest((c) => c.mutations) };
}

/** Max-min fair shares of `capacity` for `demands` (water-filling): nobody gets more than it asks for. */
export function fairShares(demands: readonly number[], capacity: number): number[] {
  const shares = demands.map(() => 0);
  let left = capacity;
  let open = demands.map((_, i) => i).filter((i) => demands[i]! > 0);
  while (left > 0 && open.length > 0) {
    const each = Math.floor(left / open.length);
    if (each === 0) {
      // Fewer slots than claimants: one each, in order, until none is left.
      for (const i of open) {
        if (left === 0) break;
        shares[i]!++;
        left--;
      }
      break;
    }
    for (const i of open) {
      const give = Math.min(each, demands[i]! - shares[i]!);
      shares[i]! += give;
      left -= give;
    }
    open = open.filter((i) => shares[i]! < demands[i]!);
  }
  return shares;
}

export function validateSyncRequest(req: SyncRequest): string | undefined {
  if (typeof req?.holder !== 'string' || req.holder === '') return 'holder is required';
  for (const k of ['slots', 'wanted', 'leaseMs'] as const) {
    if (!Number.isInteger(req[k]) || req[k] < 0) return `${k} must be a non-negative integer`;
  }
  if (req.leaseMs < 1_000) return 'leaseMs must be at least 1000';
  return capsProblem(req.caps);
}

export function validateAcquireMutation(req: AcquireMutationRequest): string | undefined {
  if (typeof req?.key !== 'string' || req.key === '') return 'key is required';
  if (typeof req.holder !== 'string' || req.holder === '') return 'holder is required';
  if (!(req.holdLimitMs > 0) || !(req.leaseMs >= 1_000)) return 'holdLimitMs and leaseMs must be positive';
  return capsProblem(req.caps);
}

function capsProblem(caps: FleetCaps | undefined): string | undefined {
  if (!caps || !(caps.requestsPerSecond >= 0) || !(caps.mutations >= 0)) return 'caps must be non-negative';
  return undefined;
}

/**
 * The holder's new grant: it keeps what it reports (never more than it was given), and gets free slots up to its
 * fair share of the fleet rate among the holders that want slots. Slots above the share are not taken back here:
 * only the holder knows when a slot it used has cooled down, so it gives them back itself (the limiter never
 * counts a slot as free while a request made with it may still fall within the rate's window).
 */
export function applySync(
  state: LimiterState,
  req: SyncRequest,
  now: number,
): { state: LimiterState; result: SyncResult; changed: boolean } {
  const clean = purge(state, now);
  const previous = clean.holders[req.holder];
  const caps = effectiveCaps(clean, now, req.caps);
  const rate = caps.requestsPerSecond;
  const current = Math.min(previous?.slots ?? 0, req.slots);
  const wanted = Math.min(req.wanted, rate);
  const others = Object.entries(clean.holders).filter(([id]) => id !== req.holder);
  const used = others.reduce((sum, [, h]) => sum + h.slots, 0);
  // Every holder computes the shares over the same order (by id), so the remainder of an uneven split goes to the
  // same holders whoever asks; caller-first, the targets would add up to more than the rate and one could starve.
  const ids = [req.holder, ...others.map(([id]) => id)].sort();
  const me = ids.indexOf(req.holder);
  const demandOf = (id: string) =>
    id === req.holder
      ? Math.min(rate, current + wanted)
      : Math.min(rate, clean.holders[id]!.slots + clean.holders[id]!.wanted);
  const demands = ids.map(demandOf);
  const shares = rate > 0 ? fairShares(demands, rate) : demands.map(() => 0);
  const target = shares[me]!;
  const free = Math.max(0, rate - used - current);
  const slots = current + Math.max(0, Math.min(target - current, free));
  const record: HolderRecord = { expiresAt: now + req.leaseMs, slots, wanted, caps: req.caps };
  const renewDue = !previous || previous.expiresAt - now < req.leaseMs * RENEW_WHEN_REMAINING;
  // A new demand is worth a history event only when it moves another holder's share (the holder itself gets its
  // target in the answer either way): a lone worker's changing demand costs nothing.
  const sharesBefore = () =>
    fairShares(
      demands.map((d, i) => (i === me ? Math.min(rate, previous!.slots + previous!.wanted) : d)),
      rate,
    );
  const changed =
    renewDue ||
    previous.slots !== slots ||
    previous.caps.requestsPerSecond !== req.caps.requestsPerSecond ||
    previous.caps.mutations !== req.caps.mutations ||
    (rate > 0 && sharesBefore().some((share, i) => i !== me && share !== shares[i]));
  return {
    state: { ...clean, holders: { ...clean.holders, [req.holder]: record } },
    result: { slots, target, caps },
    changed,
  };
}

/**
 * Operations holding a slot whose holder's lease has ended (oldest first): their waits may have been running on a
 * dead worker, so nobody may poll them for a while. A worker refused a slot asks the API about these, and gives the
 * finished ones back. Operations of live holders are left to their own waits' polls.
 */
export function orphanedOperations(state: LimiterState, now: number): string[] {
  const clean = purge(state, now);
  return Object.entries(clean.mutations)
    .filter(([, m]) => m.operation && !live(clean.holders[m.holder], now))
    .sort(([, a], [, b]) => a.since - b.since)
    .map(([key]) => key);
}

/**
 * Whether `key` already holds a slot as an operation: a retry of a request that may have started it. Such a retry
 * that fails must not give the slot back, since the operation may be running (only a poll that sees it finish, a
 * probe, or the hold limit frees it).
 */
export function holdsOperation(state: LimiterState, key: string, now: number): boolean {
  return purge(state, now).mutations[key]?.operation === true;
}

/**
 * Takes a mutation slot for `key`; the same key again is the same slot (a retried request of one operation, on
 * this or another worker). Refused (undefined) when every slot is taken.
 */
export function applyAcquireMutation(
  state: LimiterState,
  req: AcquireMutationRequest,
  now: number,
): LimiterState | undefined {
  const clean = purge(state, now);
  const caps = effectiveCaps(clean, now, req.caps);
  const existing = clean.mutations[req.key];
  if (!existing && caps.mutations > 0 && Object.keys(clean.mutations).length >= caps.mutations)
    return undefined;
  const holder = clean.holders[req.holder];
  // A reservation lives as long as its holder's lease; taking one renews (or starts) that lease.
  const lease: HolderRecord = holder
    ? { ...holder, expiresAt: Math.max(holder.expiresAt, now + req.leaseMs) }
    : { expiresAt: now + req.leaseMs, slots: 0, wanted: 0, caps: req.caps };
  const record: MutationRecord = existing
    ? { ...existing, holder: req.holder, operation: existing.operation || req.operation }
    : { holder: req.holder, since: now, expiresAt: now + req.holdLimitMs, operation: req.operation };
  return {
    holders: { ...clean.holders, [req.holder]: lease },
    mutations: { ...clean.mutations, [req.key]: record },
  };
}

/**
 * The limiter's whole answer to a request for a mutation slot, for the workflow and the in-memory coordinator alike:
 * the new state and whether the key was already an operation's (see holdsOperation), or, when every slot is taken,
 * the orphaned operations to ask about.
 */
export type MutationSlotAnswer =
  { taken: true; state: LimiterState; existed: boolean } | { taken: false; orphaned: string[] };

export function takeMutationSlot(
  state: LimiterState,
  req: AcquireMutationRequest,
  now: number,
): MutationSlotAnswer {
  const next = applyAcquireMutation(state, req, now);
  return next
    ? { taken: true, state: next, existed: holdsOperation(state, req.key, now) }
    : { taken: false, orphaned: orphanedOperations(state, now) };
}

/** The reservation `from` started operation `to`: the slot now belongs to the operation. */
export function applyRebindMutation(
  state: LimiterState,
  from: string,
  to: string,
  now: number,
): LimiterState | undefined {
  const clean = purge(state, now);
  const record = clean.mutations[from];
  if (!record) return undefined;
  const mutations = { ...clean.mutations };
  delete mutations[from];
  mutations[to] = { ...(mutations[to] ?? record), operation: true };
  return { ...clean, mutations };
}

export function applyReleaseMutation(
  state: LimiterState,
  key: string,
  now: number,
): LimiterState | undefined {
  const clean = purge(state, now);
  if (!clean.mutations[key]) return undefined;
  const mutations = { ...clean.mutations };
  delete mutations[key];
  return { ...clean, mutations };
}

export function limiterView(state: LimiterState, now: number): LimiterView {
  const clean = purge(state, now);
  const holders = Object.entries(clean.holders).map(([holder, h]) => ({
    holder,
    slots: h.slots,
    wanted: h.wanted,
    expiresInMs: h.expiresAt - now,
  }));
  return {
    caps: effectiveCaps(clean, now),
    holders,
    mutations: Object.entries(clean.mutations).map(([key, m]) => ({
      key,
      holder: m.holder,
      operation: m.operation,
      heldMs: now - m.since,
    })),
    requestSlotsInUse: holders.reduce((sum, h) => sum + h.slots, 0),
    mutationSlotsInUse: Object.keys(clean.mutations).length,
  };
}
