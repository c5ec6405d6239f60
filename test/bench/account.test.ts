// The bench's `account` scenario (issue 22): a tiny account end to end — every phase runs, its figures are there
// and sane (pages read, async operations under the 10-slot cap, nothing failed or done twice, events measured),
// its floor and targets computed — plus the pure parts: the floor and the flags.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { floorOf } from '../../bench/account';
import { parseBenchArgs } from '../../bench/cli';
import type { TargetResult } from '../../bench/report';
import type { ScenarioResult } from '../../bench/types';

const execFileAsync = promisify(execFile);
const root = path.resolve(__dirname, '../..');

describe('bench: account scenario', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bench-account-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs export, plan, apply, sweep and offboarding of a tiny account and reports each against its floor', async () => {
    const json = path.join(dir, 'account.json');
    const sizes = ['--namespaces', '4', '--users', '6', '--service-accounts', '3', '--keys', '24'];
    await execFileAsync(
      process.execPath,
      [
        ...['--import', 'tsx', 'bench/run.ts', '--quick', '--scenarios', 'account', ...sizes],
        ...['--due', '3', '--offboard', '2', '--activation', '1s', '--json', json],
      ],
      { cwd: root, timeout: 240_000 },
    );
    const data = JSON.parse(await readFile(json, 'utf8')) as {
      results: ScenarioResult[];
      targets: TargetResult[];
    };
    const byPhase = Object.fromEntries(data.results.map((r) => [r.label, r]));
    expect(Object.keys(byPhase)).toEqual([
      'account: export',
      'account: plan',
      'account: apply',
      'account: sweep',
      'account: offboard',
    ]);
    for (const r of data.results) {
      expect(r).toMatchObject({ name: 'account', status: 'ok', capPerSecond: 72, mutationCap: 10 });
      expect(r.workflows).toMatchObject({ failed: 0, running: 0 });
      expect(r.largestEvent!.bytes).toBeGreaterThan(0);
      expect(r.largestEvent!.bytes).toBeLessThan(512 * 1024);
      expect(r.floor!.s).toBeGreaterThan(0);
      expect(r.floor!.ratio).toBeCloseTo(r.wallS! / r.floor!.s, 1);
      expect(r.peakInFlight).toBeLessThanOrEqual(10);
      expect(r.requests!.status429).toBe(0);
    }
    // Export and plan read every list (no async operation); the plan finds the account's own export unchanged.
    for (const phase of ['account: export', 'account: plan']) {
      expect(byPhase[phase]!.requests!.callsByOperation).toMatchObject({
        listNamespaces: 1,
        listServiceAccounts: 1,
        listUsers: 1,
        listApiKeys: 1,
      });
      expect(byPhase[phase]!.requests!.acceptedMutations).toBe(0);
    }
    // The apply: longer retention for the 4 namespaces, a key more for the 3 accounts, 6 new users, and the 4 users
    // after the leavers deleted (the file owns every user of the run) — each once.
    const apply = byPhase['account: apply']!;
    expect(apply.requests!.callsByOperation).toMatchObject({
      updateNamespace: 4,
      createApiKey: 3,
      createUser: 6,
      deleteUser: 4,
    });
    expect(apply.requests!.acceptedMutations).toBe(17);
    // Each due key rotated once: one create and one delete each, nothing twice.
    const sweep = byPhase['account: sweep']!;
    expect(sweep.units).toBe(3);
    expect(sweep.requests!.callsByOperation).toMatchObject({ createApiKey: 3, deleteApiKey: 3 });
    // Two users at once, each with two keys: four key deletes, two user deletes.
    const offboard = byPhase['account: offboard']!;
    expect(offboard).toMatchObject({ units: 2, workflows: { started: 2 } });
    expect(offboard.requests!.callsByOperation).toMatchObject({ deleteApiKey: 4, deleteUser: 2 });
    expect(offboard.floor!.why).toBe('2 async operations in turn × 1 s');
    const account = data.targets.filter((t) => t.scenario.startsWith('account'));
    for (const target of [/^wall time ≤ 1\.5 × floor \+ 30 s/, /^wall time ≤ 1\.3 × floor/, /512 KiB/, /RSS/])
      expect(account.some((t) => target.test(t.target))).toBe(true);
  });

  it('takes the floor from the rate, the 10 slots, or one unit’s operations in turn, whichever is longest', () => {
    const r = (calls: number, acceptedMutations: number, wallS: number) =>
      ({ requests: { calls, acceptedMutations }, wallS }) as Parameters<typeof floorOf>[0];
    const target = { factor: 1.3, slackS: 0, chain: 2 };
    expect(floorOf(r(800, 0, 15), 5000, target)).toMatchObject({
      s: 10,
      ratio: 1.5,
      why: '800 calls ÷ 80/s',
    });
    expect(floorOf(r(800, 100, 60), 5000, target)).toMatchObject({
      s: 50,
      ratio: 1.2,
      why: '100 async operations ÷ 10 slots × 5 s',
    });
    // Four operations, two of them in turn: two operation durations, not one.
    expect(floorOf(r(10, 4, 12), 5000, target)).toMatchObject({
      s: 10,
      why: '2 async operations in turn × 5 s',
    });
  });

  it('sizes the account by flag, checks them together, and selects phases', () => {
    expect(parseBenchArgs(['--scenarios', 'account'])).toMatchObject({
      account: {
        namespaces: 1000,
        users: 5000,
        serviceAccounts: 500,
        keys: 20_000,
        due: 2000,
        offboard: 200,
      },
      accountPhases: ['export', 'plan', 'apply', 'sweep', 'offboard'],
      inlinePayloads: false,
    });
    expect((parseBenchArgs([]) as { scenarios: string[] }).scenarios).not.toContain('account');
    expect(parseBenchArgs(['--scenarios', 'account', '--phases', 'plan,export'])).toMatchObject({
      accountPhases: ['export', 'plan'],
    });
    expect(() => parseBenchArgs(['--scenarios', 'account', '--phases', 'deploy'])).toThrow(/'deploy'/);
    expect(() => parseBenchArgs(['--scenarios', 'account', '--users', '10'])).toThrow(
      /--offboard \(200\) exceeds --users \(10\)/,
    );
    // --users alone sizes the offboard scenario, whatever the account's checks would say.
    expect(parseBenchArgs(['--scenarios', 'offboard', '--users', '10'])).toMatchObject({ users: 10 });
  });
});
