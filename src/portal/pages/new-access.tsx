// Ask for temporary access for yourself: a namespace, a permission and how long; the namespace's approvers (not
// you) approve it on the Approvals page, and it is taken back on its own when the time is up.
import type { FastifyInstance } from 'fastify';
import { ACCESS_PERMISSIONS, MAX_ACCESS_DURATION, MIN_ACCESS_DURATION } from '../../shared/temporary-access';
import { userOf, type PortalContext } from '../context';
import { accessForm } from '../forms';
import { SelectField, TextField } from '../views/fields';
import { registerRequestForm } from './submit';

const PERMISSIONS = ACCESS_PERMISSIONS.map((p) => ({ id: p, label: p }));

export function registerNewAccessPage(app: FastifyInstance, ctx: PortalContext): void {
  registerRequestForm(app, ctx, {
    form: 'access',
    spec: accessForm,
    title: 'Request temporary access',
    lead:
      'Access for you to one namespace, for a while. Nothing changes until one of its approvers (not you) ' +
      'approves it; when the time is up, exactly what was granted is taken back (a permission you had before ' +
      'stays).',
    policy: ctx.policy,
    kinds: ['temporary-access'],
    submit: 'Request the access',
    // For the signed-in user, whatever the post says.
    fixed: (req) => ({ principal: userOf(req).id }),
    // A sign-in without an email (a proxy may send a user name) would name a service account of that name.
    refuse: (req) =>
      userOf(req).id.includes('@')
        ? undefined
        : `Temporary access is asked for by a user signed in with an email address; ${userOf(req).id} is not one, ` +
          'and would be read as a service account. Ask an administrator to request it for you.',
    async fields(state) {
      return (
        <>
          <TextField name="namespace" label="Namespace" state={state} hint="Its name, e.g. payments-prod." />
          <SelectField name="permission" label="Permission" state={state} choices={PERMISSIONS} />
          <TextField
            name="duration"
            label="For how long"
            state={state}
            hint={`From ${MIN_ACCESS_DURATION} to ${MAX_ACCESS_DURATION}, e.g. 4h or 2d.`}
          />
          <TextField
            name="reason"
            label="Why"
            state={state}
            hint="Shown to the approvers and kept with the run."
          />
          <TextField
            name="approvalTimeout"
            label="Give up waiting after"
            state={state}
            hint="Nothing changes if nobody decides in time."
          />
        </>
      );
    },
  });
}
