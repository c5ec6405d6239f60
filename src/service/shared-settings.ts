// Settings every replica of the service must share (the events HMAC secret, the portal's session secret and login
// token hash, who may approve). Each replica publishes a fingerprint of them in Temporal — a salted scrypt hash per
// variable, never the value — on one record whose workflow id is unique by Temporal's guarantee: the first replica
// starts it; any other compares and refuses to start, naming the variables that differ.
//
// The record is a workflow that never runs (as the request receipts in ./receipts.ts): it lives for a lease and live
// replicas renew it (a new run replaces it atomically, TERMINATE_EXISTING) before half the lease is left. Once every
// replica has stopped it expires, so new settings take effect after one lease (or at once: terminate the record).
import { scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../logger';
import { StackError } from './dev-server';
import { receiptTaskQueue } from './receipts';

const scryptAsync = promisify(scrypt) as (pw: string, salt: string, len: number) => Promise<Buffer>;

export const SHARED_SETTINGS = [
  'EVENTS_HMAC_SECRET',
  'PORTAL_SESSION_SECRET',
  'PORTAL_LOGIN_TOKEN_SHA256',
  'PORTAL_APPROVERS',
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
 * against) salted with the variable's name, so equal values of two variables do not look alike. 'off' when unset.
 */
export async function settingsFingerprints(values: SharedValues): Promise<Record<SharedSetting, string>> {
  const entries = await Promise.all(
    SHARED_SETTINGS.map(async (name) => {
      const value = values[name];
      if (value === undefined) return [name, 'off'] as const;
      const hash = await scryptAsync(value, `temporal-cloud-ops shared setting ${name}`, 16);
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
  fingerprints: Record<SharedSetting, string>;
  logger: Logger;
  leaseMs?: number;
}

/**
 * Joins the replicas of this task queue: throws SharedSettingsMismatch when the live record holds other fingerprints,
 * else keeps the record alive while this replica runs.
 */
export async function publishSharedSettings(opts: PublishOptions): Promise<SettingsRecord> {
  const { client, fingerprints } = opts;
  const leaseMs = opts.leaseMs ?? DEFAULT_SETTINGS_LEASE_MS;
  const workflowId = settingsWorkflowId(opts.taskQueue);
  const log = opts.logger.child({ component: 'shared-settings' });

  const start = (policy: 'FAIL' | 'TERMINATE_EXISTING') =>
    client.workflow.start(SETTINGS_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: receiptTaskQueue(opts.taskQueue),
      memo: { fingerprints, expiresAt: Date.now() + leaseMs },
      workflowIdConflictPolicy: policy,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      startDelay: leaseMs,
      workflowExecutionTimeout: leaseMs,
    });

  /** The live record: started by us (undefined) or another replica's memo. */
  const join = async (): Promise<{ fingerprints?: unknown; expiresAt?: unknown } | undefined> => {
    for (let round = 0; round < 3; round++) {
      try {
        await start('FAIL');
        return undefined;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      try {
        const info = await client.workflow.getHandle(workflowId).describe();
        if (info.status.name === 'RUNNING') return (info.memo ?? {}) as Record<string, unknown>;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    throw new StackError(`could not join ${workflowId}: it keeps changing`);
  };

  const check = async (): Promise<{ expiresAt: number } | undefined> => {
    const theirs = await join();
    if (!theirs) return undefined;
    const recorded = (theirs.fingerprints ?? {}) as Partial<Record<SharedSetting, string>>;
    const differing = SHARED_SETTINGS.filter((name) => recorded[name] !== fingerprints[name]);
    if (differing.length > 0) throw new SharedSettingsMismatch(differing, workflowId);
    return { expiresAt: typeof theirs.expiresAt === 'number' ? theirs.expiresAt : 0 };
  };

  await check();
  log.info({ workflowId }, 'shared settings agree with the running replicas');

  // Renewal: a replica whose record is past half its lease replaces it with a fresh run of the same fingerprints.
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    void (async () => {
      const live = await check();
      if (live && live.expiresAt - Date.now() < leaseMs / 2) await start('TERMINATE_EXISTING');
    })()
      .catch((err: unknown) => {
        // Temporal unreachable for a while (readiness says so too), or a replica with other settings took over an
        // expired record: this one keeps serving what it has; an operator sees the error.
        log.error({ err, workflowId }, 'could not renew the shared settings record');
      })
      .finally(() => (renewing = false));
  }, leaseMs / 4);
  timer.unref();
  return {
    async close({ release = false } = {}) {
      clearInterval(timer);
      if (!release) return;
      await client.workflow
        .getHandle(workflowId)
        .terminate('the replica that owns this Temporal server stopped')
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    },
  };
}
