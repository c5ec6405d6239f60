// Offboard a user: pick (or type) their email; the removal waits for an approver when the policy says so (by default).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { newRequestId, offboardingForm } from '../forms';
import { CsrfField } from '../views/components';
import { CheckboxField, FormErrors, TextField, type FieldState } from '../views/fields';
import { Layout } from '../views/layout';
import { PolicyNote } from '../views/policy-note';
import { freshState, submitForm } from './submit';

async function page(req: FastifyRequest, reply: FastifyReply, ctx: PortalContext, state: FieldState) {
  const users = await ctx.directory.users();
  return (
    <Layout title="Offboard a user" user={userOf(req).id} csrf={csrfToken(req, reply)} current="offboarding">
      <h1>Offboard a user</h1>
      <p class="lead">
        Deletes the user's API keys, then the user. When the approval policy asks for it, nothing changes
        until an approver (not you) approves it on the Approvals page.
      </p>
      <PolicyNote policy={ctx.policy} kinds={['offboarding']} />
      <form
        method="post"
        action="/new/offboarding"
        class="request-form"
        novalidate
        data-request-form="offboarding"
      >
        <CsrfField token={csrfToken(req, reply)} />
        <input type="hidden" name="requestId" value={state.values.requestId ?? ''} />
        <FormErrors state={state} />
        <TextField
          name="email"
          label="User's email"
          type="email"
          state={state}
          list="known-users"
          hint={users.ok ? 'Pick from the account\u2019s users or type an email.' : 'Type the email.'}
        />
        {users.ok ? (
          <datalist id="known-users">
            {users.value.map((u) => (
              <option value={u.label} />
            ))}
          </datalist>
        ) : null}
        <TextField
          name="approvalTimeout"
          label="Give up waiting after"
          state={state}
          hint="e.g. 24h or 2d; nothing changes if nobody decides in time."
        />
        <CheckboxField
          name="deleteUser"
          label="Delete the user too (not only their API keys)"
          state={state}
        />
        <CheckboxField name="dryRun" label="Dry run: only show what would be removed" state={state} />
        <button type="submit" class="primary">
          Request the offboarding
        </button>
      </form>
    </Layout>
  );
}

export function registerNewOffboardingPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get<{ Querystring: { email?: string } }>('/new/offboarding', async (req, reply) =>
    sendPage(
      reply,
      await page(
        req,
        reply,
        ctx,
        freshState(offboardingForm, newRequestId(), req.query.email ? { email: req.query.email } : {}),
      ),
    ),
  );
  app.post('/new/offboarding', { preHandler: app.csrfProtection }, async (req, reply) =>
    submitForm(req, reply, ctx, offboardingForm, (state) => page(req, reply, ctx, state)),
  );
}
