// Flags of `npm run bench`: parsed strictly, so a typo is a clear message and exit code 2, never a run
// with silently different sizes.
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../src/emulator/duration';
import { ACCOUNT_PHASES, accountSizeProblems, type AccountPhase, type AccountSizes } from './account-sizes';

export const SCENARIOS = [
  'provision',
  'offboard',
  'sweep',
  'throttled',
  'waits',
  'baseline',
  'fleet',
  'account',
] as const;
/** Run only when asked for by name (or, fleet, by --workers). */
const ON_REQUEST: readonly string[] = ['fleet', 'account'];
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  quick: boolean;
  /** Concurrent provisionings (provision, throttled). */
  n: number;
  /** Namespace activation (ms). */
  activationMs: number;
  /** The emulator's checkDuration hint (ms). */
  checkMs: number;
  /** Every other async operation: service account, API key, user, deletes (ms). */
  opMs: number;
  /** Sequential provisionings of the hand-written baseline script. */
  baselineN: number;
  /** Fixed poll interval of the baseline script (ms). */
  baselinePollMs: number;
  users: number;
  keysPerUser: number;
  sweepKeys: number;
  sweepDue: number;
  sweepConcurrency: number;
  /** waits: async operations per design and duration. */
  waitN: number;
  /** waits: the operations' durations (ms), one phase each. */
  waitDurationsMs: number[];
  /** fleet: worker processes on one task queue (the scenario also runs with one, for comparison). */
  workers: number;
  /** fleet: OPS_API_FLEET_RATE_LIMIT of every worker (requests/s across them all). */
  fleetRate: number;
  /** fleet: OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS of every worker. */
  fleetMutations: number;
  /** account: the account's sizes. */
  account: AccountSizes;
  /** account: which phases run, in this order. */
  accountPhases: AccountPhase[];
  /** account: no payload store (every payload inline, as before it existed): shows what it is for. */
  inlinePayloads: boolean;
  /** Emulator rate limit in the throttled scenario (requests/s; burst = the same number). */
  rate: number;
  /** The worker's OPS_API_RATE_LIMIT in the throttled scenario. */
  cap: number;
  maxActivities: number;
  maxCachedWorkflows: number | undefined;
  maxWorkflowTasks: number | undefined;
  /** The SDK runtime's log level in the worker; WARN keeps what the product's worker prints. */
  workerLogLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Give up on a scenario after this long (ms). */
  timeoutMs: number;
  json: string | undefined;
}

export const USAGE = `Usage: npm run bench -- [options]

Measures the worker against an embedded Temporal dev server and the Ops API emulator, whose async
operations take real seconds: Ops API calls per wait against the minimum the checkDuration hints
allow, latency beyond each operation's own duration, throughput, 429s, request rate, worker RSS/CPU,
and Temporal Cloud Actions per unit of work. The waits scenario compares our wait with a workflow loop
and a long heartbeating activity on the same operations.

Options:
  --scenarios <list>       comma-separated: ${SCENARIOS.join(',')} (default: all but fleet
                           and account; with --workers: fleet)
  --quick                  small sizes for a smoke run (< 1 min): n=10, activation 3s, check 1s,
                           ops 1s, 5 users x 4 keys, sweep 50 keys / 15 due, waits 3 x 3s,
                           baseline n=2
  --n <int>                concurrent provisionings in provision and throttled (default 200)
  --activation <dur>       namespace activation time (default 20s)
  --check <dur>            checkDuration hint returned by getAsyncOperation (default 5s)
  --op-duration <dur>      every other async operation: service account, key, user, deletes
                           (default: the --check value)
  --baseline-n <int>       sequential provisionings of the ky + 1-s-polling baseline (default 5)
  --users <int>            offboard: users (default 50); account: users in the account (5000)
  --keys-per-user <int>    offboard: API keys per user (default 20)
  --sweep-keys <int>       sweep: API keys in the account (default 1000)
  --sweep-due <int>        sweep: of which expire within the lead time (default 300)
  --sweep-concurrency <n>  sweep: rotations at once, 1-50 (default 50)
  --wait-n <int>           waits: async operations per wait design and duration (default 20)
  --wait-durations <list>  waits: comma-separated operation durations, run one after the other, each
                           waited on by the three designs at once (default 30s,2m; hint = --check)
  --workers <int>          fleet: worker processes on one task queue, run beside one worker with
                           the same fleet-wide caps (default 3; giving it selects the fleet scenario)
  --fleet-rate <rps>       fleet: OPS_API_FLEET_RATE_LIMIT (default 20)
  --fleet-mutations <int>  fleet: OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS (default 5)
  --namespaces <int>       account: namespaces (default 1000)
  --service-accounts <int> account: service accounts (default 500)
  --keys <int>             account: API keys (default 20000; 2 per offboarded user, the rest the
                           service accounts')
  --due <int>              account: service-account keys the sweep finds due (default 2000)
  --offboard <int>         account: users offboarded at once (default 200)
  --phases <list>          account: comma-separated: ${ACCOUNT_PHASES.join(',')}
                           (default: all)
  --inline-payloads        account: workers and client without PAYLOAD_STORE_DIR, every payload
                           in history as before the store (shows what breaks without it)
                           (account, --quick: 20 namespaces, 50 users, 10 accounts, 200 keys, 20 due,
                           5 offboarded)
  --rate <rps>             throttled: emulator rate limit, requests/s (default 50)
  --cap <rps>              throttled: worker OPS_API_RATE_LIMIT (default 90% of --rate)
  --max-activities <int>   worker MAX_CONCURRENT_ACTIVITIES (default 200)
  --max-cached-workflows <int>   worker maxCachedWorkflows (default: SDK default)
  --max-workflow-tasks <int>     worker maxConcurrentWorkflowTaskExecutions (default: SDK default)
  --worker-log-level <l>   SDK log level in the worker: WARN (default; every poll is logged as a
                           failed attempt, as the product's worker does) or ERROR (silences that)
  --timeout <dur>          give up on a scenario after this long (default 15m)
  --json <file>            also write the figures as JSON to <file>
  -h, --help               show this help

Durations: '1500' (ms), '1500ms', '1.5s', '2m'.
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const STRING_FLAGS = [
  'scenarios',
  'n',
  'activation',
  'check',
  'op-duration',
  'baseline-n',
  'users',
  'keys-per-user',
  'sweep-keys',
  'sweep-due',
  'sweep-concurrency',
  'wait-n',
  'wait-durations',
  'workers',
  'fleet-rate',
  'fleet-mutations',
  'namespaces',
  'service-accounts',
  'keys',
  'due',
  'offboard',
  'phases',
  'rate',
  'cap',
  'max-activities',
  'max-cached-workflows',
  'max-workflow-tasks',
  'worker-log-level',
  'timeout',
  'json',
] as const;
type Flags = Partial<Record<(typeof STRING_FLAGS)[number], string>> & {
  quick?: boolean;
  help?: boolean;
  'inline-payloads'?: boolean;
};

/** Parsed options, `'help'`, or a UsageError naming the bad flag. */
export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const values = readFlags(argv);
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  // checkDuration below 1 s would be clamped by the wait's minPollSeconds (1 s), so the minimum would lie.
  const checkMs = duration('check', values.check, quick ? 1000 : 5000, 1000);
  const rate = positive('rate', values.rate, 50);
  const optionalInt = (flag: string, text: string | undefined) =>
    text === undefined ? undefined : int(flag, text, 0, 2);
  const scenarios = scenariosOf(values);
  return {
    scenarios,
    quick,
    n: int('n', values.n, quick ? 10 : 200),
    activationMs: duration('activation', values.activation, quick ? 3000 : 20_000),
    checkMs,
    opMs: duration('op-duration', values['op-duration'], checkMs),
    baselineN: int('baseline-n', values['baseline-n'], quick ? 2 : 5),
    baselinePollMs: 1000,
    users: int('users', values.users, quick ? 5 : 50),
    account: accountOf(values, quick, scenarios.includes('account')),
    accountPhases: phasesOf(values.phases),
    inlinePayloads: values['inline-payloads'] ?? false,
    keysPerUser: int('keys-per-user', values['keys-per-user'], quick ? 4 : 20, 0),
    ...sweepOf(values, quick),
    waitN: int('wait-n', values['wait-n'], quick ? 3 : 20, 1, 1000),
    waitDurationsMs: (values['wait-durations'] ?? (quick ? '3s' : '30s,2m'))
      .split(',')
      .map((d) => duration('wait-durations', d.trim(), NaN, 1)),
    workers: int('workers', values.workers, 3, 1, 10),
    fleetRate: int('fleet-rate', values['fleet-rate'], 20, 1, 1000),
    fleetMutations: int('fleet-mutations', values['fleet-mutations'], 5, 1, 100),
    rate,
    cap: positive('cap', values.cap, Math.max(1, Math.floor(rate * 0.9))),
    maxActivities: int('max-activities', values['max-activities'], 200),
    maxCachedWorkflows: optionalInt('max-cached-workflows', values['max-cached-workflows']),
    maxWorkflowTasks: optionalInt('max-workflow-tasks', values['max-workflow-tasks']),
    workerLogLevel: logLevelOf(values['worker-log-level']),
    timeoutMs: duration('timeout', values.timeout, 15 * 60_000, 1000),
    json: values.json,
  };
}

function readFlags(argv: string[]): Flags {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
        quick: { type: 'boolean' },
        'inline-payloads': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values as Flags;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The fleet scenario runs only when asked for: by name, or by --workers. Run order is the list's, once each. */
function scenariosOf(values: Flags): ScenarioName[] {
  if (values.scenarios === undefined)
    return values.workers !== undefined ? ['fleet'] : SCENARIOS.filter((s) => !ON_REQUEST.includes(s));
  const names = values.scenarios.split(',').map((s) => s.trim());
  const unknown = names.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0 || names.length === 0 || names.includes(''))
    throw new UsageError(
      `--scenarios: unknown scenario(s) ${unknown.map((s) => `'${s}'`).join(', ') || "''"}; choose from ${SCENARIOS.join(', ')}`,
    );
  return SCENARIOS.filter((s) => names.includes(s));
}

function sweepOf(values: Flags, quick: boolean) {
  const sweepKeys = int('sweep-keys', values['sweep-keys'], quick ? 50 : 1000);
  const sweepDue = int('sweep-due', values['sweep-due'], quick ? 15 : 300, 0);
  if (sweepDue > sweepKeys)
    throw new UsageError(`--sweep-due (${sweepDue}) exceeds --sweep-keys (${sweepKeys})`);
  const sweepConcurrency = int('sweep-concurrency', values['sweep-concurrency'], 50, 1, 50);
  return { sweepKeys, sweepDue, sweepConcurrency };
}

/** The account's sizes; checked together only when the account scenario runs (--users also sizes offboard). */
function accountOf(values: Flags, quick: boolean, checked: boolean): AccountSizes {
  const sizes: AccountSizes = {
    namespaces: int('namespaces', values.namespaces, quick ? 20 : 1000),
    users: int('users', values.users, quick ? 50 : 5000),
    serviceAccounts: int('service-accounts', values['service-accounts'], quick ? 10 : 500),
    keys: int('keys', values.keys, quick ? 200 : 20_000, 0),
    due: int('due', values.due, quick ? 20 : 2000, 0),
    offboard: int('offboard', values.offboard, quick ? 5 : 200, 0),
  };
  const problems = checked ? accountSizeProblems(sizes) : [];
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return sizes;
}

function phasesOf(text: string | undefined): AccountPhase[] {
  if (text === undefined) return [...ACCOUNT_PHASES];
  const names = text.split(',').map((p) => p.trim());
  const unknown = names.filter((p) => !(ACCOUNT_PHASES as readonly string[]).includes(p));
  if (unknown.length > 0 || names.includes(''))
    throw new UsageError(
      `--phases: unknown phase(s) ${unknown.map((p) => `'${p}'`).join(', ') || "''"}; choose from ${ACCOUNT_PHASES.join(', ')}`,
    );
  return ACCOUNT_PHASES.filter((p) => names.includes(p));
}

function logLevelOf(text: string | undefined): BenchOptions['workerLogLevel'] {
  const level = (text ?? 'WARN').toUpperCase();
  if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level))
    throw new UsageError(`--worker-log-level must be one of TRACE, DEBUG, INFO, WARN, ERROR, got '${level}'`);
  return level as BenchOptions['workerLogLevel'];
}

function int(flag: string, text: string | undefined, fallback: number, min = 1, max = 100_000): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < min || v > max)
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got '${text}'`);
  return v;
}

function positive(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0)
    throw new UsageError(`--${flag} must be a positive number, got '${text}'`);
  return v;
}

function duration(flag: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < min)
    throw new UsageError(
      `--${flag} must be a duration like '5s' or '1500ms'${min ? ` of at least ${min} ms` : ''}, got '${text}'`,
    );
  return ms;
}
