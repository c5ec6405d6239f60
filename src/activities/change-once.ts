// One read-merge-send change under the step's own operation id, safe to repeat (desired state's updates).
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { asyncOperationIdFor, OpsApiError } from '../ops-api';
import type { AsyncOperationResponse, OpsApiClient } from '../ops-api';
import { FailureType } from '../shared/failure-types';
import { findOwnOperation, isOwnRepeat, judgeRefusal } from './util';

/** A change raced with another one (a stale version): read again on the next attempt. */
export const raced = (what: string, err: OpsApiError) =>
  ApplicationFailure.create({
    type: FailureType.ResourceNotReady,
    message: `${what} changed while this change was being made (${err.message}); reading it again`,
    nextRetryDelay: 1_000,
    category: ApplicationFailureCategory.BENIGN,
  });

/** What an update step did: started its change (wait for the operation), or found nothing to change. */
export type ChangeResult = ({ changed: true } & AsyncOperationResponse) | { changed: false };

/**
 * One update under this step's own operation id, as read-merge-send: the whole spec as read goes back
 * with the change. A refusal (any client error) is followed by a read: this step's own operation means
 * done; a resource already as the change wants (`asWanted`) means nothing to change — the API refuses a
 * change that changes nothing; a resource that moved on since the read means a race (read again, retry);
 * otherwise it stands. `send` may find nothing to send (undefined): nothing to change either.
 */
export async function changeOnce<R extends { resourceVersion: string; state: string }>(
  client: OpsApiClient,
  operationKey: string,
  what: string,
  read: () => Promise<R>,
  send: (current: R, asyncOperationId: string) => Promise<AsyncOperationResponse | undefined>,
  asWanted: (now: R) => boolean,
): Promise<ChangeResult> {
  const asyncOperationId = asyncOperationIdFor(operationKey);
  // An earlier attempt committed (its answer lost): re-reading now would send a different request.
  if (await findOwnOperation(client, asyncOperationId)) return { changed: true, asyncOperationId };
  const current = await read();
  try {
    const started = await send(current, asyncOperationId);
    return started ? { changed: true, ...started } : { changed: false };
  } catch (err) {
    if (await isOwnRepeat(err, client, asyncOperationId)) return { changed: true, asyncOperationId };
    const verdict = await judgeRefusal(err, current, read, asWanted);
    if (verdict === 'as-wanted') return { changed: false };
    if (verdict === 'moved') throw raced(what, err as OpsApiError);
    throw err;
  }
}
