import { createHash } from 'node:crypto';
import {
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowExecutionStatusName,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { InternalWorkflowStartOptionsSymbol } from '@temporalio/client/lib/internal';
import type { Workflow, WorkflowIdReusePolicy } from '@temporalio/common';

/**
 * Everything `client.workflow.start` takes except the conflict policy, which startOrAttach owns.
 * `workflowIdReusePolicy` defaults to REJECT_DUPLICATE (a finished run is attached to, never re-run);
 * recurring business keys pass ALLOW_DUPLICATE (attach only while running) or ALLOW_DUPLICATE_FAILED_ONLY.
 */
export type StartOrAttachOptions<T extends Workflow> = Omit<
  WorkflowStartOptions<T>,
  'workflowIdConflictPolicy'
> & {
  /**
   * The start request's id. Temporal answers a start whose request id is the one that started the workflow id's
   * latest run (running or closed) with that run, instead of starting another: the same request, sent twice (by two
   * replicas at once, or again after a crash), is one run whatever the reuse policy.
   */
  requestId?: string;
  /**
   * What makes two starts the same request, when not all of `args` (default `args`): e.g. the request without the
   * approval the front door added to it, so the same request from another requester joins the run.
   */
  sameRequest?: readonly unknown[];
  /**
   * Whether a closed run the reuse policy would answer with still holds (what it made is still there); false starts
   * a new run in its place. Default: it holds.
   */
  closedRunHolds?: (run: ClosedRun) => Promise<boolean>;
};

/** A closed run of the business key, as a start found it. */
export interface ClosedRun {
  runId: string;
  status: WorkflowExecutionStatusName;
  closeTime?: Date;
}

export interface StartOrAttachResult<T extends Workflow> {
  handle: WorkflowHandle<T>;
  /** True when this call started the run; false when it attached to one that already had the id. */
  started: boolean;
  runId: string;
  /** The run attached to, as described at attach time (only when `started` is false). */
  existing?: {
    status: WorkflowExecutionStatusName;
    startTime: Date;
    closeTime?: Date;
    /**
     * Whether that run was started with the same args; undefined when it was started without
     * startOrAttach (no fingerprint). Attaching to a run with other args means *this* request is
     * not what runs: callers should say so rather than report that run's outcome as theirs.
     */
    sameArgs?: boolean;
    /** That run's memo. */
    memo?: Record<string, unknown>;
  };
  /** The closed run that no longer held (see `closedRunHolds`): this call started a new run in its place. */
  replaced?: ClosedRun;
}

/** Memo key holding the sha256 of the canonical JSON of the start args. */
export const ARGS_FINGERPRINT_MEMO = 'argsSha256';

/** sha256 of the args as JSON with object keys sorted, so equal inputs match however they were built. */
export function argsFingerprint(args: readonly unknown[]): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(args)))
    .digest('hex');
}

/** The attached run has the workflow id but is a different workflow type. */
export class WorkflowIdTakenError extends Error {
  override readonly name = 'WorkflowIdTakenError';
  constructor(
    readonly workflowId: string,
    readonly existingType: string,
    readonly requestedType: string,
  ) {
    super(`workflow id ${workflowId} belongs to a ${existingType} workflow, not ${requestedType}`);
  }
}

/**
 * Starts `workflow` under a business-key id exactly once: if a run with that id exists — running, or
 * finished when the reuse policy forbids a new run (by default) — returns a handle to it instead.
 *
 * Why not `workflowIdConflictPolicy: 'USE_EXISTING'`: it attaches atomically, but the SDK drops the
 * response's `started` flag, so callers could not tell a new run from an attached one. FAIL plus
 * attach-on-WorkflowExecutionAlreadyStartedError gives the same outcome with an exact `started`.
 * No side effects besides the start itself (attaching only reads). The start records a fingerprint of
 * `args` in the memo, so a later attach can tell whether the existing run is the same request.
 */
export async function startOrAttach<T extends Workflow>(
  client: Client,
  workflow: T | string,
  options: StartOrAttachOptions<T>,
): Promise<StartOrAttachResult<T>> {
  const { requestId, sameRequest, closedRunHolds, ...startOptions } = options;
  const fingerprint = argsFingerprint(sameRequest ?? (startOptions.args as unknown[] | undefined) ?? []);
  const start = (reusePolicy: WorkflowIdReusePolicy) =>
    startUnlessTaken(client, workflow, {
      ...startOptions,
      memo: { ...startOptions.memo, [ARGS_FINGERPRINT_MEMO]: fingerprint },
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: reusePolicy,
      // The SDK's only way to set it (its Nexus helpers use the same); test/starters/start-or-attach.test.ts checks it.
      ...(requestId ? { [InternalWorkflowStartOptionsSymbol]: { requestId } } : {}),
    } as WorkflowStartOptions<T>);
  const handle = await start(startOptions.workflowIdReusePolicy ?? 'REJECT_DUPLICATE');
  if (handle) return { handle, started: true, runId: handle.firstExecutionRunId };
  const attached = await attach(client, workflow, options.workflowId, fingerprint);
  const found = attached.existing!;
  if (found.status === 'RUNNING' || !closedRunHolds) return attached;
  const closed: ClosedRun = {
    runId: attached.runId,
    status: found.status,
    ...(found.closeTime ? { closeTime: found.closeTime } : {}),
  };
  if (await closedRunHolds(closed)) return attached;
  // Started meanwhile by someone else (who found the same): join theirs.
  const fresh = await start('ALLOW_DUPLICATE');
  if (!fresh) return attach(client, workflow, options.workflowId, fingerprint);
  return { handle: fresh, started: true, runId: fresh.firstExecutionRunId, replaced: closed };
}

/** The new run's handle, or undefined when the id is taken (a running run, or a closed one the policy keeps). */
async function startUnlessTaken<T extends Workflow>(
  client: Client,
  workflow: T | string,
  options: WorkflowStartOptions<T>,
): Promise<WorkflowHandleWithFirstExecutionRunId<T> | undefined> {
  try {
    return await client.workflow.start<T>(workflow, options);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}

/** The run that blocked the start: the running run, or (when the reuse policy kept the id) the last closed one. */
async function attach<T extends Workflow>(
  client: Client,
  workflow: T | string,
  workflowId: string,
  fingerprint: string,
): Promise<StartOrAttachResult<T>> {
  const requestedType = typeof workflow === 'string' ? workflow : workflow.name;
  const info = await client.workflow.getHandle<T>(workflowId).describe();
  if (info.type !== requestedType) throw new WorkflowIdTakenError(workflowId, info.type, requestedType);
  const theirs = info.memo?.[ARGS_FINGERPRINT_MEMO];
  return {
    handle: client.workflow.getHandle<T>(workflowId, info.runId),
    started: false,
    runId: info.runId,
    existing: {
      status: info.status.name,
      startTime: info.startTime,
      ...(info.closeTime ? { closeTime: info.closeTime } : {}),
      ...(typeof theirs === 'string' ? { sameArgs: theirs === fingerprint } : {}),
      ...(info.memo ? { memo: info.memo } : {}),
    },
  };
}

const GRPC_INVALID_ARGUMENT = 3;

/**
 * The server's message when Temporal refused a call as invalid (gRPC INVALID_ARGUMENT, e.g. a workflow id over
 * the server's length limit), looking through the SDK's wrappers; undefined for any other error. Such a call
 * fails the same way every time, so callers answer "bad request", not "retry later".
 */
export function invalidArgumentMessage(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && e.code === GRPC_INVALID_ARGUMENT) {
      return e.details || e.message.replace(/^3 INVALID_ARGUMENT: /, '');
    }
  }
  return undefined;
}
