// What a scenario is given and what it reports (the JSON's `results`).
import type { ActionCounts, ActionsFigures } from './actions';
import type { BenchOptions, ScenarioName } from './cli';
import type { DevServer, WorkerUsage } from './infra';
import type { Distribution, RequestFigures } from './metrics';
import type { WaitDesign } from './wait-designs/shared';

export interface ScenarioContext {
  opts: BenchOptions;
  server: DevServer | undefined;
  bundlePath: string | undefined;
  outDir: string;
  runId: string;
  log(message: string): void;
}

export interface WorkflowCounts {
  started: number;
  completed: number;
  failed: number;
  /** Still running when the scenario gave up (counted as not completed). */
  running: number;
  continuedAsNew: number;
}

export interface ScenarioResult {
  name: ScenarioName;
  /** The report's column name when a scenario has more than one (fleet: one per worker count). */
  label?: string;
  status: 'ok' | 'skipped' | 'crashed';
  note?: string;
  params: Record<string, string | number>;
  /** What one unit of work is (a provisioning, a user, a rotation), for per-unit figures. */
  unit?: string;
  units?: number;
  wallS?: number;
  workflows?: WorkflowCounts;
  workflowsPerSecond?: number;
  /** Start to close of each unit's workflow (s). */
  unitLatencyS?: Distribution;
  callsPerUnit?: number;
  /**
   * Accepted mutations + ⌈d/c⌉+1 polls per wait + the reads no correct run can skip (floorReads), per unit: the
   * calls the hints and the API's contract cannot avoid.
   */
  floorCallsPerUnit?: number;
  /** The reads counted in floorCallsPerUnit, per unit, and why each is needed. */
  floorReads?: { perUnit: number; why: string };
  /** The worker's OPS_API_RATE_LIMIT (fleet: OPS_API_FLEET_RATE_LIMIT), when set. */
  capPerSecond?: number;
  /** Worker processes on the task queue. */
  workers?: number;
  /** fleet: OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS. */
  mutationCap?: number;
  /** Most async operations in flight at once, as the emulator ran them. */
  peakInFlight?: number;
  /** fleet: the limiter workflow's Actions (in the totals too), per unit. */
  limiterActionsPerUnit?: number;
  requests?: Omit<RequestFigures, 'waits'>;
  worker?: WorkerUsage;
  longestHistory?: { events: number; workflowId: string; type: string };
  /** The largest event of any history of the scenario (encoded bytes), and where. */
  largestEvent?: { bytes: number; eventType: string; workflowId: string };
  /**
   * account: the least wall time the API's caps allow (calls ÷ rate, or async mutations ÷ slots × operation
   * duration, whichever is longer), and the target as a factor of it plus a slack.
   */
  floor?: { s: number; why: string; ratio: number; targetFactor: number; targetSlackS: number };
  /** What the longest history may reach given the workflow's steps (independent of poll counts). */
  historyBound?: { events: number; why: string };
  /** Temporal Cloud Actions of the whole scenario, per unit of work. */
  actions?: ActionsFigures;
  /** The waits scenario: one row per wait design and operation duration. */
  waitDesigns?: WaitDesignFigures[];
  failures?: string[];
}

export interface WaitDesignFigures {
  design: WaitDesign;
  workflowType: string;
  operationS: number;
  checkS: number;
  waits: number;
  completed: number;
  /**
   * Billable Actions per wait, without the wrapper workflow's own start (one per wait in every design;
   * in the product the wait is a step of a bigger workflow). Heartbeats are the server's count.
   */
  actionsPerWait: number;
  actionsByTypePerWait: ActionCounts;
  /** getAsyncOperation calls per wait, and the ⌈d/c⌉ + 1 the hint allows. */
  opsCallsPerWait: number;
  minPollsPerWait: number;
  /** Events in the wrapper workflow's history (the same fixed wrapper around each design). */
  historyEventsPerWait: number;
  /** From the operation's finishedTime to the poll that saw it (s). */
  overheadS?: Distribution;
  /** From the operation's finishedTime to the wrapper workflow's close (s). */
  closeOverheadS?: Distribution;
}
