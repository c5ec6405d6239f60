import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { asyncOperationIdFor, OpsApiError } from '../ops-api';
import type { AsyncOperation, AsyncOperationResponse, DeleteParams, OpsApiClient } from '../ops-api';
import { FailureType } from '../shared/failure-types';

/** Activities that are one client call, as it is (the reads): each named like its operation. */
export function clientCalls<K extends keyof OpsApiClient>(
  client: OpsApiClient,
  ...names: K[]
): Pick<OpsApiClient, K> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      (...args: unknown[]) => (client[name] as (...a: unknown[]) => unknown)(...args),
    ]),
  ) as Pick<OpsApiClient, K>;
}

/** Heartbeats when running as an activity; a no-op when called directly (tests, scripts). */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not inside an activity.
  }
}

/** This activity's attempt number; 1 when called directly (tests, scripts). */
export function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** The operation an earlier attempt of this step started under its own id, or undefined if none committed. */
export async function findOwnOperation(
  client: OpsApiClient,
  asyncOperationId: string,
): Promise<AsyncOperation | undefined> {
  try {
    return await client.getAsyncOperation(asyncOperationId);
  } catch (err) {
    if (await isConfirmedNotFound(err, client)) return undefined;
    throw err;
  }
}

/**
 * The API's own "no such resource" — never a proxy's 404 (that is a misconfiguration already), and not a
 * gateway's "no such route" either: a "not found" is believed only while a route that always exists
 * still answers, so a wrong base path can never make a resource look gone.
 */
export async function isConfirmedNotFound(err: unknown, client: OpsApiClient): Promise<boolean> {
  if (!isNotFound(err)) return false;
  await client.proveRoutes(); // a wrong route fails here as OpsApiMisconfigured
  return true;
}

/**
 * The API refused the request as it stands, with its own error: a client error, whatever its code. Which
 * code answers a taken name, a reused async operation id or a stale resourceVersion is documented nowhere
 * (ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION, INVALID_ARGUMENT are all plausible), so nothing keys on
 * it: a refused change is followed by a read, and what the read shows decides.
 */
export function isClientError(err: unknown): err is OpsApiError {
  const status = err instanceof OpsApiError ? (err.status ?? 0) : 0;
  return err instanceof OpsApiError && err.kind === 'http' && !err.retryable && status >= 400 && status < 500;
}

/**
 * Whether `err` is a server refusing to repeat this step's own committed mutation (servers that replay a
 * reused async operation id answer it instead; one that refuses may use any code). Then the change is
 * done, by this step: its operation exists.
 */
export async function isOwnRepeat(
  err: unknown,
  client: OpsApiClient,
  asyncOperationId: string,
): Promise<boolean> {
  return isClientError(err) && (await findOwnOperation(client, asyncOperationId)) !== undefined;
}

/** What a fresh read says of a refused change (see judgeRefusal). */
export type RefusalVerdict = 'as-wanted' | 'moved' | 'stands';

/**
 * After a change based on the version `sent` was refused with a client error (any code), what a fresh read
 * says: `as-wanted` — at rest and already as the change wants (`asWanted`), so the change has nothing left to
 * do: the API refused a change that changes nothing ("nothing to change"), or someone made the same change
 * first; `moved` — another version, or a change of its own running, so reading again and retrying can
 * succeed; `stands` — as it was (the refusal is about the request), gone, or not this API's refusal.
 */
export async function judgeRefusal<R extends { resourceVersion: string; state: string }>(
  err: unknown,
  sent: { resourceVersion: string },
  read: () => Promise<R>,
  asWanted: (now: R) => boolean = () => false,
): Promise<RefusalVerdict> {
  if (!isClientError(err)) return 'stands';
  let now;
  try {
    now = await read();
  } catch (readErr) {
    // A read that may succeed later decides nothing yet: the attempt is retried as a whole.
    if (readErr instanceof OpsApiError && readErr.retryable) throw readErr;
    return 'stands';
  }
  if (TRANSITIONAL_STATES.has(now.state)) return 'moved';
  if (asWanted(now)) return 'as-wanted';
  return now.resourceVersion !== sent.resourceVersion ? 'moved' : 'stands';
}

/**
 * Create-or-adopt of a resource with a unique name: the create itself is the lookup. A refusal (any client
 * error: a taken name need not be ALREADY_EXISTS) falls back to `find`; what is found is this step's own
 * only if the step's operation exists (an earlier attempt committed and lost its answer) — otherwise
 * someone else made it, and `adopt` decides whether it will do (it throws, naming it, when it will not).
 * Nothing found: the refusal stands. Clocks play no part.
 */
export async function createOrAdopt<R, T>(
  client: OpsApiClient,
  operationKey: string,
  steps: {
    create(asyncOperationId: string): Promise<T>;
    find(): Promise<R | undefined>;
    ours(existing: R, asyncOperationId: string): T;
    adopt(existing: R): T;
  },
): Promise<T> {
  const asyncOperationId = asyncOperationIdFor(operationKey);
  try {
    return await steps.create(asyncOperationId);
  } catch (err) {
    if (!isClientError(err)) throw err;
    const existing = await steps.find();
    // Gone again between the two calls: let the activity retry decide afresh.
    if (existing === undefined) throw err;
    if (await findOwnOperation(client, asyncOperationId)) return steps.ours(existing, asyncOperationId);
    return steps.adopt(existing);
  }
}

export interface DeleteResult {
  /**
   * `unreadable`: the resource answered NOT_FOUND or PERMISSION_DENIED although this run has made no delete of
   * it — as a resource just created does for a while — so it is not known to be gone: the caller waits until it
   * reads (see deleteUntilGone in src/workflows/common.ts) and asks again.
   */
  outcome: 'deleting' | 'already-gone' | 'unreadable';
  asyncOperationId?: string;
  /**
   * Whether this step's own delete (its operation key) is what removes or removed the resource: false
   * when it was gone before, or is being deleted by someone else's operation.
   */
  byThisRun: boolean;
  /** What an `unreadable` resource answered. */
  unreadable?: UnreadableCode;
}

/** The answers a resource gives while it cannot be read yet (read-after-create lag; see docs/real-service.md). */
export type UnreadableCode = 'not_found' | 'permission_denied';

/** What answered in place of the resource, when it is one of the read-after-create lag's answers. */
export async function unreadableCode(
  err: unknown,
  client: OpsApiClient,
): Promise<UnreadableCode | undefined> {
  if (err instanceof OpsApiError && err.code === 'permission_denied') return 'permission_denied';
  return (await isConfirmedNotFound(err, client)) ? 'not_found' : undefined;
}

/** What every delete activity takes besides the resource's id. */
export interface DeleteInput {
  /** This step's operation key: its own delete proves the resource gone. */
  operationKey: string;
  /**
   * Believe a NOT_FOUND: the caller knows the resource is not just being created (its create operation failed, or
   * it stayed NOT_FOUND for the whole read-after-create window).
   */
  absentIsGone?: boolean;
  /**
   * The resourceVersion a recent read or list showed: the delete is sent with it straight away, without reading
   * the resource first. A refusal (stale version, or a resource not at rest) falls back to read-then-delete.
   */
  resourceVersion?: string;
}

/** What a delete needs to know of the resource it deletes. */
export interface Deletable {
  resourceVersion: string;
  state: string;
  asyncOperationId?: string;
}

const GONE_STATES = new Set(['deleted']);
/** States a resource leaves on its own (its operation is running). */
export const TRANSITIONAL_STATES: ReadonlySet<string> = new Set([
  'activating',
  'updating',
  'deleting',
  'pending',
]);

/**
 * A delete that is safe to repeat: a resource still being created or changed is retried (by the activity's retry
 * policy) until it can be deleted. It reads the resource first and sends the `resourceVersion` it read, as the real
 * API expects. Who deleted it is proven by the operation id, never guessed: a 404 after this step's own operation
 * committed (its response lost, or the worker killed) is still this run's delete. "Gone" needs proof too: a read
 * that shows the resource deleted, or NOT_FOUND after this step's own delete; any other NOT_FOUND or
 * PERMISSION_DENIED is `unreadable` (a resource just created answers so for a while).
 */
export async function deleteIfExists(
  what: string,
  client: OpsApiClient,
  operationKey: string,
  read: () => Promise<Deletable>,
  call: (params: DeleteParams) => Promise<AsyncOperationResponse>,
  /** The caller has its own proof that a NOT_FOUND is true (see DeleteInput.absentIsGone). */
  absentIsGone = false,
  /** A version a recent read showed (see DeleteInput.resourceVersion). */
  knownVersion?: string,
): Promise<DeleteResult> {
  const own = asyncOperationIdFor(operationKey);
  const absent = async (code: UnreadableCode): Promise<DeleteResult> => {
    if ((await findOwnOperation(client, own)) !== undefined)
      return { outcome: 'already-gone', byThisRun: true };
    if (code === 'not_found' && absentIsGone) return { outcome: 'already-gone', byThisRun: false };
    return { outcome: 'unreadable', byThisRun: false, unreadable: code };
  };
  // This step's delete sent with `resourceVersion`: its outcome, or the refusal left to judge.
  const send = async (resourceVersion: string): Promise<DeleteResult | { refused: unknown }> => {
    try {
      const { asyncOperationId } = await call({ asyncOperationId: own, resourceVersion });
      return { outcome: 'deleting', asyncOperationId, byThisRun: asyncOperationId === own };
    } catch (err) {
      if (await isOwnRepeat(err, client, own))
        return { outcome: 'deleting', asyncOperationId: own, byThisRun: true };
      const code = await unreadableCode(err, client);
      return code ? absent(code) : { refused: err };
    }
  };
  if (knownVersion) {
    const sent = await send(knownVersion);
    if (!('refused' in sent)) return sent;
    // Changed since that read, or not at rest: the read below decides, as for a delete without a version.
    if (!isClientError(sent.refused)) throw sent.refused;
  }
  let current: Deletable;
  try {
    current = await read();
  } catch (err) {
    const code = await unreadableCode(err, client);
    if (code) return absent(code);
    throw err;
  }
  if (GONE_STATES.has(current.state)) {
    return { outcome: 'already-gone', byThisRun: (await findOwnOperation(client, own)) !== undefined };
  }
  if (current.state === 'deleting' && current.asyncOperationId) {
    const id = current.asyncOperationId;
    return { outcome: 'deleting', asyncOperationId: id, byThisRun: id === own };
  }
  const sent = await send(current.resourceVersion);
  if (!('refused' in sent)) return sent;
  const err = sent.refused;
  // Changed since the read, or refused while it is still being created or changed: read again and
  // retry. A refusal of a resource at rest (e.g. an account that still has keys) will not pass by waiting.
  if ((await judgeRefusal(err, current, read)) === 'moved') {
    throw ApplicationFailure.create({
      type: FailureType.ResourceNotReady,
      message: `${what} cannot be deleted yet: ${(err as Error).message}`,
      nextRetryDelay: 2_000,
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  throw err;
}

/** The API's own "no such resource" (never a proxy's 404: that is a misconfiguration). */
export function isNotFound(err: unknown): boolean {
  return err instanceof OpsApiError && err.code === 'not_found';
}
