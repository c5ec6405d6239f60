// The one way a self-service request becomes a workflow run, shared by the signed events endpoint and the portal:
// validated with the workflow's own schema, started under its business-key id with the starters' reuse policy,
// deduplicated by request id (a re-delivery or a double submit answers with the run it started), and tagged in
// the memo with where it came from and who asked.
import { REQUEST_MEMO } from '../shared/request-memo';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { WorkflowIdReusePolicy } from '@temporalio/common';
import type { z } from 'zod';
import { argsFingerprint, invalidArgumentMessage, startOrAttach, WorkflowIdTakenError } from '../client';
import type { Logger } from '../logger';
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
import type { EventStore } from './event-store';

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
  store: EventStore;
  logger: Logger;
}

export function createIntake(opts: IntakeOptions): Intake {
  const log = opts.logger.child({ component: 'intake' });

  // Deliveries of one request id are handled one after another, so concurrent duplicates see the first's outcome.
  const inFlight = new Map<string, Promise<unknown>>();
  const serially = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const previous = inFlight.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(fn);
    inFlight.set(key, current);
    try {
      return await current;
    } finally {
      if (inFlight.get(key) === current) inFlight.delete(key);
    }
  };

  async function submit({ id, type, data }: IntakeRequest, requester: Requester): Promise<IntakeOutcome> {
    const kind: RequestKind = REQUEST_KINDS[type];
    const checked = validate(kind.schema, data);
    if (!checked.ok) return { kind: 'invalid', problems: checked.problems };
    const workflowId = kind.workflowId(data);
    if (typeof workflowId !== 'string') return { kind: 'invalid', problems: [workflowId] };
    const keyField = kind.keyField(data);
    const idProblem = workflowIdProblem(workflowId);
    if (idProblem) return { kind: 'invalid', problems: [{ field: keyField, message: idProblem }] };
    const fingerprint = argsFingerprint([type, data]);

    return serially(id, async (): Promise<IntakeOutcome> => {
      const seen = opts.store.get(id);
      if (seen && seen.fingerprint !== fingerprint) {
        return {
          kind: 'conflict',
          error: 'event_id_reused',
          message: `event ${id} was already delivered with a different body; use a new id for a new request`,
        };
      }
      if (seen?.runId) return { kind: 'duplicate', workflowId, runId: seen.runId };
      if (seen) {
        // An earlier delivery recorded the request but crashed before recording its run: find that run by memo.
        const runId = await runStartedBy(opts.client, seen.workflowId, id);
        if (runId) {
          await opts.store.put({ ...seen, runId });
          return { kind: 'duplicate', workflowId, runId };
        }
      } else {
        await opts.store.put({ eventId: id, fingerprint, type, workflowId, at: Date.now() });
      }

      try {
        const result = await startOrAttach(opts.client, kind.workflowType, {
          workflowId,
          taskQueue: opts.taskQueue,
          args: [data],
          memo: {
            [REQUEST_MEMO.eventId]: id,
            [REQUEST_MEMO.eventType]: type,
            [REQUEST_MEMO.source]: requester.source,
            ...(requester.requestedBy ? { [REQUEST_MEMO.requestedBy]: requester.requestedBy } : {}),
          },
          ...(kind.reusePolicy ? { workflowIdReusePolicy: kind.reusePolicy } : {}),
        });
        if (!result.started && result.existing?.sameArgs === false) {
          await opts.store.delete(id);
          return {
            kind: 'conflict',
            error: 'conflict',
            workflowId,
            message:
              `${workflowId} is already ${result.existing.status.toLowerCase()} with a different request; ` +
              'this one was not started (send it again once that run has finished, if it may run again)',
          };
        }
        await opts.store.put({
          eventId: id,
          fingerprint,
          type,
          workflowId,
          runId: result.runId,
          at: Date.now(),
        });
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
        return result.started
          ? { kind: 'started', workflowId, runId: result.runId }
          : { kind: 'attached', workflowId, runId: result.runId, status: result.existing?.status };
      } catch (err) {
        await opts.store.delete(id);
        if (err instanceof WorkflowIdTakenError) {
          return { kind: 'conflict', error: 'conflict', workflowId, message: err.message };
        }
        // Temporal refused the request itself (e.g. a lower id limit than ours): retrying will not help.
        const refused = invalidArgumentMessage(err);
        if (refused !== undefined) {
          log.warn({ eventId: id, workflowId, reason: refused }, 'Temporal rejected the start as invalid');
          const field = /workflow ?id/i.test(refused) ? keyField : '';
          return { kind: 'invalid', problems: [{ field, message: `Temporal rejected it: ${refused}` }] };
        }
        log.error({ err, eventId: id, workflowId }, 'could not start workflow');
        return {
          kind: 'unavailable',
          workflowId,
          message: 'could not start the workflow; Temporal may be unreachable, retry later',
        };
      }
    });
  }

  return { submit };
}

async function runStartedBy(
  client: Client,
  workflowId: string,
  eventId: string,
): Promise<string | undefined> {
  try {
    const info = await client.workflow.getHandle(workflowId).describe();
    return info.memo?.[REQUEST_MEMO.eventId] === eventId ? info.runId : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
