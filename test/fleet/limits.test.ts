// The fleet limiter's rules (src/shared/fleet-limits.ts) and the workers' side of them (src/fleet/), against the
// rules in memory: shares, leases on the limiter's clock, slots that outlive a dead worker only as long as they must.
import { operationIntervals, peakConcurrent, peakInWindow } from '../../bench/metrics';
import { ConfigError, fleetLeaseSeconds, loadWorkerConfig } from '../../src/config';
import { FleetMutationGate, memoryCoordinator, RequestSlots } from '../../src/fleet';
import { createLogger } from '../../src/logger';
import { MutationGate, OpsApiError } from '../../src/ops-api';
import { fleetCaps } from '../../src/worker';
import {
  applyAcquireMutation,
  applyRebindMutation,
  applyReleaseMutation,
  applySync,
  emptyLimiterState,
  fairShares,
  limiterView,
  orphanedOperations,
  type FleetCaps,
  type LimiterState,
} from '../../src/shared/fleet-limits';

const caps: FleetCaps = { requestsPerSecond: 6, mutations: 2 };
const sync = (holder: string, slots: number, wanted: number, leaseMs = 10_000) => ({
  holder,
  slots,
  wanted,
  leaseMs,
  caps,
});

describe('the rules', () => {
  test('fair shares: nobody gets more than it asks for, the rest is split evenly', () => {
    expect(fairShares([10, 2, 10], 12)).toEqual([5, 2, 5]);
    expect(fairShares([1, 1, 1], 2)).toEqual([1, 1, 0]);
    expect(fairShares([0, 4], 6)).toEqual([0, 4]);
  });

  test('slots are granted up to the fleet rate, and a newcomer is owed a fair share that the others give back', () => {
    let state: LimiterState = emptyLimiterState();
    let r = applySync(state, sync('a', 0, 10), 0);
    state = r.state;
    expect(r.result).toMatchObject({ slots: 6, target: 6 });
    r = applySync(state, sync('b', 0, 10), 0);
    state = r.state;
    // Nothing is free, and nothing is taken away from a: it must give back itself (only it knows when a slot cooled).
    expect(r.result).toMatchObject({ slots: 0, target: 3 });
    r = applySync(state, sync('a', 6, 10), 1);
    expect(r.result).toMatchObject({ slots: 6, target: 3 });
    state = applySync(r.state, sync('a', 3, 10), 2).state; // a gave 3 back
    r = applySync(state, sync('b', 0, 10), 3);
    expect(r.result).toMatchObject({ slots: 3, target: 3 });
    expect(limiterView(r.state, 3).requestSlotsInUse).toBe(6);
  });

  test('an uneven split is the same whoever asks: the targets never add up to more than the rate', () => {
    // Rate 2, three busy holders: caller-first, each was told its target is 1 (3 in all) and one could starve.
    const busy = (h: string, slots: number) => ({
      ...sync(h, slots, 2),
      caps: { requestsPerSecond: 2, mutations: 2 },
    });
    let state: LimiterState = emptyLimiterState();
    for (const h of ['c', 'a', 'b']) state = applySync(state, busy(h, 0), 0).state;
    for (let round = 1; round <= 3; round++) {
      const targets = ['a', 'b', 'c'].map((h) => {
        const mine = state.holders[h]!.slots;
        const r = applySync(state, busy(h, mine), round);
        state = r.state;
        return r.result.target;
      });
      expect(targets.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(2);
      expect(limiterView(state, round).requestSlotsInUse).toBeLessThanOrEqual(2);
    }
  });

  test('a sync that changes nothing is refused (no history), until the lease needs renewing', () => {
    let state = applySync(emptyLimiterState(), sync('a', 0, 2), 0).state;
    state = applySync(state, sync('a', 2, 2), 0).state;
    expect(applySync(state, sync('a', 2, 2), 1_000).changed).toBe(false);
    expect(applySync(state, sync('a', 2, 2), 3_000).changed).toBe(true); // less than 75 % of the lease left
  });

  test("more demand is recorded only when it moves another holder's share", () => {
    // The fleet's 6 slots: a holds 4, b 2, neither waits.
    let state = applySync(emptyLimiterState(), sync('a', 0, 4), 0).state;
    state = applySync(state, sync('a', 4, 0), 0).state;
    state = applySync(state, sync('b', 0, 2), 0).state;
    state = applySync(state, sync('b', 2, 0), 0).state;
    // a wants one more: shares stay 4 and 2, nothing to grant: refused, the answer says so without history.
    expect(applySync(state, sync('a', 4, 1), 1_000)).toMatchObject({
      changed: false,
      result: { slots: 4, target: 4 },
    });
    // b wants three more: its fair share is 3, so a's drops to 3 (a gives one back when it next hears).
    const r = applySync(state, sync('b', 2, 3), 1_000);
    expect(r).toMatchObject({ changed: true, result: { slots: 2, target: 3 } });
    expect(applySync(r.state, sync('a', 4, 0), 1_000).result.target).toBe(3);
  });

  test("a dead holder's request slots come back when its lease ends on the limiter's clock", () => {
    let state = applySync(emptyLimiterState(), sync('dead', 0, 6, 5_000), 0).state;
    expect(applySync(state, sync('b', 0, 6), 4_999).result.slots).toBe(0);
    state = applySync(state, sync('b', 0, 6), 5_000).state;
    expect(limiterView(state, 5_000).holders.map((h) => [h.holder, h.slots])).toEqual([['b', 6]]);
  });

  test('the lowest cap of the live holders applies', () => {
    const state = applySync(
      emptyLimiterState(),
      { ...sync('a', 0, 10), caps: { ...caps, requestsPerSecond: 4 } },
      0,
    );
    expect(state.result).toMatchObject({ slots: 4, caps: { requestsPerSecond: 4 } });
    expect(applySync(state.state, sync('b', 0, 10), 0).result.slots).toBe(0);
  });

  test('mutation slots: at most the cap; one operation is one slot wherever it is retried', () => {
    const take = (s: LimiterState, key: string, holder = 'a', operation = true) =>
      applyAcquireMutation(s, { key, holder, operation, holdLimitMs: 60_000, leaseMs: 5_000, caps }, 0);
    let state = take(emptyLimiterState(), 'op-1')!;
    state = take(state, 'op-2')!;
    expect(take(state, 'op-3')).toBeUndefined(); // full
    state = take(state, 'op-1', 'b')!; // the same operation from another worker: the same slot
    expect(limiterView(state, 0).mutationSlotsInUse).toBe(2);
    state = applyReleaseMutation(state, 'op-1', 1)!;
    expect(take(state, 'op-3')).toBeDefined();
    expect(applyReleaseMutation(state, 'op-1', 1)).toBeUndefined(); // unknown: refused, nothing to write
  });

  test("an operation's slot outlives a dead worker; a reservation that never reached the API does not", () => {
    const base = { holdLimitMs: 60_000, leaseMs: 5_000, caps };
    let state = applyAcquireMutation(
      emptyLimiterState(),
      { ...base, key: 'op-1', holder: 'dead', operation: true },
      0,
    )!;
    state = applyAcquireMutation(
      state,
      { ...base, key: 'reservation/x', holder: 'dead', operation: false },
      0,
    )!;
    expect(limiterView(state, 4_000).mutations.map((m) => m.key)).toEqual(['op-1', 'reservation/x']);
    // The lease is over: the reservation is gone, the operation (which may still run) keeps its slot until a poll
    // sees it finish, or the hold limit.
    expect(limiterView(state, 5_000).mutations.map((m) => m.key)).toEqual(['op-1']);
    expect(limiterView(state, 60_000).mutations).toEqual([]);
    // A reservation whose request started an operation becomes that operation's slot.
    state = applyRebindMutation(state, 'reservation/x', 'op-2', 1_000)!;
    expect(
      limiterView(state, 5_000)
        .mutations.map((m) => m.key)
        .sort(),
    ).toEqual(['op-1', 'op-2']);
  });

  test("a dead worker's operations are named as orphaned (to be asked about), a live worker's are not", () => {
    const roomy = { ...caps, mutations: 5 };
    const take = (s: LimiterState, key: string, holder: string, at: number) =>
      applyAcquireMutation(
        s,
        { key, holder, operation: true, holdLimitMs: 60_000, leaseMs: 5_000, caps: roomy },
        at,
      )!;
    let state = take(emptyLimiterState(), 'op-old', 'dead', 0);
    state = take(state, 'op-new', 'dead', 1_000);
    state = take(state, 'op-live', 'alive', 1_000);
    expect(orphanedOperations(state, 5_500)).toEqual([]); // dead's lease runs until 6 s (renewed by its 2nd take)
    state = applySync(state, { ...sync('alive', 0, 0), caps: roomy }, 5_500).state; // alive renews
    expect(orphanedOperations(state, 6_000)).toEqual(['op-old', 'op-new']);
    // Another worker retrying the same operation takes it over: no longer orphaned.
    state = take(state, 'op-old', 'alive', 6_500);
    expect(orphanedOperations(state, 7_000)).toEqual(['op-new']);
  });
});

describe("the workers' side", () => {
  const now = () => performance.now();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** A worker's fleet gate with one mutation slot for the whole fleet. */
  const oneSlotGate = (
    coordinator: ReturnType<typeof memoryCoordinator>,
    holder: string,
    extra: Partial<ConstructorParameters<typeof FleetMutationGate>[0]> = {},
  ) =>
    new FleetMutationGate({
      coordinator,
      holder,
      caps: { requestsPerSecond: 0, mutations: 1 },
      leaseMs: 5_000,
      holdLimitMs: 60_000,
      ...extra,
    });

  test('three workers never make more requests in any window than the fleet has slots, and all get some', async () => {
    const limiter = memoryCoordinator(now);
    const windowMs = 200;
    const pools = ['w1', 'w2', 'w3'].map(
      (holder) =>
        new RequestSlots({
          coordinator: limiter,
          holder,
          caps: { requestsPerSecond: 5, mutations: 0 },
          leaseMs: 2_000,
          requestTimeoutMs: 100,
          acquireTimeoutMs: 5_000,
          windowMs,
          demandSyncMs: 20,
        }),
    );
    const made: Array<{ at: number; holder: number }> = [];
    const until = now() + 2_000;
    await Promise.all(
      pools.flatMap((pool, holder) =>
        Array.from({ length: 4 }, async () => {
          while (now() < until) {
            const done = await pool.acquire('listNamespaces');
            made.push({ at: now(), holder });
            await sleep(5);
            done();
          }
        }),
      ),
    );
    await Promise.all(pools.map((p) => p.close(500)));
    made.sort((a, b) => a.at - b.at);
    const peak = Math.max(
      ...made.map((m) => made.filter((o) => o.at >= m.at && o.at < m.at + windowMs).length),
    );
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBe(5); // the cap was reached, so it was the limiter that held the line
    expect(new Set(made.map((m) => m.holder)).size).toBe(3);
  });

  test("a dead worker's slots come back after its lease, and it used none of them that late", async () => {
    const limiter = memoryCoordinator(now);
    let killed = false;
    // A killed process says nothing more: its link to the limiter is gone.
    const deadLink = {
      ...limiter,
      sync: (req: Parameters<typeof limiter.sync>[0]) =>
        killed ? Promise.reject(new Error('killed')) : limiter.sync(req),
    };
    const options = {
      caps: { requestsPerSecond: 2, mutations: 0 },
      leaseMs: 600,
      requestTimeoutMs: 100,
      acquireTimeoutMs: 2_000,
      windowMs: 100,
      demandSyncMs: 20,
    };
    const dead = new RequestSlots({ ...options, coordinator: deadLink, holder: 'dead' });
    // Two requests at once: it holds every slot of the fleet.
    for (const done of await Promise.all([dead.acquire('listUsers'), dead.acquire('listUsers')])) done();
    expect(limiter.view().holders).toEqual([expect.objectContaining({ holder: 'dead', slots: 2 })]);
    killed = true;
    // What a half-dead worker still does with its slots, and when another worker gets them.
    const deadUses: number[] = [];
    const stillTrying = (async () => {
      for (;;) {
        const done = await dead.acquire('listUsers').catch(() => undefined);
        if (!done) return;
        deadUses.push(now());
        done();
      }
    })();
    const alive = new RequestSlots({ ...options, coordinator: limiter, holder: 'alive' });
    (await alive.acquire('listUsers'))();
    const aliveFirst = now();
    await stillTrying;
    // The dead worker's lease ended on the limiter's clock: its slots are free for the living.
    expect(limiter.view().holders.map((h) => h.holder)).toEqual(['alive']);
    // Every request the cut-off worker made, plus its window, was over before its slots went to another worker.
    expect(Math.max(...deadUses) + options.requestTimeoutMs + options.windowMs).toBeLessThanOrEqual(
      aliveFirst,
    );
    await Promise.all([alive.close(200), dead.close(10)]);
  });

  test('mutations: the fleet gate waits for a slot, a poll on any worker frees it, and the local gate comes first', async () => {
    const limiter = memoryCoordinator(now);
    const gate = (holder: string, local?: MutationGate) =>
      oneSlotGate(limiter, holder, local ? { local } : {});
    const a = gate('a', new MutationGate(5));
    const b = gate('b');
    const slot = await a.take(1_000, 'op-1');
    expect(slot).toBeDefined();
    slot!.hold('op-1');
    expect(await b.take(200, 'op-2')).toBeUndefined(); // the fleet's one slot is taken
    const waiting = b.take(2_000, 'op-2');
    b.finished('op-1'); // worker b's poll sees a's operation finish
    expect(await waiting).toBeDefined();
    await Promise.all([a.close(), b.close()]);
    expect(limiter.view().mutations.map((m) => m.key)).toEqual(['op-2']);
    // A local cap below the fleet's holds first.
    const local = new MutationGate(1);
    const c = gate('c', local);
    limiter.state = emptyLimiterState();
    (await c.take(100, 'op-3'))!.hold('op-3');
    expect(await c.take(100, 'op-4')).toBeUndefined();
    expect(local.inFlight).toBe(1);
  });

  test("a retried mutation that fails keeps its operation's slot (the first attempt may have started it)", async () => {
    const limiter = memoryCoordinator(now);
    const gate = (holder: string) => oneSlotGate(limiter, holder);
    const a = gate('a');
    const b = gate('b');
    // Attempt 1 timed out: the operation may run, its slot stays with it.
    (await a.take(1_000, 'op-1'))!.hold('op-1');
    // Attempt 2 (another worker) gets the same slot and an error, e.g. a 409 for the create attempt 1 made.
    const retry = await b.take(1_000, 'op-1');
    expect(retry).toBeDefined();
    retry!.release();
    await b.close();
    expect(limiter.view().mutations.map((m) => m.key)).toEqual(['op-1']);
    expect(await a.take(200, 'op-2')).toBeUndefined(); // still the fleet's one operation in flight
    // A first attempt that fails started nothing: its slot comes back.
    b.finished('op-1');
    await b.close();
    const first = await a.take(1_000, 'op-2');
    first!.release();
    await a.close();
    expect(limiter.view().mutations).toEqual([]);
  });

  test("a worker refused a mutation slot asks about a dead worker's operations, and a finished one frees its slot", async () => {
    let t = 0;
    const limiter = memoryCoordinator(() => t);
    const gate = (holder: string, waitMs: number) => oneSlotGate(limiter, holder, { leaseMs: 1_000, waitMs });
    const dead = gate('dead', 1_000);
    (await dead.take(1_000, 'op-1'))!.hold('op-1');
    const alive = gate('alive', 3_000);
    const asked: string[][] = [];
    // While the dead worker's lease runs, its operation is left to its own wait: nobody asks about it.
    expect(await gate('alive', 100).take(100, 'op-2', async (ids) => void asked.push(ids))).toBeUndefined();
    expect(asked).toEqual([]);
    t = 2_000; // the lease is over; the API says op-1 finished
    const slot = await alive.take(3_000, 'op-2', async (ids) => {
      asked.push(ids);
      for (const id of ids) alive.finished(id);
    });
    expect(asked[0]).toEqual(['op-1']);
    expect(slot).toBeDefined();
    await alive.close();
    expect(limiter.view().mutations.map((m) => m.key)).toEqual(['op-2']);
  });

  test('a request that waits too long for a slot fails retryably, as throttled', async () => {
    const limiter = memoryCoordinator(now);
    const slots = (holder: string) =>
      new RequestSlots({
        coordinator: limiter,
        holder,
        caps: { requestsPerSecond: 1, mutations: 0 },
        leaseMs: 30_000,
        requestTimeoutMs: 100,
        acquireTimeoutMs: 150,
        windowMs: 10_000,
      });
    const first = slots('a');
    (await first.acquire('listRegions'))(); // busy for 10 s
    const err = await first.acquire('listRegions').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsApiError);
    expect(err).toMatchObject({ kind: 'throttled', retryable: true });
    await first.close(10);
  });
});

test('a limiter call still in flight when the worker stops is no warning (the lease ends its slots anyway)', async () => {
  const lines: string[] = [];
  const logger = createLogger(
    { name: 'fleet-test', level: 'debug' },
    { write: (l: string) => void lines.push(l) },
  );
  const limiter = memoryCoordinator();
  // The limiter answers the first sync; later calls hang until the connection under them closes (the last worker
  // stopped, so nobody runs the limiter's updates) and the SDK drops them.
  let dropAll: (err: Error) => void = () => undefined;
  const dropped = new Promise<never>((_, reject) => (dropAll = reject));
  dropped.catch(() => undefined);
  let calls = 0;
  const link = {
    ...limiter,
    sync: (req: Parameters<typeof limiter.sync>[0]) => (calls++ ? dropped : limiter.sync(req)),
  };
  const slots = new RequestSlots({
    coordinator: link,
    holder: 'w1',
    caps: { requestsPerSecond: 5, mutations: 0 },
    leaseMs: 30_000,
    requestTimeoutMs: 100,
    acquireTimeoutMs: 2_000,
    windowMs: 50,
    logger,
  });
  (await slots.acquire('listRegions'))();
  await slots.close(100); // gives up waiting for the give-back, as the stack does before closing the connection
  expect(calls).toBe(2);
  const err = Object.assign(new Error('Native Promise was dropped without being settled'), {
    name: 'NativePromiseDroppedError',
  });
  dropAll(err);
  await new Promise((r) => setTimeout(r, 10));
  expect(lines.filter((l) => JSON.parse(l).level >= 40)).toEqual([]);
  expect(lines.join('')).toContain('fleet limiter not told: the worker stopped');

  // The same for a mutation slot given back after close.
  const gate = new FleetMutationGate({
    coordinator: { ...limiter, releaseMutation: () => dropped },
    holder: 'w1',
    caps: { requestsPerSecond: 0, mutations: 1 },
    leaseMs: 5_000,
    holdLimitMs: 60_000,
    logger,
  });
  const slot = await gate.take(1_000);
  slot!.release();
  await gate.close(10);
  await new Promise((r) => setTimeout(r, 10));
  expect(lines.filter((l) => JSON.parse(l).level >= 40)).toEqual([]);
  expect(lines.join('')).toContain('mutation slot not given back: the worker stopped');
});

describe('configuration', () => {
  const base = { OPS_API_URL: 'http://127.0.0.1:7243', OPS_API_KEY: 'k' };
  const load = (env: Record<string, string>) => loadWorkerConfig({ ...base, ...env });

  test("defaults come from the dialect: the real API's documented limits, none for the given document", () => {
    expect(fleetCaps(load({ OPS_API_DIALECT: 'cloud' }))).toEqual({ requestsPerSecond: 80, mutations: 10 });
    expect(fleetCaps(load({}))).toEqual({ requestsPerSecond: 0, mutations: 0 });
    expect(
      fleetCaps(
        load({
          OPS_API_DIALECT: 'cloud',
          OPS_API_FLEET_RATE_LIMIT: '0',
          OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS: '4',
        }),
      ),
    ).toEqual({ requestsPerSecond: 0, mutations: 4 });
  });

  test('a lease too short for a request and its window is refused by name; the default follows the timeout', () => {
    expect(() => load({ OPS_API_FLEET_LEASE_SECONDS: '10' })).toThrow(ConfigError);
    expect(() => load({ OPS_API_FLEET_LEASE_SECONDS: '10' })).toThrow(/OPS_API_FLEET_LEASE_SECONDS/);
    expect(() => load({ OPS_API_FLEET_RATE_LIMIT: '2.5' })).toThrow(/OPS_API_FLEET_RATE_LIMIT/);
    expect(fleetLeaseSeconds(load({}))).toBe(60);
    // A longer request timeout needs a longer lease: the default grows instead of refusing to start.
    expect(fleetLeaseSeconds(load({ OPS_API_TIMEOUT_MS: '60000' }))).toBe(123);
  });
});

// The measures the three-worker test (and the bench) judges the fleet by: they must be able to fail.
test('peaks: requests in the busiest window, operations in flight at once (unfinished ones still open)', () => {
  expect(peakInWindow([0, 100, 999, 1000, 1500], 1000)).toBe(3);
  expect(
    peakConcurrent([
      [0, 10],
      [5, 15],
      [10, 20],
      [12, Infinity],
    ]),
  ).toBe(3); // [0,10) and [10,20) do not overlap
  const op = (startedTime: string, finishedTime?: string) =>
    ({
      id: startedTime,
      state: 'fulfilled',
      startedTime,
      ...(finishedTime ? { finishedTime } : {}),
    }) as never;
  expect(
    peakConcurrent(
      operationIntervals([
        op('2026-01-01T00:00:00Z', '2026-01-01T00:00:02Z'),
        op('2026-01-01T00:00:01Z'),
        op('2026-01-01T00:00:03Z', '2026-01-01T00:00:04Z'),
      ]),
    ),
  ).toBe(2);
});
