// The one way a self-service request becomes a workflow run, shared by the signed events endpoint and the portal.
import { v5 as uuidv5 } from 'uuid';
import type { Client } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { REQUEST_KINDS, type RequestKind, type RequestType } from '../catalog';
import {
  argsFingerprint,
  describeIfThere,
  invalidArgumentMessage,
  startOrAttach,
  WorkflowIdTakenError,
  type StartOrAttachResult,
} from '../client';
import type { Logger } from '../logger';
import { requiredApproval, type ApprovalPolicy, type RequestSource as PolicySource } from '../policy/policy';
import type { Approval } from '../shared/approval';
import { REQUEST_MEMO } from '../shared/request-memo';
import { validate, type InputProblem } from '../shared/validation';
import { workflowIdProblem } from '../shared/workflow-ids';
import { finishedRunCheck } from './finished-run-check';
import { temporalReceipts, type Claim, type Receipts } from './receipts';

/** Where a request through the intake comes from (the policy knows the starters' `cli` too). */
export type RequestSource = Exclude<PolicySource, 'cli'>;

/** Who a signed event's run records as its requester: no person signs in with that name (it has a space). */
export const EVENTS_REQUESTER = 'signed event';

export interface IntakeRequest {
  /** Idempotency key: the event id, or the portal form's id. The same id with the same body is one request. */
  id: string;
  type: RequestType;
  data: Record<string, unknown>;
}

export interface Requester {
  source: RequestSource;
  requestedBy?: string;
}

export type IntakeOutcome =
  /** This request started the run. */
  | { kind: 'started'; workflowId: string; runId: string }
  /** The same request id again: the run it started. */
  | { kind: 'duplicate'; workflowId: string; runId: string }
  /** The business key already has a run with the same input. */
  | { kind: 'attached'; workflowId: string; runId: string; status: string | undefined }
  /** Fields are paths within `data` ('' = the whole of it). Nothing was started. */
  | { kind: 'invalid'; problems: InputProblem[] }
  | { kind: 'conflict'; error: 'event_id_reused' | 'conflict'; workflowId?: string; message: string }
  | { kind: 'unavailable'; workflowId: string; message: string };

export interface Intake {
  submit(request: IntakeRequest, requester: Requester): Promise<IntakeOutcome>;
}

export interface IntakeOptions {
  client: Client;
  taskQueue: string;
  logger: Logger;
  /** Default: receipts in Temporal (./receipts.ts). */
  receipts?: Receipts;
  /** Who must approve what; its answer goes into every run's input. */
  policy: ApprovalPolicy;
}

/** Fixed namespace of the start requests' ids: one id per request id and body. */
const START_REQUEST_NAMESPACE = 'a4b7c0d2-3e5f-4a6b-8c9d-0e1f2a3b4c5d';

const APPROVAL_IS_THE_POLICYS =
  "is decided by the server's approval policy (who asked, who may approve); leave it out of the request";

interface Context {
  client: Client;
  taskQueue: string;
  log: Logger;
  receipts: Receipts;
  policy: ApprovalPolicy;
}

/** A valid request: its kind, business key and the policy's answer. */
interface Assessed {
  kind: RequestKind;
  workflowId: string;
  keyField: string;
  approval: Approval;
}

export function createIntake(opts: IntakeOptions): Intake {
  const ctx: Context = {
    client: opts.client,
    taskQueue: opts.taskQueue,
    log: opts.logger.child({ component: 'intake' }),
    receipts: opts.receipts ?? temporalReceipts(opts.client, opts.taskQueue),
    policy: opts.policy,
  };
  return { submit: (request, requester) => submit(ctx, request, requester) };
}

/** The request's kind, business key and the policy's answer for it, or its problems. */
function assess(
  ctx: Context,
  { type, data }: Omit<IntakeRequest, 'id'>,
  requester: Requester,
): Assessed | InputProblem[] {
  // The policy decides who approves; a request that tries to say it is refused, not quietly overruled.
  if (Object.hasOwn(data, 'approval')) return [{ field: 'approval', message: APPROVAL_IS_THE_POLICYS }];
  const kind = REQUEST_KINDS[type];
  const checked = validate(kind.schema, data);
  if (!checked.ok) return checked.problems;
  const keyProblem = kind.keyProblem?.(data);
  if (keyProblem) return [keyProblem];
  const workflowId = kind.workflowId(data);
  const keyField = kind.keyField?.(data) ?? 'name';
  const idProblem = workflowIdProblem(workflowId);
  if (idProblem) return [{ field: keyField, message: idProblem }];
  const facts = kind.approval?.facts(ctx.policy, checked.value) ?? { kinds: [], namespaces: [] };
  const requestedBy =
    requester.requestedBy ?? (requester.source === 'events' ? EVENTS_REQUESTER : requester.source);
  const approval = requiredApproval(ctx.policy, facts, { ...requester, requestedBy });
  return { kind, workflowId, keyField, approval };
}

async function submit(ctx: Context, request: IntakeRequest, requester: Requester): Promise<IntakeOutcome> {
  const assessed = assess(ctx, request, requester);
  if (Array.isArray(assessed)) return { kind: 'invalid', problems: assessed };
  const { id, type, data } = request;
  const { workflowId } = assessed;
  const fingerprint = argsFingerprint([type, data]);
  // The id is claimed atomically in Temporal: of concurrent deliveries, wherever they land, one claims it.
  let claim: Claim;
  try {
    claim = await ctx.receipts.claim(id, { fingerprint, type, workflowId });
  } catch (err) {
    return unavailable(ctx, id, workflowId, err);
  }
  if (claim.kind === 'seen') {
    if (claim.receipt.fingerprint !== fingerprint) {
      return {
        kind: 'conflict',
        error: 'event_id_reused',
        message: `event ${id} was already delivered with a different body; use a new id for a new request`,
      };
    }
    // A re-delivery: the run it started, if any (an earlier delivery may have crashed before starting it).
    try {
      const runId = await runStartedBy(ctx.client, workflowId, id);
      if (runId) return { kind: 'duplicate', workflowId, runId };
    } catch (err) {
      return unavailable(ctx, id, workflowId, err);
    }
  }
  try {
    return await start(ctx, request, requester, assessed, claim, fingerprint);
  } catch (err) {
    return refused(ctx, request, assessed, claim, err);
  }
}

async function start(
  ctx: Context,
  { id, type, data }: IntakeRequest,
  requester: Requester,
  { kind, workflowId, approval }: Assessed,
  claim: Claim,
  fingerprint: string,
): Promise<IntakeOutcome> {
  const closedRunHolds = finishedRunCheck({
    client: ctx.client,
    kind,
    input: data,
    taskQueue: ctx.taskQueue,
    onGone: (subject, run) =>
      ctx.log.info(
        { eventId: id, workflowId, previousRunId: run.runId },
        `${subject} is gone: starting anew`,
      ),
    onUnknown: (subject, err) => ctx.log.warn({ err, eventId: id, workflowId }, `could not check ${subject}`),
  });
  const result = await startOrAttach(ctx.client, kind.workflowType, {
    workflowId,
    taskQueue: ctx.taskQueue,
    args: [{ ...data, approval }],
    // The same request from someone else joins this run (whose requester and approvers stay as recorded).
    sameRequest: [data],
    memo: {
      [REQUEST_MEMO.eventId]: id,
      [REQUEST_MEMO.eventType]: type,
      [REQUEST_MEMO.source]: requester.source,
      ...(requester.requestedBy ? { [REQUEST_MEMO.requestedBy]: requester.requestedBy } : {}),
    },
    // Deliveries racing on two replicas send the same start request: Temporal makes it one run.
    requestId: uuidv5(`${id}\n${fingerprint}`, START_REQUEST_NAMESPACE),
    workflowIdReusePolicy: kind.reusePolicy,
    ...(closedRunHolds ? { closedRunHolds } : {}),
  });
  if (!result.started && result.existing?.sameArgs === false) {
    await voidReceipt(ctx, id, claim, 'the business key runs another request');
    return {
      kind: 'conflict',
      error: 'conflict',
      workflowId,
      message:
        `${workflowId} is already ${result.existing.status.toLowerCase()} with a different request; ` +
        'this one was not started (send it again once that run has finished, if it may run again)',
    };
  }
  ctx.log.info(
    {
      eventId: id,
      eventType: type,
      source: requester.source,
      requestedBy: requester.requestedBy,
      workflowId,
      runId: result.runId,
      started: result.started,
    },
    'request accepted',
  );
  return accepted(result, id, workflowId, claim);
}

/** Started, joined, or this request's own run again. */
function accepted(
  result: StartOrAttachResult<Workflow>,
  id: string,
  workflowId: string,
  claim: Claim,
): IntakeOutcome {
  // This request's run: started now, or by a concurrent delivery of it.
  const own = result.started || result.existing?.memo?.[REQUEST_MEMO.eventId] === id;
  if (!own) return { kind: 'attached', workflowId, runId: result.runId, status: result.existing?.status };
  // The delivery that claimed the id answers "started"; any other one is a re-delivery.
  return claim.kind === 'claimed'
    ? { kind: 'started', workflowId, runId: result.runId }
    : { kind: 'duplicate', workflowId, runId: result.runId };
}

/** A start that failed: the id belongs to another workflow type, Temporal refused it, or Temporal is unreachable. */
async function refused(
  ctx: Context,
  { id }: IntakeRequest,
  { workflowId, keyField }: Assessed,
  claim: Claim,
  err: unknown,
): Promise<IntakeOutcome> {
  if (err instanceof WorkflowIdTakenError) {
    await voidReceipt(ctx, id, claim, 'the business key belongs to another workflow type');
    return { kind: 'conflict', error: 'conflict', workflowId, message: err.message };
  }
  // Temporal refused the request itself (e.g. a lower id limit than ours): retrying will not help.
  const reason = invalidArgumentMessage(err);
  if (reason === undefined) return unavailable(ctx, id, workflowId, err);
  await voidReceipt(ctx, id, claim, 'Temporal refused the start as invalid');
  ctx.log.warn({ eventId: id, workflowId, reason }, 'Temporal rejected the start as invalid');
  const field = /workflow ?id/i.test(reason) ? keyField : '';
  return { kind: 'invalid', problems: [{ field, message: `Temporal rejected it: ${reason}` }] };
}

function unavailable(ctx: Context, eventId: string, workflowId: string, err: unknown): IntakeOutcome {
  ctx.log.error({ err, eventId, workflowId }, 'could not start workflow');
  return {
    kind: 'unavailable',
    workflowId,
    message: 'could not start the workflow; Temporal may be unreachable, retry later',
  };
}

/** The request started nothing: a corrected one may use the id again. */
async function voidReceipt(ctx: Context, id: string, claim: Claim, reason: string): Promise<void> {
  await ctx.receipts.void(id, claim.runId, reason).catch((err: unknown) => {
    ctx.log.warn({ err, eventId: id }, 'could not void the request receipt; the id stays taken');
  });
}

/** The run `eventId` started under `workflowId`: its latest run, or an older one (from the visibility list). */
async function runStartedBy(
  client: Client,
  workflowId: string,
  eventId: string,
): Promise<string | undefined> {
  const info = await describeIfThere(client, workflowId);
  if (!info) return undefined;
  if (info.memo?.[REQUEST_MEMO.eventId] === eventId) return info.runId;
  // The key has had newer runs since (a rotation or an offboarding recurs): look through its runs.
  const query = `WorkflowId = '${workflowId.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for await (const run of client.workflow.list({ query, pageSize: 100 })) {
    if (run.memo?.[REQUEST_MEMO.eventId] === eventId) return run.runId;
  }
  return undefined;
}
