import { continueAsNew, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RotationCandidate } from '../activities/key-rotation';
import type { OwnerType } from '../ops-api/types';
import { opsApiPaging } from '../shared/activity-options';
import {
  rotateExpiringKeysInput,
  type RotateExpiringKeysInput,
  type RotateExpiringKeysRequest,
} from '../shared/validation';
import { forEachLimited } from '../shared/concurrency';
import { describeError, validInputOrFail } from './common';
import { rotateInChild } from './rotate-child';

const { selectApiKeysForRotation } = proxyActivities<Activities>(opsApiPaging);

/** One API call's worth of pages per selection; the activity heartbeats after each. */
const MAX_PAGES_PER_SELECTION = 100;

export interface SweepRotated {
  keyId: string;
  newKeyId: string;
  ownerId: string;
  ownerType: OwnerType;
}

export interface SweepFailure {
  keyId: string;
  ownerId: string;
  ownerType: OwnerType;
  reason: string;
}

/** What a sweep has done so far; carried across continue-as-new. Bounded whatever the key count. */
export interface SweepProgress {
  /** When the sweep began (ms), for the report. */
  startedAt: number;
  pageToken?: string;
  runs: number;
  scanned: number;
  notDue: number;
  selected: number;
  rotated: number;
  failed: number;
  /** Keys that were due but left alone, by reason (`deleting`, `rotation-in-progress`, `aborted`, ...). */
  skipped: Record<string, number>;
  /** Up to `maxDetails` entries each; the counts above are complete. */
  rotatedKeys: SweepRotated[];
  failures: SweepFailure[];
  /** Dry run: the keys that would be rotated (up to `maxDetails`). */
  wouldRotate: RotationCandidate[];
  /** Per-key entries left out of the lists above to keep the result (and history) bounded. */
  detailsOmitted: { rotatedKeys: number; failures: number; wouldRotate: number };
}

export interface RotateExpiringKeysResult extends Omit<SweepProgress, 'startedAt' | 'pageToken'> {
  dryRun: boolean;
  startedAt: string;
  completedAt: string;
}

export interface SweepStatus {
  step: 'validating' | 'selecting' | 'rotating' | 'completed' | 'failed';
  run: number;
  batch: number;
  inFlight: string[];
  progress?: SweepProgress;
  lastError?: string;
}

export const sweepStatusQuery = defineQuery<SweepStatus>('status');

/**
 * Rotates every API key that expires within `leadDays` (or is older than `maxAgeDays`), each as a
 * rotateApiKey child under its owner's workflow id, with bounded concurrency. A failed rotation is
 * recorded and the sweep goes on. The listing is paged in the workflow and the run continues as new
 * every `batchesPerRun` batches, carrying the page token and the counts.
 */
export async function rotateExpiringKeys(
  rawInput: RotateExpiringKeysInput,
  carried?: SweepProgress,
): Promise<RotateExpiringKeysResult> {
  const status: SweepStatus = { step: 'validating', run: (carried?.runs ?? 0) + 1, batch: 0, inFlight: [] };
  setHandler(sweepStatusQuery, () => status);
  const input = validInputOrFail(rotateExpiringKeysInput, rawInput, status);
  const progress: SweepProgress = carried ? { ...carried, runs: carried.runs + 1 } : freshProgress();
  status.progress = progress;
  const tally = progressTally(progress, input.maxDetails);

  try {
    for (let batch = 1; ; batch++) {
      status.batch = batch;
      status.step = 'selecting';
      const page = await selectBatch(input, progress.pageToken);
      progress.scanned += page.scanned;
      progress.notDue += page.notDue;
      progress.selected += page.candidates.length;
      for (const [reason, n] of Object.entries(page.skipped)) tally.skipped(reason, n);

      if (input.dryRun) {
        for (const c of page.candidates) tally.wouldRotate(c);
      } else {
        status.step = 'rotating';
        await rotateBatch(page.candidates, input, status, tally);
      }

      progress.pageToken = page.nextPageToken;
      if (!page.nextPageToken) break;
      if (batch >= input.batchesPerRun || workflowInfo().continueAsNewSuggested) {
        // Every child of this run has finished, so nothing is left behind by starting afresh.
        return await continueAsNew<typeof rotateExpiringKeys>(rawInput, progress);
      }
    }
  } catch (err) {
    status.step = 'failed';
    status.lastError = describeError(err);
    throw err;
  }

  status.step = 'completed';
  const { startedAt, pageToken: _done, ...counts } = progress;
  return {
    ...counts,
    dryRun: input.dryRun,
    startedAt: new Date(startedAt).toISOString(),
    completedAt: new Date().toISOString(),
  };
}

function freshProgress(): SweepProgress {
  return {
    startedAt: workflowInfo().startTime.getTime(),
    runs: 1,
    scanned: 0,
    notDue: 0,
    selected: 0,
    rotated: 0,
    failed: 0,
    skipped: {},
    rotatedKeys: [],
    failures: [],
    wouldRotate: [],
    detailsOmitted: { rotatedKeys: 0, failures: 0, wouldRotate: 0 },
  };
}

/** The next batch of candidates, from where the listing stopped. */
function selectBatch(input: RotateExpiringKeysRequest, pageToken: string | undefined) {
  return selectApiKeysForRotation({
    ...(pageToken ? { pageToken } : {}),
    pageSize: input.pageSize,
    batchSize: input.batchSize,
    maxPages: MAX_PAGES_PER_SELECTION,
    asOf: Date.now(),
    leadDays: input.leadDays,
    ...(input.maxAgeDays !== undefined ? { maxAgeDays: input.maxAgeDays } : {}),
    ...(input.ownerType ? { ownerType: input.ownerType } : {}),
    ...(input.serviceAccounts ? { serviceAccounts: input.serviceAccounts } : {}),
  });
}

/** Counts every outcome; keeps up to `maxDetails` entries of each list (the rest are counted as omitted). */
function progressTally(
  progress: SweepProgress,
  maxDetails: number,
): BatchReport & {
  wouldRotate(c: RotationCandidate): void;
} {
  const keep = <T>(list: T[], item: T, key: keyof SweepProgress['detailsOmitted']) => {
    if (list.length < maxDetails) list.push(item);
    else progress.detailsOmitted[key]++;
  };
  return {
    rotated: (r) => {
      progress.rotated++;
      keep(progress.rotatedKeys, r, 'rotatedKeys');
    },
    failed: (f) => {
      progress.failed++;
      keep(progress.failures, f, 'failures');
    },
    skipped: (reason, n = 1) => {
      progress.skipped[reason] = (progress.skipped[reason] ?? 0) + n;
    },
    wouldRotate: (c) => keep(progress.wouldRotate, c, 'wouldRotate'),
  };
}

interface BatchReport {
  rotated(r: SweepRotated): void;
  failed(f: SweepFailure): void;
  skipped(reason: string, n?: number): void;
}

/**
 * Rotates a batch: an owner's keys one after another (its rotations share one workflow id), different
 * owners in parallel up to `concurrency`.
 */
async function rotateBatch(
  candidates: RotationCandidate[],
  input: RotateExpiringKeysRequest,
  status: SweepStatus,
  report: BatchReport,
): Promise<void> {
  const byOwner = new Map<string, RotationCandidate[]>();
  for (const c of candidates) {
    const owner = `${c.ownerType}/${c.ownerId}`;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), c]);
  }
  await forEachLimited([...byOwner.values()], input.concurrency, async (keys) => {
    for (const c of keys) {
      const owner = { ownerId: c.ownerId, ownerType: c.ownerType };
      status.inFlight.push(c.keyId);
      try {
        const result = await rotateInChild(owner, {
          keyId: c.keyId,
          ...owner,
          expiryDays: input.expiryDays,
          gracePeriod: input.gracePeriod,
        });
        // Someone else is rotating this owner's key right now; the next sweep looks again.
        if (!result) report.skipped('rotation-in-progress');
        else if (result.outcome === 'aborted') report.skipped('aborted');
        else report.rotated({ keyId: c.keyId, newKeyId: result.newKeyId, ...owner });
      } catch (err) {
        report.failed({ keyId: c.keyId, ...owner, reason: describeError(err) });
      } finally {
        status.inFlight = status.inFlight.filter((id) => id !== c.keyId);
      }
    }
  });
}

export { forEachLimited } from '../shared/concurrency';
