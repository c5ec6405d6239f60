// The one way a self-service request becomes a workflow run, shared by the signed events endpoint and the portal.
import { v5 as uuidv5 } from 'uuid';
import { REQUEST_MEMO } from '../shared/request-memo';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { WorkflowIdReusePolicy } from '@temporalio/common';
import type { z } from 'zod';
import { argsFingerprint, invalidArgumentMessage, startOrAttach, WorkflowIdTakenError } from '../client';
import type { Logger } from '../logger';
import { requestFacts, requiredApproval, type ApprovalPolicy } from '../policy/policy';
import type { Approval } from '../shared/approval';
import {
  decommissionNamespaceInput,
  offboardUserInput,
  provisionNamespaceInput,
  rotateApiKeyInput,
  validate,
  type InputProblem,
} from '../shared/validation';
import {
  accessWorkflowIds,
  workflowIdProblem,
  workflowIdReusePolicies,
  workflowIds,
} from '../shared/workflow-ids';
import { temporalReceipts, type Claim, type Receipts } from './receipts';

interface RequestKind {
  workflowType: string;
  schema: z.ZodType;
  /** The business key; a problem when the input lacks what the key needs. */
  workflowId(data: Record<string, unknown>): string | InputProblem;
  /** The field of `data` the key is made from, named when the id cannot be used. */
  keyField(data: Record<string, unknown>): string;
  /** The same policy as the CLI starter, so a request and a CLI start of the same key behave alike. */
  reusePolicy: WorkflowIdReusePolicy | undefined;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Request types (the events endpoint's `type`), each with the workflow it starts. */
export const REQUEST_KINDS = {
  'namespace.requested': {
    workflowType: 'provisionNamespace',
    schema: provisionNamespaceInput,
    workflowId: (d) => workflowIds.provisionNamespace(str(d.name)),
    keyField: () => 'name',
    reusePolicy: workflowIdReusePolicies.provisionNamespace,
  },
  'namespace.decommission.requested': {
    workflowType: 'decommissionNamespace',
    schema: decommissionNamespaceInput,
    workflowId: (d) => workflowIds.decommissionNamespace(str(d.name)),
    keyField: () => 'name',
    reusePolicy: workflowIdReusePolicies.decommissionNamespace,
  },
  'apikey.rotation.requested': {
    workflowType: 'rotateApiKey',
    schema: rotateApiKeyInput,
    // One rotation per owner at a time, so the owner must be known before starting (as in the CLI).
    workflowId: (d) =>
      d.ownerId === undefined || d.ownerType === undefined
        ? { field: 'ownerId', message: 'is required with ownerType: rotations are keyed by their owner' }
        : accessWorkflowIds.rotateApiKey(str(d.ownerType), str(d.ownerId)),
    keyField: () => 'ownerId',
    reusePolicy: workflowIdReusePolicies.rotateApiKey,
  },
  'user.offboarding.requested': {
    workflowType: 'offboardUser',
    schema: offboardUserInput,
    workflowId: (d) => accessWorkflowIds.offboardUser(str(d.email) || str(d.userId)),
    keyField: (d) => (str(d.email) ? 'email' : 'userId'),
    reusePolicy: workflowIdReusePolicies.offboardUser,
  },
} satisfies Record<string, RequestKind>;

export type RequestType = keyof typeof REQUEST_KINDS;
export const REQUEST_TYPES = Object.keys(REQUEST_KINDS) as RequestType[];
/** Workflow types a request can start. */
export const REQUEST_WORKFLOW_TYPES = new Set<string>(
  Object.values(REQUEST_KINDS).map((r) => r.workflowType),
);

export { REQUEST_MEMO };

export type RequestSource = 'events' | 'portal';

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

export function createIntake(opts: IntakeOptions): Intake {
  const log = opts.logger.child({ component: 'intake' });
  const receipts = opts.receipts ?? temporalReceipts(opts.client, opts.taskQueue);

  /** The request's validated input and the policy's answer for it, or its problems. */
  function assess(
    { type, data }: Omit<IntakeRequest, 'id'>,
    requester: Requester,
  ): { ok: true; approval: Approval } | { ok: false; problems: InputProblem[] } {
    // The policy decides who approves; a request that tries to say it is refused, not quietly overruled.
    if (Object.hasOwn(data, 'approval')) {
      return { ok: false, problems: [{ field: 'approval', message: APPROVAL_IS_THE_POLICYS }] };
    }
    const kind: RequestKind = REQUEST_KINDS[type];
    const checked = validate(kind.schema, data);
    if (!checked.ok) return checked;
    const facts = requestFacts(opts.policy, kind.workflowType, checked.value as Record<string, unknown>)!;
    const requestedBy =
      requester.requestedBy ?? (requester.source === 'events' ? EVENTS_REQUESTER : requester.source);
    return { ok: true, approval: requiredApproval(opts.policy, facts, { ...requester, requestedBy }) };
  }

  async function submit({ id, type, data }: IntakeRequest, requester: Requester): Promise<IntakeOutcome> {
    const kind: RequestKind = REQUEST_KINDS[type];
    const assessed = assess({ type, data }, requester);
    if (!assessed.ok) return { kind: 'invalid', problems: assessed.problems };
    const workflowId = kind.workflowId(data);
    if (typeof workflowId !== 'string') return { kind: 'invalid', problems: [workflowId] };
    const keyField = kind.keyField(data);
    const idProblem = workflowIdProblem(workflowId);
    if (idProblem) return { kind: 'invalid', problems: [{ field: keyField, message: idProblem }] };
    const fingerprint = argsFingerprint([type, data]);
    const unavailable = (err: unknown): IntakeOutcome => {
      log.error({ err, eventId: id, workflowId }, 'could not start workflow');
      return {
        kind: 'unavailable',
        workflowId,
        message: 'could not start the workflow; Temporal may be unreachable, retry later',
      };
    };

    // The id is claimed atomically in Temporal: of concurrent deliveries, wherever they land, one claims it.
    let claim: Claim;
    try {
      claim = await receipts.claim(id, { fingerprint, type, workflowId });
    } catch (err) {
      return unavailable(err);
    }
    const voidReceipt = async (reason: string) => {
      // The request started nothing: a corrected one may use the id again.
      await receipts.void(id, claim.runId, reason).catch((err: unknown) => {
        log.warn({ err, eventId: id }, 'could not void the request receipt; the id stays taken');
      });
    };
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
        const runId = await runStartedBy(opts.client, workflowId, id);
        if (runId) return { kind: 'duplicate', workflowId, runId };
      } catch (err) {
        return unavailable(err);
      }
    }

    try {
      const result = await startOrAttach(opts.client, kind.workflowType, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [{ ...data, approval: assessed.approval }],
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
        ...(kind.reusePolicy ? { workflowIdReusePolicy: kind.reusePolicy } : {}),
      });
      if (!result.started && result.existing?.sameArgs === false) {
        await voidReceipt('the business key runs another request');
        return {
          kind: 'conflict',
          error: 'conflict',
          workflowId,
          message:
            `${workflowId} is already ${result.existing.status.toLowerCase()} with a different request; ` +
            'this one was not started (send it again once that run has finished, if it may run again)',
        };
      }
      // This request's run: started now, or by a concurrent delivery of it.
      const own = result.started || result.existing?.memo?.[REQUEST_MEMO.eventId] === id;
      log.info(
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
      if (!own) {
        return { kind: 'attached', workflowId, runId: result.runId, status: result.existing?.status };
      }
      // The delivery that claimed the id answers "started"; any other one is a re-delivery.
      return claim.kind === 'claimed'
        ? { kind: 'started', workflowId, runId: result.runId }
        : { kind: 'duplicate', workflowId, runId: result.runId };
    } catch (err) {
      if (err instanceof WorkflowIdTakenError) {
        await voidReceipt('the business key belongs to another workflow type');
        return { kind: 'conflict', error: 'conflict', workflowId, message: err.message };
      }
      // Temporal refused the request itself (e.g. a lower id limit than ours): retrying will not help.
      const refused = invalidArgumentMessage(err);
      if (refused !== undefined) {
        await voidReceipt('Temporal refused the start as invalid');
        log.warn({ eventId: id, workflowId, reason: refused }, 'Temporal rejected the start as invalid');
        const field = /workflow ?id/i.test(refused) ? keyField : '';
        return { kind: 'invalid', problems: [{ field, message: `Temporal rejected it: ${refused}` }] };
      }
      return unavailable(err);
    }
  }

  return { submit };
}

const APPROVAL_IS_THE_POLICYS =
  "is decided by the server's approval policy (who asked, who may approve); leave it out of the request";

/** The run `eventId` started under `workflowId`: its latest run, or an older one (from the visibility list). */
async function runStartedBy(
  client: Client,
  workflowId: string,
  eventId: string,
): Promise<string | undefined> {
  try {
    const info = await client.workflow.getHandle(workflowId).describe();
    if (info.memo?.[REQUEST_MEMO.eventId] === eventId) return info.runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  // The key has had newer runs since (a rotation or an offboarding recurs): look through its runs.
  const query = `WorkflowId = '${workflowId.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for await (const run of client.workflow.list({ query, pageSize: 100 })) {
    if (run.memo?.[REQUEST_MEMO.eventId] === eventId) return run.runId;
  }
  return undefined;
}
