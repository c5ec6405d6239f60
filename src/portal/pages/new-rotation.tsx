// Rotate an API key: pick its owner (a user or a service account, from the Ops API); the owner's newest active
// key is replaced, both stay valid for the grace period, and the cut-over can be confirmed on the Approvals page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_GRACE_PERIOD } from '../../shared/validation';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { newRequestId, ownerValue, rotationForm } from '../forms';
import { CsrfField } from '../views/components';
import { CheckboxField, FormErrors, SelectField, TextField, type FieldState } from '../views/fields';
import { Layout } from '../views/layout';
import { PolicyNote } from '../views/policy-note';
import { freshState, submitForm } from './submit';

async function page(req: FastifyRequest, reply: FastifyReply, ctx: PortalContext, state: FieldState) {
  const [users, accounts] = await Promise.all([ctx.directory.users(), ctx.directory.serviceAccounts()]);
  const groups = [
    ...(accounts.ok
      ? [
          {
            label: 'Service accounts',
            choices: accounts.value.map((a) => ({ id: ownerValue('service-account', a.id), label: a.label })),
          },
        ]
      : []),
    ...(users.ok
      ? [
          {
            label: 'Users',
            choices: users.value.map((u) => ({ id: ownerValue('user', u.id), label: u.label })),
          },
        ]
      : []),
  ];
  return (
    <Layout title="Rotate an API key" user={userOf(req).id} csrf={csrfToken(req, reply)} current="rotation">
      <h1>Rotate an API key</h1>
      <p class="lead">
        Replaces the owner's newest active API key: the new key's token goes to the secret sink, both keys
        work during the grace period, then the old one is deleted. Confirm the cut-over early, or abort, on
        the Approvals page.
      </p>
      <PolicyNote policy={ctx.policy} kinds={['rotation', 'key-deletion']} />
      <form method="post" action="/new/rotation" class="request-form" novalidate data-request-form="rotation">
        <CsrfField token={csrfToken(req, reply)} />
        <input type="hidden" name="requestId" value={state.values.requestId ?? ''} />
        <FormErrors state={state} />
        <SelectField
          name="owner"
          label="Owner of the key"
          state={state}
          groups={groups}
          placeholder="Choose an owner"
          {...(users.ok && accounts.ok
            ? {}
            : { hint: 'Some owners could not be loaded from the Ops API just now; try again in a moment.' })}
        />
        <TextField
          name="gracePeriod"
          label="Grace period"
          state={state}
          hint={`How long both keys stay valid, e.g. 7d, 12h, 30m or 0; at most ${MAX_GRACE_PERIOD}.`}
        />
        <TextField name="expiryDays" label="New key's lifetime (days)" type="number" state={state} />
        <CheckboxField name="deleteOldKey" label="Delete the old key after the grace period" state={state} />
        <button type="submit" class="primary">
          Start the rotation
        </button>
      </form>
    </Layout>
  );
}

export function registerNewRotationPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/new/rotation', async (req, reply) =>
    sendPage(reply, await page(req, reply, ctx, freshState(rotationForm, newRequestId()))),
  );
  app.post('/new/rotation', { preHandler: app.csrfProtection }, async (req, reply) =>
    submitForm(req, reply, ctx, rotationForm, (state) => page(req, reply, ctx, state)),
  );
}
