// Posting a request form: the same intake as a signed event (validation, business-key id, reuse policy,
// deduplication by the form's id), recorded under the signed-in user. A started (or already running) request
// moves the page to it; problems come back to the form, next to their fields.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import {
  formValues,
  newRequestId,
  problemsByField,
  requestIdOf,
  type FormSpec,
  type FormValues,
} from '../forms';
import { runPath } from '../views/components';
import type { FieldState } from '../views/fields';
import { RequestFormPage, type RequestFormPageProps } from '../views/request-form';

export type FormRenderer = (state: FieldState) => Promise<VNode>;

export async function submitForm(
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: PortalContext,
  spec: FormSpec,
  render: FormRenderer,
  fixed: FormValues = {},
): Promise<FastifyReply> {
  const user = userOf(req);
  const values: FormValues = formValues(req.body);
  const outcome = await ctx.intake.submit(
    // What the user does not choose (whom access is for: themselves) replaces anything posted for it.
    { id: requestIdOf(values), type: spec.type, data: spec.toData({ ...values, ...fixed }) },
    { source: 'portal', requestedBy: user.id },
  );
  const again = async (status: number, errors: Map<string, string[]>) =>
    sendPage(reply, await render({ values, errors }), status);
  switch (outcome.kind) {
    case 'started':
    case 'duplicate':
      return reply.redirect(runPath(outcome.workflowId, outcome.runId), 303);
    case 'attached':
      return reply.redirect(`${runPath(outcome.workflowId, outcome.runId)}&note=attached`, 303);
    case 'invalid':
      return again(400, problemsByField(spec, outcome.problems));
    case 'conflict':
      return again(409, new Map([['', [outcome.message]]]));
    case 'unavailable':
      return again(503, new Map([['', [outcome.message]]]));
  }
}

/** A fresh form: the spec's defaults and a new request id. */
export function freshState(spec: FormSpec, requestId: string, preset: FormValues = {}): FieldState {
  return { values: { ...spec.defaults, ...preset, requestId }, errors: new Map() };
}

/** A request form: what it is and its own fields; the frame, the routes and the posting are shared. */
export interface RequestFormPageSpec extends Omit<
  RequestFormPageProps,
  'user' | 'csrf' | 'state' | 'children'
> {
  spec: FormSpec;
  /** The form's fields for these values (fresh, or as sent with their problems). */
  fields(state: FieldState): Promise<VNode>;
  /** Values a fresh form starts with, from the query. */
  preset?: (req: FastifyRequest) => FormValues;
  /** Values the signed-in user does not choose, whatever is posted (an access request is for themselves). */
  fixed?: (req: FastifyRequest) => FormValues;
  /** Why the signed-in user may not send this form at all (shown, and nothing is started); undefined: they may. */
  refuse?: (req: FastifyRequest) => string | undefined;
}

/** `GET /new/<form>` (a fresh form) and `POST /new/<form>` (the request). */
export function registerRequestForm(
  app: FastifyInstance,
  ctx: PortalContext,
  page: RequestFormPageSpec,
): void {
  const { spec, fields, preset, fixed, refuse, ...frame } = page;
  const render = async (req: FastifyRequest, reply: FastifyReply, state: FieldState) => (
    <RequestFormPage {...frame} user={userOf(req).id} csrf={csrfToken(req, reply)} state={state}>
      {await fields(state)}
    </RequestFormPage>
  );
  app.get(`/new/${page.form}`, async (req, reply) =>
    sendPage(reply, await render(req, reply, freshState(spec, newRequestId(), preset?.(req)))),
  );
  app.post(`/new/${page.form}`, { preHandler: app.csrfProtection }, async (req, reply) => {
    const refusal = refuse?.(req);
    if (refusal) {
      const state = { values: formValues(req.body), errors: new Map([['', [refusal]]]) };
      return sendPage(reply, await render(req, reply, state), 403);
    }
    return submitForm(req, reply, ctx, spec, (state) => render(req, reply, state), fixed?.(req));
  });
}
