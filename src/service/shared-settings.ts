// Settings every replica of the service must share, checked against one record in Temporal (docs/production.md,
// "Replicas that would disagree refuse to start").
import { randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { describeIfThere } from '../client';
import type { Logger } from '../logger';
import { StackError } from './dev-server';
import { receiptTaskQueue } from '../requests/receipts';

const scryptAsync = promisify(scrypt) as (pw: string, salt: string, len: number) => Promise<Buffer>;

export const SHARED_SETTINGS = [
  'EVENTS_HMAC_SECRET',
  'PORTAL_SESSION_SECRET',
  'PORTAL_LOGIN_TOKEN_SHA256',
  'PORTAL_APPROVERS',
  'PORTAL_TRUSTED_HEADER',
  'PORTAL_TRUSTED_PROXIES',
  'APPROVAL_POLICY',
] as const;
export type SharedSetting = (typeof SHARED_SETTINGS)[number];
/** The effective values; undefined when the feature is off (no portal, no token login). */
export type SharedValues = Record<SharedSetting, string | undefined>;

export const SETTINGS_WORKFLOW_TYPE = 'serviceSettings';
export const settingsWorkflowId = (taskQueue: string) => `service-settings/${taskQueue}`;
/** Two minutes: a replica renews it every quarter of that, so it outlives a slow renewal or two. */
export const DEFAULT_SETTINGS_LEASE_MS = 2 * 60_000;

/** One line naming the variables, the way start-up errors are printed. */
export class SharedSettingsMismatch extends StackError {
  constructor(
    readonly variables: SharedSetting[],
    readonly recordId: string,
  ) {
    super(
      `${variables.join(', ')} ${variables.length > 1 ? 'differ' : 'differs'} from the running replicas' ` +
        `(recorded in Temporal as ${recordId}): give every replica the same value, or stop them all and wait ` +
        `one lease (or \`temporal workflow terminate --workflow-id ${recordId}\`) before changing it`,
    );
  }
}

/**
 * Per variable, a hash that tells equal values from different ones and nothing else: scrypt (costly to guess
 * against) salted with the record's random salt and the variable's name, so equal values of two variables do not
 * look alike. 'off' when unset.
 */
export async function settingsFingerprints(
  values: SharedValues,
  salt: string,
): Promise<Record<SharedSetting, string>> {
  const entries = await Promise.all(
    SHARED_SETTINGS.map(async (name) => {
      const value = values[name];
      if (value === undefined) return [name, 'off'] as const;
      const hash = await scryptAsync(value, `${salt} ${name}`, 16);
      return [name, hash.toString('hex')] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<SharedSetting, string>;
}

export interface SettingsRecord {
  /**
   * Stops renewing: the record expires on its own unless another replica renews it. `release` ends it now (when
   * this process owns the Temporal server, no other replica can outlive it).
   */
  close(options?: { release?: boolean }): Promise<void>;
}

export interface PublishOptions {
  client: Client;
  taskQueue: string;
  values: SharedValues;
  logger: Logger;
  leaseMs?: number;
  /** A renewal found other settings in the record: this replica must stop taking traffic (readiness). */
  onMismatch?: (err: SharedSettingsMismatch) => void;
}

/**
 * Joins the replicas of this task queue: throws SharedSettingsMismatch when the live record holds other fingerprints,
 * else keeps the record alive while this replica runs.
 */
export async function publishSharedSettings(opts: PublishOptions): Promise<SettingsRecord> {
  const record = new RecordHandle(opts);
  const log = opts.logger.child({ component: 'shared-settings' });
  await record.check();
  log.info({ workflowId: record.workflowId }, 'shared settings agree with the running replicas');
  const timer = renewEvery(record, opts, log);
  return {
    async close({ release = false } = {}) {
      clearInterval(timer);
      if (!release) return;
      await opts.client.workflow
        .getHandle(record.workflowId)
        .terminate('the replica that owns this Temporal server stopped')
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    },
  };
}

/**
 * Renewal: a replica whose record is past half its lease replaces it with a fresh run of the same salt and
 * fingerprints, every quarter of a lease.
 */
function renewEvery(record: RecordHandle, opts: PublishOptions, log: Logger): NodeJS.Timeout {
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    void (async () => {
      const current = await record.check();
      if (current && current.expiresAt - Date.now() < record.leaseMs / 2) {
        await record.start('TERMINATE_EXISTING', current.salt);
      }
    })()
      .catch((err: unknown) => {
        const workflowId = record.workflowId;
        if (err instanceof SharedSettingsMismatch) {
          // A replica with other settings took over an expired record: the two would answer differently, so this
          // one leaves the load balancer (readiness) and stops renewing; it says so once.
          clearInterval(timer);
          log.error({ err, workflowId }, 'shared settings differ from the record: this replica is not ready');
          opts.onMismatch?.(err);
          return;
        }
        // Temporal unreachable for a while (readiness says so too): this one keeps serving what it has.
        log.error({ err, workflowId }, 'could not renew the shared settings record');
      })
      .finally(() => (renewing = false));
  }, record.leaseMs / 4);
  timer.unref();
  return timer;
}

/** The record in Temporal: a workflow that only waits out its lease, its memo holding salt and fingerprints. */
class RecordHandle {
  readonly workflowId: string;
  readonly leaseMs: number;
  // scrypt is slow on purpose: hash once per salt (the record's salt changes only when it is retaken).
  #hashed: { salt: string; fingerprints: Promise<Record<SharedSetting, string>> } | undefined;

  constructor(private readonly opts: PublishOptions) {
    this.workflowId = settingsWorkflowId(opts.taskQueue);
    this.leaseMs = opts.leaseMs ?? DEFAULT_SETTINGS_LEASE_MS;
  }

  #fingerprintsWith(salt: string) {
    if (this.#hashed?.salt !== salt) {
      this.#hashed = { salt, fingerprints: settingsFingerprints(this.opts.values, salt) };
    }
    return this.#hashed.fingerprints;
  }

  async start(policy: 'FAIL' | 'TERMINATE_EXISTING', salt: string) {
    return this.opts.client.workflow.start(SETTINGS_WORKFLOW_TYPE, {
      workflowId: this.workflowId,
      taskQueue: receiptTaskQueue(this.opts.taskQueue),
      memo: { salt, fingerprints: await this.#fingerprintsWith(salt), expiresAt: Date.now() + this.leaseMs },
      workflowIdConflictPolicy: policy,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      startDelay: this.leaseMs,
      workflowExecutionTimeout: this.leaseMs,
    });
  }

  /** The live record's memo, or undefined when none runs. */
  async #live(): Promise<Record<string, unknown> | undefined> {
    const info = await describeIfThere(this.opts.client, this.workflowId);
    return info?.status.name === 'RUNNING' ? ((info.memo ?? {}) as Record<string, unknown>) : undefined;
  }

  /**
   * Reads the live record first (its salt is needed to compare); if none runs, starts one with a fresh salt — FAIL,
   * so of two replicas starting at once one wins and the other compares with the winner's record.
   */
  async check(): Promise<{ salt: string; expiresAt: number } | undefined> {
    for (let round = 0; round < 3; round++) {
      const theirs = await this.#live();
      if (theirs) {
        const salt = typeof theirs.salt === 'string' ? theirs.salt : '';
        const ours = await this.#fingerprintsWith(salt);
        const recorded = (theirs.fingerprints ?? {}) as Partial<Record<SharedSetting, string>>;
        const differing = SHARED_SETTINGS.filter((name) => recorded[name] !== ours[name]);
        if (differing.length > 0) throw new SharedSettingsMismatch(differing, this.workflowId);
        return { salt, expiresAt: typeof theirs.expiresAt === 'number' ? theirs.expiresAt : 0 };
      }
      try {
        await this.start('FAIL', randomBytes(16).toString('hex'));
        return undefined;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    throw new StackError(`could not join ${this.workflowId}: it keeps changing`);
  }
}
