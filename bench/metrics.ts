// Figures computed from what the emulator saw: its request log (every Ops API call with arrival time)
// and its async operations (start, finish, checkDuration). Pure functions, so they are testable
// without a server.
import { parseCheckDuration } from '../src/activities/async-operations';
import type { RequestLogEntry } from '../src/emulator';
import type { AsyncOperation } from '../src/ops-api/types';
import { temporal } from '@temporalio/proto';

/** getAsyncOperation's last path segment is the operation id, in either dialect (/api/v1 or /cloud). */
const OPERATION_ID = /\/([^/]+)$/;

export interface WaitFigure {
  asyncOperationId: string;
  operationType: string;
  durationMs: number;
  checkMs: number;
  /** getAsyncOperation calls for this operation (429s included: they were sent). */
  polls: number;
  /** ⌈d / checkDuration⌉ + 1: one poll at the start, then one per hint until it is done. */
  minPolls: number;
  /**
   * The minimum counted from this wait's first poll rather than the operation's start: a wait that
   * starts late (a busy worker) needs fewer polls, and should not use the slack to poll more.
   */
  minPollsFromFirst: number;
  /** From finishedTime to the poll that saw the operation finished; undefined when none did. */
  overheadMs: number | undefined;
}

export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export interface WaitSummary {
  waits: number;
  pollsPerWait: number;
  minPollsPerWait: number;
  /** The same minimum counted from each wait's first poll. */
  minPollsFromFirstPerWait: number;
  /** Waits that needed more than (minimum from their first poll) + 1 polls. */
  waitsOverFirstPollMinPlusOne: number;
  /** Largest excess of one wait over its minimum. */
  maxExcessPolls: number;
  /** Waits that needed more than minimum + 1 polls. */
  waitsOverMinPlusOne: number;
  /** Waits no poll saw finish (e.g. the workflow stopped waiting). */
  waitsUnfinished: number;
  overheadMs: Distribution | undefined;
  byOperationType: Record<string, { waits: number; pollsPerWait: number; minPollsPerWait: number }>;
}

export interface RateFigures {
  /** Most requests that arrived within any 1-s sliding window. */
  peakPerSecond: number;
  /** The same, ignoring the first second after the first request (a token bucket's initial burst). */
  peakPerSecondAfterFirst: number;
  /** Most requests within any 5-s window, divided by 5: the rate a token bucket sustains. */
  sustainedPerSecond: number;
  /** Requests / (last − first arrival). */
  meanPerSecond: number;
}

export interface RequestFigures {
  calls: number;
  callsByOperation: Record<string, number>;
  /** Mutations the server accepted (status 2xx): the creates/deletes that had to happen. */
  acceptedMutations: number;
  status429: number;
  /** Seconds from the first request to the first / last 429. */
  first429AtS: number | undefined;
  last429AtS: number | undefined;
  rate: RateFigures;
  waits: WaitFigure[];
  waitSummary: WaitSummary;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function distribution(values: readonly number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** Largest number of timestamps within any window of `windowMs` (two pointers over sorted times). */
export function peakInWindow(times: readonly number[], windowMs = 1000): number {
  const t = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let lo = 0, hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= windowMs) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

/** Most intervals [start, end) open at one time: async operations in flight at once (unfinished = open). */
export function peakConcurrent(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]) as Array<[number, number]>;
  // At equal times an end comes before a start: [a, b) and [b, c) never overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (open += delta));
  return peak;
}

/** The async operations the emulator ran, as [start, finish) (wall clock ms; unfinished ones still open). */
export function operationIntervals(operations: readonly AsyncOperation[]): Array<[number, number]> {
  return operations
    .filter((op) => op.startedTime)
    .map((op) => [Date.parse(op.startedTime!), op.finishedTime ? Date.parse(op.finishedTime) : Infinity]);
}

export function rateFigures(log: readonly RequestLogEntry[]): RateFigures {
  const times = log.map((e) => e.wallTime);
  if (times.length === 0)
    return { peakPerSecond: 0, peakPerSecondAfterFirst: 0, sustainedPerSecond: 0, meanPerSecond: 0 };
  const first = times.reduce((a, b) => Math.min(a, b));
  const last = times.reduce((a, b) => Math.max(a, b));
  return {
    peakPerSecond: peakInWindow(times),
    peakPerSecondAfterFirst: peakInWindow(times.filter((t) => t >= first + 1000)),
    sustainedPerSecond: peakInWindow(times, 5000) / 5,
    meanPerSecond:
      last > first ? Math.round((times.length / ((last - first) / 1000)) * 10) / 10 : times.length,
  };
}

export function waitFigures(
  log: readonly RequestLogEntry[],
  operations: readonly AsyncOperation[],
): WaitFigure[] {
  const polls = new Map<string, RequestLogEntry[]>();
  for (const e of log) {
    if (e.operationId !== 'getAsyncOperation') continue;
    const id = OPERATION_ID.exec(e.path)?.[1];
    if (!id) continue;
    const list = polls.get(id) ?? [];
    list.push(e);
    polls.set(id, list);
  }
  const figures: WaitFigure[] = [];
  for (const op of operations) {
    const seen = polls.get(op.id);
    if (!seen || !op.startedTime) continue;
    const started = Date.parse(op.startedTime);
    const finished = op.finishedTime ? Date.parse(op.finishedTime) : undefined;
    // The emulator decides an operation's length when it starts; finishedTime = start + duration.
    const durationMs = finished !== undefined ? finished - started : NaN;
    const checkMs = parseCheckDuration(op.checkDuration) ?? NaN;
    const firstPoll = Math.min(...seen.map((e) => e.time));
    const minPollsFromFirst =
      finished === undefined
        ? NaN
        : firstPoll >= finished
          ? 1
          : Math.ceil((finished - firstPoll) / checkMs) + 1;
    const sawDone =
      finished === undefined ? undefined : seen.find((e) => e.status === 200 && e.time >= finished);
    figures.push({
      asyncOperationId: op.id,
      operationType: op.operationType ?? 'unknown',
      durationMs,
      checkMs,
      polls: seen.length,
      minPolls: Math.ceil(durationMs / checkMs) + 1,
      minPollsFromFirst,
      overheadMs: sawDone && finished !== undefined ? sawDone.time - finished : undefined,
    });
  }
  return figures;
}

export function summarizeWaits(waits: readonly WaitFigure[]): WaitSummary {
  const finished = waits.filter((w) => Number.isFinite(w.minPolls));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const byOperationType: WaitSummary['byOperationType'] = {};
  for (const type of new Set(finished.map((w) => w.operationType))) {
    const of = finished.filter((w) => w.operationType === type);
    byOperationType[type] = {
      waits: of.length,
      pollsPerWait: round2(mean(of.map((w) => w.polls))),
      minPollsPerWait: round2(mean(of.map((w) => w.minPolls))),
    };
  }
  const overheads = waits.flatMap((w) => (w.overheadMs === undefined ? [] : [w.overheadMs]));
  return {
    waits: waits.length,
    pollsPerWait: round2(mean(finished.map((w) => w.polls))),
    minPollsPerWait: round2(mean(finished.map((w) => w.minPolls))),
    minPollsFromFirstPerWait: round2(mean(finished.map((w) => w.minPollsFromFirst))),
    waitsOverFirstPollMinPlusOne: finished.filter((w) => w.polls > w.minPollsFromFirst + 1).length,
    maxExcessPolls: finished.reduce((m, w) => Math.max(m, w.polls - w.minPolls), -Infinity),
    waitsOverMinPlusOne: finished.filter((w) => w.polls > w.minPolls + 1).length,
    waitsUnfinished: waits.length - overheads.length,
    overheadMs: distribution(overheads),
    byOperationType,
  };
}

export function requestFigures(
  log: readonly RequestLogEntry[],
  operations: readonly AsyncOperation[],
): RequestFigures {
  const callsByOperation: Record<string, number> = {};
  for (const e of log) {
    const key = e.operationId ?? `${e.method} ${e.path}`;
    callsByOperation[key] = (callsByOperation[key] ?? 0) + 1;
  }
  const first = log.reduce((m, e) => Math.min(m, e.wallTime), Infinity);
  const limited = log
    .filter((e) => e.status === 429)
    .map((e) => (e.wallTime - first) / 1000)
    .sort((a, b) => a - b);
  const waits = waitFigures(log, operations);
  return {
    calls: log.length,
    callsByOperation,
    acceptedMutations: log.filter((e) => e.method !== 'GET' && e.status >= 200 && e.status < 300).length,
    status429: limited.length,
    first429AtS: limited.length ? round2(limited[0]!) : undefined,
    last429AtS: limited.length ? round2(limited[limited.length - 1]!) : undefined,
    rate: rateFigures(log),
    waits,
    waitSummary: summarizeWaits(waits),
  };
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;

export interface LargestEvent {
  /** The event as the server stores it (protobuf bytes): what its payload limits are checked against. */
  bytes: number;
  eventType: string;
}

/** The history's largest event by encoded size. */
export function largestEvent(history: temporal.api.history.v1.IHistory): LargestEvent | undefined {
  let largest: LargestEvent | undefined;
  for (const event of history.events ?? []) {
    const bytes = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
    if (!largest || bytes > largest.bytes)
      largest = { bytes, eventType: temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? 'unknown' };
  }
  return largest;
}
