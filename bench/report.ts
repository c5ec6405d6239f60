// Targets and the stdout table. The table is the JSON's content in rows a person can read.
import type { ScenarioResult } from './types';
import { round2 } from './metrics';
import { DESIGN_LABELS } from './wait-designs/shared';

export interface TargetResult {
  scenario: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface Comparison {
  ours: string;
  baseline: string;
  callsPerProvisioning: { ours: number; baseline: number; ratio: number };
  pollsPerWait: { ours: number; baseline: number; ratio: number };
  /** Wall time divided by provisionings (throughput view). */
  wallPerProvisioningS: { ours: number; baseline: number; ratio: number };
  /** Median start-to-done of one provisioning (latency view). */
  latencyP50S: { ours: number; baseline: number; ratio: number };
}

/** issue 22: no history event over 512 KB. */
const EVENT_KIB = 512;

/** 429s after this share of the wall time (and after 5 s) do not count as "at the start". */
const START_SHARE = 0.1;

const r2 = (x: number) => Math.round(x * 100) / 100;
const s = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '—' : `${r2(ms / 1000)}`);

export function evaluateTargets(results: readonly ScenarioResult[], checkMs: number): TargetResult[] {
  return results.filter((r) => r.status === 'ok').flatMap((r) => targetsOf(r, checkMs));
}

type Target = Omit<TargetResult, 'scenario'>;

function targetsOf(r: ScenarioResult, checkMs: number): TargetResult[] {
  const found: Target[] = [
    ...(r.actions ? [actionsTarget(r.actions)] : []),
    ...(r.waitDesigns && r.workflows ? [waitDesignsTarget(r.workflows)] : []),
    ...(r.name !== 'baseline' && r.requests && r.workflows ? workflowTargets(r, checkMs) : []),
    ...(r.name === 'account' ? accountTargets(r) : []),
  ];
  return found.map((t) => ({ scenario: r.label ?? r.name, ...t }));
}

/** A miscount of the history rules (or a billable thing the bench does not know) shows up here. */
function actionsTarget(actions: NonNullable<ScenarioResult['actions']>): Target {
  return {
    target: 'Actions from histories + recorded heartbeats = server `action` metric',
    measured: `${actions.total} counted, ${actions.serverTotal} on the server`,
    pass: actions.total === actions.serverTotal,
  };
}

function waitDesignsTarget({ started, completed }: NonNullable<ScenarioResult['workflows']>): Target {
  return {
    target: 'every wait of every design completes',
    measured: `${completed} of ${started} completed`,
    pass: completed === started,
  };
}

function workflowTargets(r: ScenarioResult, checkMs: number): Target[] {
  const requests = r.requests!;
  const w = requests.waitSummary;
  const p95 = w.overheadMs?.p95;
  const { completed, failed, running, started } = r.workflows!;
  const big = r.name === 'provision' && (r.units ?? 0) >= 1000;
  return [
    {
      target: 'calls per async wait ≤ minimum + 1',
      measured: `${w.waitsOverMinPlusOne} of ${w.waits} waits over; worst +${Number.isFinite(w.maxExcessPolls) ? w.maxExcessPolls : 0}`,
      pass: w.waitsOverMinPlusOne === 0,
    },
    ...(r.callsPerUnit !== undefined && r.floorCallsPerUnit
      ? [
          {
            target: 'calls per unit ≤ floor + 10 %',
            measured: `${r.callsPerUnit} against ${r.floorCallsPerUnit} (${round2(r.callsPerUnit / r.floorCallsPerUnit)}×)`,
            pass: r.callsPerUnit <= r.floorCallsPerUnit * 1.1,
          },
        ]
      : []),
    // A scenario that makes no async operation (an export) has no wait to judge.
    ...(w.waits > 0 || r.name !== 'account'
      ? [
          {
            target: `p95 overhead per wait ≤ checkDuration (${checkMs / 1000} s)`,
            measured: p95 === undefined ? 'no finished waits' : `p95 ${s(p95)} s`,
            pass: p95 !== undefined && p95 <= checkMs,
          },
        ]
      : []),
    {
      target: big ? `${r.units} concurrent workflows complete, zero failures` : 'zero failed workflows',
      measured: `${completed} completed, ${failed} failed${running ? `, ${running} still running` : ''} (${started} started)`,
      pass: failed === 0 && running === 0,
    },
    ...capTargets(r),
  ];
}

/** The caps the scenario ran under, the 429s of the throttled one, and the history bound. */
function capTargets(r: ScenarioResult): Target[] {
  const requests = r.requests!;
  const out: Target[] = [];
  if (r.capPerSecond) {
    const { peakPerSecond, sustainedPerSecond } = requests.rate;
    out.push({
      target: `observed Ops request rate ≤ cap (${r.capPerSecond}/s)`,
      measured: `peak ${peakPerSecond} in any 1-s window; ${sustainedPerSecond}/s over 5-s windows`,
      pass: peakPerSecond <= r.capPerSecond,
    });
  }
  if (r.mutationCap) {
    out.push({
      target: `async operations in flight ≤ cap (${r.mutationCap})`,
      measured: `peak ${r.peakInFlight} at once`,
      pass: (r.peakInFlight ?? Infinity) <= r.mutationCap,
    });
  }
  if (r.name === 'throttled') {
    const startWindow = Math.max(5, (r.wallS ?? 0) * START_SHARE);
    const last = requests.last429AtS;
    out.push({
      target: `429s only at the start (first ${r2(startWindow)} s), then none`,
      measured: requests.status429 === 0 ? 'no 429s' : `${requests.status429} 429s, last at ${last} s`,
      pass: requests.status429 === 0 || (last ?? Infinity) <= startWindow,
    });
  }
  if (r.longestHistory) {
    const bound = r.historyBound ?? { events: Infinity, why: 'none' };
    out.push({
      target: `longest history bounded (≤ ${bound.events} events: ${bound.why})`,
      measured: `${r.longestHistory.events} events (${r.longestHistory.type})`,
      pass: r.longestHistory.events <= bound.events,
    });
  }
  return out;
}

/** Issue 22's: wall time against the caps' floor, no event over 512 KB, the worker under 1.5 GB. */
function accountTargets(r: ScenarioResult): Target[] {
  const out: Target[] = [];
  const f = r.floor;
  if (f) {
    const limit = f.s * f.targetFactor + f.targetSlackS;
    out.push({
      target: `wall time ≤ ${f.targetFactor} × floor${f.targetSlackS ? ` + ${f.targetSlackS} s` : ''} (floor ${f.s} s: ${f.why})`,
      measured: `${r.wallS} s (${f.ratio} × floor)`,
      // Unfinished work has no wall time to judge.
      pass: (r.wallS ?? Infinity) <= limit && !r.workflows?.running && r.workflows?.failed === 0,
    });
  }
  out.push({
    target: `no history event over ${EVENT_KIB} KiB`,
    measured: r.largestEvent
      ? `largest ${r2(r.largestEvent.bytes / 1024)} KiB (${r.largestEvent.eventType})`
      : 'no histories',
    pass: (r.largestEvent?.bytes ?? 0) <= EVENT_KIB * 1024,
  });
  if (r.worker)
    out.push({
      target: 'worker peak RSS ≤ 1.5 GB',
      measured: `${r.worker.peakRssMiB} MiB`,
      pass: r.worker.peakRssMiB <= 1536,
    });
  return out;
}

export function compareWithBaseline(results: readonly ScenarioResult[]): Comparison | undefined {
  const base = results.find((r) => r.name === 'baseline' && r.status === 'ok');
  const ours =
    results.find((r) => r.name === 'provision' && r.status === 'ok') ??
    results.find((r) => r.name === 'throttled' && r.status === 'ok');
  if (!base || !ours || !ours.requests || !base.requests) return undefined;
  const pair = (a: number, b: number) => ({ ours: r2(a), baseline: r2(b), ratio: b ? r2(a / b) : NaN });
  return {
    ours: ours.name,
    baseline: 'baseline',
    callsPerProvisioning: pair(ours.callsPerUnit ?? NaN, base.callsPerUnit ?? NaN),
    pollsPerWait: pair(ours.requests.waitSummary.pollsPerWait, base.requests.waitSummary.pollsPerWait),
    wallPerProvisioningS: pair(
      (ours.wallS ?? NaN) / (ours.units || 1),
      (base.wallS ?? NaN) / (base.units || 1),
    ),
    latencyP50S: pair(ours.unitLatencyS?.p50 ?? NaN, base.unitLatencyS?.p50 ?? NaN),
  };
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const byType = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ') || 'none';

/** One row per design and operation duration: what the same wait costs each way. */
export function renderWaitDesigns(r: ScenarioResult): string[] {
  const rows = r.waitDesigns ?? [];
  const dist = (d: { p50: number; p95: number; max: number } | undefined) =>
    d ? `${d.p50} / ${d.p95} / ${d.max}` : '—';
  return [
    `Waiting on one async operation: three designs, same operations (hint ${rows[0]?.checkS} s)`,
    table(
      [
        'design',
        'op (s)',
        'waits done',
        'Actions per wait',
        'Ops calls per wait (min)',
        'history events',
        'overhead p50 / p95 / max (s)',
        'to close p50 / p95 / max (s)',
      ],
      rows.map((w) => [
        DESIGN_LABELS[w.design],
        `${w.operationS}`,
        `${w.completed} / ${w.waits}`,
        `${w.actionsPerWait}`,
        `${w.opsCallsPerWait} (${w.minPollsPerWait})`,
        `${w.historyEventsPerWait}`,
        dist(w.overheadS),
        dist(w.closeOverheadS),
      ]),
    ),
    "Actions per wait by type (the wrapper workflow's own start excluded: 1 per wait in every design)",
    ...rows.map((w) => `  ${DESIGN_LABELS[w.design]}, ${w.operationS} s: ${byType(w.actionsByTypePerWait)}`),
  ];
}

export function renderReport(
  results: readonly ScenarioResult[],
  targets: readonly TargetResult[],
  comparison: Comparison | undefined,
): string {
  const shown = results.filter((r) => r.status === 'ok' && r.requests);
  const waits = results.find((r) => r.status === 'ok' && r.waitDesigns);
  const notes = results.flatMap((r) => (r.failures ?? []).map((f) => `  ${r.name}: ${f}`));
  return [
    ...parametersSection(results),
    ...(shown.length > 0 ? figuresSection(shown) : []),
    ...(waits?.waitDesigns?.length ? ['', ...renderWaitDesigns(waits)] : []),
    ...(targets.length > 0 ? targetsSection(targets) : []),
    ...(comparison ? comparisonSection(comparison) : []),
    ...(notes.length > 0 ? ['', 'Failures (first few)', ...notes] : []),
  ].join('\n');
}

function parametersSection(results: readonly ScenarioResult[]): string[] {
  return [
    'Parameters',
    ...results.map((r) => {
      const params = Object.entries(r.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      const status = r.status !== 'ok' ? `  [${r.status}${r.note ? `: ${r.note}` : ''}]` : '';
      return `  ${r.label ?? r.name}: ${params}${status}`;
    }),
  ];
}

const req = (r: ScenarioResult) => r.requests!;

/** The figures table's rows: a label and how a scenario's column reads. */
const FIGURE_ROWS: Array<[string, (r: ScenarioResult) => string]> = [
  ['wall time (s)', (r) => `${r.wallS}`],
  [
    'workflows completed / failed',
    (r) =>
      `${r.workflows!.completed} / ${r.workflows!.failed}${r.workflows!.running ? ` (+${r.workflows!.running} running)` : ''}`,
  ],
  ['workflows per second', (r) => `${r.workflowsPerSecond}`],
  ['unit of work', (r) => `${r.units} × ${r.unit}`],
  [
    'latency per unit p50 / p95 (s)',
    (r) => (r.unitLatencyS ? `${r.unitLatencyS.p50} / ${r.unitLatencyS.p95}` : '—'),
  ],
  ['Ops API calls', (r) => `${req(r).calls}`],
  [
    'calls per unit (floor)',
    (r) =>
      `${r.callsPerUnit} (${r.floorCallsPerUnit}${r.floorReads ? `, of which ${r.floorReads.perUnit} reads` : ''})`,
  ],
  ['async waits', (r) => `${req(r).waitSummary.waits}`],
  [
    'polls per wait (minimum)',
    (r) => `${req(r).waitSummary.pollsPerWait} (${req(r).waitSummary.minPollsPerWait})`,
  ],
  ['  minimum counted from 1st poll', (r) => `${req(r).waitSummary.minPollsFromFirstPerWait}`],
  [
    'waits over minimum + 1 (from 1st)',
    (r) => `${req(r).waitSummary.waitsOverMinPlusOne} (${req(r).waitSummary.waitsOverFirstPollMinPlusOne})`,
  ],
  [
    'overhead per wait p50/p95/max (s)',
    (r) => {
      const o = req(r).waitSummary.overheadMs;
      return o ? `${s(o.p50)} / ${s(o.p95)} / ${s(o.max)}` : '—';
    },
  ],
  [
    '429s received (last at s)',
    (r) => `${req(r).status429}${req(r).last429AtS !== undefined ? ` (${req(r).last429AtS})` : ''}`,
  ],
  [
    'peak req/s, 1-s window [cap]',
    (r) => `${req(r).rate.peakPerSecond}${r.capPerSecond ? ` [${r.capPerSecond}]` : ' [none]'}`,
  ],
  ['peak req/s after first second', (r) => `${req(r).rate.peakPerSecondAfterFirst}`],
  ['peak req/s over 5-s windows', (r) => `${req(r).rate.sustainedPerSecond}`],
  ['mean req/s', (r) => `${req(r).rate.meanPerSecond}`],
  [
    'peak async ops in flight [cap]',
    (r) => `${r.peakInFlight ?? '—'}${r.mutationCap ? ` [${r.mutationCap}]` : ''}`,
  ],
  ['worker processes', (r) => `${r.workers ?? 1}`],
  ['worker peak RSS (MiB)', (r) => (r.worker ? `${r.worker.peakRssMiB}` : '—')],
  [
    'worker CPU s (incl. start-up)',
    (r) => (r.worker ? `${r.worker.cpuSeconds} (${r.worker.cpuSecondsTotal})` : '—'),
  ],
  ['longest history (events)', (r) => (r.longestHistory ? `${r.longestHistory.events}` : '—')],
  [
    'largest history event (KiB)',
    (r) => (r.largestEvent ? `${r2(r.largestEvent.bytes / 1024)} (${r.largestEvent.eventType})` : '—'),
  ],
  ['wall floor (s) / measured ÷ floor', (r) => (r.floor ? `${r.floor.s} / ${r.floor.ratio}` : '—')],
  [
    'Temporal Cloud Actions per unit',
    (r) => {
      if (!r.actions) return '—';
      const sub = r.actions.perSubunit;
      return `${r.actions.perUnit}${sub ? ` (${sub.actions} per ${sub.name})` : ''}`;
    },
  ],
  ['  of which the fleet limiter', (r) => `${r.limiterActionsPerUnit ?? '—'}`],
];

function figuresSection(shown: readonly ScenarioResult[]): string[] {
  const parts = [
    '',
    'Figures',
    table(
      ['figure', ...shown.map((r) => r.label ?? r.name)],
      FIGURE_ROWS.map(([label, cell]) => [label, ...shown.map(cell)]),
    ),
    '',
    'Calls per unit by operation',
  ];
  for (const r of shown) {
    const per = Object.entries(req(r).callsByOperation)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${r2(n / (r.units || 1))}`)
      .join(', ');
    parts.push(`  ${r.label ?? r.name} (per ${r.unit}): ${per}`);
    if (r.floorReads) parts.push(`    reads in the floor: ${r.floorReads.perUnit} (${r.floorReads.why})`);
  }
  const withActions = shown.filter((r) => r.actions);
  if (withActions.length > 0) {
    parts.push('', 'Temporal Cloud Actions per unit by type (from histories; heartbeats: server count)');
    for (const r of withActions)
      parts.push(`  ${r.label ?? r.name} (per ${r.unit}): ${byType(r.actions!.byTypePerUnit)}`);
  }
  return parts;
}

function targetsSection(targets: readonly TargetResult[]): string[] {
  return [
    '',
    'Targets',
    table(
      ['scenario', 'target', 'measured', 'result'],
      targets.map((t) => [t.scenario, t.target, t.measured, t.pass ? 'PASS' : 'FAIL']),
    ),
  ];
}

function comparisonSection(c: Comparison): string[] {
  const row = (label: string, f: { ours: number; baseline: number; ratio: number }) => [
    label,
    `${f.ours}`,
    `${f.baseline}`,
    `${f.ratio}`,
  ];
  return [
    '',
    `Ours (${c.ours}) : baseline (sequential ky script, 1-s polling)`,
    table(
      ['figure', 'ours', 'baseline', 'ours : baseline'],
      [
        row('Ops calls per provisioning', c.callsPerProvisioning),
        row('polls per async wait', c.pollsPerWait),
        row('wall time per provisioning (s)', c.wallPerProvisioningS),
        row('latency of one provisioning p50 (s)', c.latencyP50S),
      ],
    ),
  ];
}
