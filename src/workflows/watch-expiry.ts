import { defineQuery, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExpiringItems } from '../activities/expiry';
import { opsApiCall, opsApiPaging } from '../shared/activity-options';
import {
  dueReports,
  ledgerFrom,
  policyOf,
  recorded,
  watchExpiryInput,
  windowOf,
  type ExpiryLedger,
  type ReportedItem,
  type RotationPolicy,
  type WatchExpiryInput,
  type WatchExpiryRequest,
} from '../shared/expiry';
import { describeError, validInputOrFail } from './common';
import { rotateExpiringKeys, type SweepRotated } from './rotate-expiring-keys';

const { listExpiringItems } = proxyActivities<Activities>(opsApiPaging);
// A receiver that stays down past these retries is reported in the result; the items go out with the next run.
const { notifyExpiry } = proxyActivities<Activities>({ ...opsApiCall, scheduleToCloseTimeout: '10m' });

/** What the watch's rotation did (the key sweep it ran as a child). */
export interface WatchRotation {
  rotated: number;
  failed: number;
  skipped: number;
  /** Up to the sweep's detail limit. */
  rotatedKeys: SweepRotated[];
  /** The sweep itself failed: what was due stays, and is reported as not rotated. */
  error?: string;
}

export interface WatchExpiryResult extends Omit<ExpiringItems, 'withinDays'> {
  windowDays: number;
  thresholds: number[];
  /** What the watch rotates on its own. */
  policy: RotationPolicy;
  /** Absent when the watch rotates nothing (`rotateServiceAccounts: none`). */
  rotation?: WatchRotation;
  /** What this run reported: the items that crossed a threshold since they were last reported. */
  reported: ReportedItem[];
  /** `nothing-new`: nothing crossed a threshold; `failed`: see `notifyError` (reported again next run). */
  notified: 'sent' | 'not-configured' | 'nothing-new' | 'failed';
  notifyError?: string;
  /** What has been reported, for the next run (the schedule hands it over as the last completion result). */
  ledger: ExpiryLedger;
}

export interface WatchExpiryStatus {
  step: 'validating' | 'rotating' | 'listing' | 'notifying' | 'completed' | 'failed';
  rotation?: WatchRotation;
  reported?: number;
  lastError?: string;
}

export const watchExpiryStatusQuery = defineQuery<WatchExpiryStatus>('status');

/**
 * The expiry watch, run by a Temporal Schedule: rotates the service-account keys it may (the key sweep, as a
 * child), then lists every key and accepted CA certificate inside the warning window and reports, through the
 * signed webhook, each item to report once per threshold it crosses. What was reported comes from `previous`, else
 * from the schedule's last completion result (this workflow's previous result), so the fleet keeps no state of its
 * own; a first run reports everything inside the window.
 */
export async function watchExpiry(
  rawInput: WatchExpiryInput = {},
  previous?: ExpiryLedger,
): Promise<WatchExpiryResult> {
  const status: WatchExpiryStatus = { step: 'validating' };
  setHandler(watchExpiryStatusQuery, () => status);
  const input = validInputOrFail(watchExpiryInput, rawInput, status);
  const ledger = previous ?? ledgerFrom(workflowInfo().lastResult);
  try {
    const rotation = await rotateDue(input, status);
    status.step = 'listing';
    const { withinDays: windowDays, ...listed } = await listExpiringItems({
      asOf: Date.now(),
      withinDays: windowOf(input),
      rotation: policyOf(input),
      afterRotation: rotation !== undefined,
      maxItems: input.maxItems,
    });
    const { due, kept } = dueReports(listed.items, input.thresholds, ledger);
    status.step = 'notifying';
    const sent = await notify(listed.asOf, due, input, rotation?.rotated ?? 0);
    status.step = 'completed';
    status.reported = sent.ok ? due.length : 0;
    return {
      ...listed,
      windowDays,
      thresholds: input.thresholds,
      policy: policyOf(input),
      ...(rotation ? { rotation } : {}),
      reported: sent.ok ? due : [],
      notified: sent.outcome,
      ...(sent.error ? { notifyError: sent.error } : {}),
      ledger: sent.ok ? recorded(kept, due) : kept,
    };
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }
}

/** The key sweep over the service accounts the watch rotates; undefined when it rotates none. */
async function rotateDue(
  input: WatchExpiryRequest,
  status: WatchExpiryStatus,
): Promise<WatchRotation | undefined> {
  const accounts = input.rotateServiceAccounts;
  if (accounts === 'none') return undefined;
  status.step = 'rotating';
  try {
    // A child keeps this run's history to a few events however many keys are due: the sweep pages and continues
    // as new on its own.
    const swept = await executeChild(rotateExpiringKeys, {
      workflowId: `${workflowInfo().workflowId}/sweep`,
      args: [
        {
          leadDays: input.leadDays,
          expiryDays: input.expiryDays,
          gracePeriod: input.gracePeriod,
          concurrency: input.concurrency,
          ownerType: 'service-account',
          ...(accounts === 'all' ? {} : { serviceAccounts: accounts }),
        },
      ],
    });
    status.rotation = {
      rotated: swept.rotated,
      failed: swept.failed,
      skipped: Object.values(swept.skipped).reduce((a, b) => a + b, 0),
      rotatedKeys: swept.rotatedKeys,
    };
  } catch (err) {
    // Reporting does not depend on rotating: what is still due is reported as not rotated.
    status.rotation = { rotated: 0, failed: 0, skipped: 0, rotatedKeys: [], error: describeError(err) };
  }
  return status.rotation;
}

/** Posts what is due; a receiver that stays down is reported, and the items stay due for the next run. */
async function notify(
  asOf: string,
  due: ReportedItem[],
  input: WatchExpiryRequest,
  rotated: number,
): Promise<{ ok: boolean; outcome: WatchExpiryResult['notified']; error?: string }> {
  if (due.length === 0) return { ok: true, outcome: 'nothing-new' };
  const { workflowId, runId } = workflowInfo();
  try {
    const { outcome } = await notifyExpiry({
      deliveryId: `${workflowId}/${runId}`,
      asOf,
      entries: due,
      rotation: policyOf(input),
      rotated,
    });
    // Without a webhook the items count as reported: the result, the portal and the command show them.
    return { ok: true, outcome };
  } catch (err) {
    return { ok: false, outcome: 'failed', error: describeError(err) };
  }
}
