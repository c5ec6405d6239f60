// Smoke test of `npm run bench`: a tiny provisioning run and a tiny comparison of the three wait designs
// end to end (dev server, emulator, worker child process), checked for figures and sane values, not for
// timings. Plus the pure parts: flags and metrics.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseBenchArgs, UsageError } from '../../bench/cli';
import { peakInWindow, requestFigures } from '../../bench/metrics';
import type { ScenarioResult } from '../../bench/types';
import type { TargetResult } from '../../bench/report';
import { DESIGN_LABELS } from '../../bench/wait-designs/shared';

const execFileAsync = promisify(execFile);
const root = path.resolve(__dirname, '../..');

describe('bench runner', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bench-smoke-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a tiny provisioning scenario and the wait designs, and writes every figure as JSON', async () => {
    const json = path.join(dir, 'bench.json');
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        ...['--import', 'tsx', 'bench/run.ts', '--quick', '--n', '3', '--scenarios', 'provision,waits'],
        ...['--wait-n', '2', '--wait-durations', '3s', '--json', json],
      ],
      { cwd: root, timeout: 150_000 },
    );
    expect(stdout).toContain('Targets');
    const data = JSON.parse(await readFile(json, 'utf8')) as {
      machine: { nproc: number; node: string };
      results: ScenarioResult[];
      targets: TargetResult[];
    };
    expect(data.machine.nproc).toBeGreaterThan(0);
    const [r] = data.results;
    expect(r).toMatchObject({ name: 'provision', status: 'ok', units: 3 });
    expect(r!.workflows).toMatchObject({ started: 3, completed: 3, failed: 0, running: 0 });
    expect(r!.wallS).toBeGreaterThan(3); // activation alone takes 3 s in --quick
    const waits = r!.requests!.waitSummary;
    expect(waits.waits).toBe(9); // namespace, service account and key per provisioning
    // No lower bound but one: on a loaded machine a poll that comes late can make the next one unneeded, so
    // fewer polls than the minimum is right; more than one over it is not, and every wait ends seen done.
    expect(waits.pollsPerWait).toBeGreaterThanOrEqual(1);
    expect(waits.waitsOverFirstPollMinPlusOne).toBe(0);
    expect(waits.overheadMs!.count).toBe(9);
    expect(waits.overheadMs!.p50).toBeGreaterThanOrEqual(0);
    expect(r!.callsPerUnit).toBeGreaterThanOrEqual(r!.floorCallsPerUnit!);
    expect(r!.requests!.status429).toBe(0);
    expect(r!.worker!.peakRssMiB).toBeGreaterThan(50);
    expect(r!.worker!.cpuSeconds).toBeGreaterThan(0);
    expect(r!.longestHistory!.events).toBeGreaterThan(10);
    expect(data.targets.map((t) => t.target)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/calls per async wait/),
        expect.stringMatching(/overhead/),
      ]),
    );

    // Actions per provisioning: one start, one per activity (three creates and three waits at least); a wait on a
    // 1-s hint polls inside its attempt, and ends before its first heartbeat is due: no retry, no heartbeat.
    const actions = r!.actions!;
    expect(actions.byTypePerUnit).toMatchObject({ start_workflow: 1 });
    expect(actions.byTypePerUnit.schedule_activity).toBeGreaterThanOrEqual(6);
    expect(actions.byTypePerUnit.retry_activity ?? 0).toBeLessThan(1);
    expect(actions.byTypePerUnit.record_activity_heartbeat ?? 0).toBe(0);
    expect(actions.perUnit).toBe(actions.total / 3);
    expect(stdout).toMatch(/Temporal Cloud Actions per unit\s+\| \d/);
    // The history count agrees with the dev server's own `action` metric, in both scenarios.
    const agree = data.targets.filter((t) => /= server `action` metric/.test(t.target));
    expect(agree.map((t) => [t.scenario, t.pass])).toEqual([
      ['provision', true],
      ['waits', true],
    ]);

    const w = data.results.find((x) => x.name === 'waits')!;
    expect(w).toMatchObject({ status: 'ok', units: 6, workflows: { started: 6, completed: 6, failed: 0 } });
    const rows = w.waitDesigns!;
    expect(rows.map((x) => x.design)).toEqual(['activityRetries', 'workflowLoop', 'heartbeatActivity']);
    for (const label of Object.values(DESIGN_LABELS)) expect(stdout).toContain(label);
    const [ours, loop, heartbeat] = rows;
    for (const x of rows) {
      expect(x).toMatchObject({ waits: 2, completed: 2, operationS: 3, checkS: 1 });
      expect(x.actionsPerWait).toBeGreaterThan(0);
      expect(x.opsCallsPerWait).toBeGreaterThanOrEqual(2); // a 3-s operation with a 1-s hint
    }
    // Ours: one activity whose attempt makes every poll (a 3-s wait needs no heartbeat), so one Action however many
    // polls (an attempt that fails before its request reaches the API, rare under load, is one more); a history
    // that does not grow with the polls.
    expect(ours!.actionsByTypePerWait.schedule_activity).toBe(1);
    expect(ours!.actionsPerWait).toBeLessThan(2);
    expect(ours!.actionsPerWait).toBeLessThan(ours!.opsCallsPerWait);
    expect(ours!.historyEventsPerWait).toBeLessThan(loop!.historyEventsPerWait);
    // The loop: an activity per poll and a timer between polls.
    expect(loop!.actionsByTypePerWait).toMatchObject({
      schedule_activity: loop!.opsCallsPerWait,
      start_timer: loop!.opsCallsPerWait - 1,
    });
    // One activity for the whole wait, plus the heartbeats that reached the server (the first is sent at once).
    expect(heartbeat!.actionsByTypePerWait.schedule_activity).toBe(1);
    expect(heartbeat!.actionsByTypePerWait.record_activity_heartbeat).toBeGreaterThanOrEqual(1);
    expect(heartbeat!.historyEventsPerWait).toBe(ours!.historyEventsPerWait);
  });

  it('rejects bad flags with a message naming the flag', () => {
    expect(() => parseBenchArgs(['--n', 'lots'])).toThrow(/--n must be a whole number/);
    expect(() => parseBenchArgs(['--scenarios', 'provision,teleport'])).toThrow(/'teleport'/);
    expect(() => parseBenchArgs(['--check', '500ms'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--wait-durations', '30s,,2m'])).toThrow(/--wait-durations/);
    expect(parseBenchArgs(['--quick', '--n', '7'])).toMatchObject({
      n: 7,
      activationMs: 3000,
      checkMs: 1000,
    });
    expect(parseBenchArgs(['--wait-durations', '30s, 2m'])).toMatchObject({
      waitDurationsMs: [30_000, 120_000],
    });
    // --workers selects the fleet scenario, which the default run leaves out.
    expect(parseBenchArgs(['--workers', '3'])).toMatchObject({ scenarios: ['fleet'], workers: 3 });
    expect((parseBenchArgs([]) as { scenarios: string[] }).scenarios).not.toContain('fleet');
    expect(() => parseBenchArgs(['--workers', '0'])).toThrow(/--workers/);
  });

  it('counts polls per wait and the overhead from finishedTime to the poll that saw it', () => {
    const entry = (time: number, id = 'op1', status = 200) => ({
      method: 'GET',
      path: `/api/v1/async-operations/${id}`,
      operationId: 'getAsyncOperation',
      dialect: 'openapi' as const,
      status,
      time,
      wallTime: time,
    });
    const started = Date.parse('2026-01-01T00:00:00Z');
    const figures = requestFigures(
      [
        entry(started + 50),
        entry(started + 5050, 'op1', 429),
        entry(started + 10_050),
        entry(started + 20_300),
      ],
      [
        {
          id: 'op1',
          state: 'fulfilled',
          checkDuration: '5s',
          operationType: 'createNamespace',
          startedTime: '2026-01-01T00:00:00Z',
          finishedTime: '2026-01-01T00:00:20Z',
        },
      ],
    );
    expect(figures.waits).toEqual([
      expect.objectContaining({
        polls: 4,
        minPolls: 5,
        minPollsFromFirst: 5,
        durationMs: 20_000,
        overheadMs: 300,
      }),
    ]);
    expect(figures.status429).toBe(1);
    expect(peakInWindow([0, 100, 999, 1000, 1500])).toBe(3);
  });
});
