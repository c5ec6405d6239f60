// Offboard a user: pick (or type) their email; the removal waits for an approver when the policy says so (by default).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PortalContext } from '../context';
import { offboardingForm, type FormValues } from '../forms';
import { CheckboxField, TextField } from '../views/fields';
import { registerRequestForm } from './submit';

/** `?email=` fills in whom to offboard. */
const presetEmail = (req: FastifyRequest): FormValues => {
  const { email } = req.query as { email?: unknown };
  return typeof email === 'string' && email ? { email } : {};
};

export function registerNewOffboardingPage(app: FastifyInstance, ctx: PortalContext): void {
  registerRequestForm(app, ctx, {
    form: 'offboarding',
    spec: offboardingForm,
    title: 'Offboard a user',
    lead:
      "Deletes the user's API keys, then the user. When the approval policy asks for it, nothing changes until " +
      'an approver (not you) approves it on the Approvals page.',
    policy: ctx.policy,
    kinds: ['offboarding'],
    submit: 'Request the offboarding',
    preset: presetEmail,
    async fields(state) {
      const users = await ctx.directory.users();
      return (
        <>
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
        </>
      );
    },
  });
}
