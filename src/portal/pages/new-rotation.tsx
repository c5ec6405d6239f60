// Rotate an API key: pick its owner (a user or a service account, from the Ops API); the owner's newest active
// key is replaced, both stay valid for the grace period, and the cut-over can be confirmed on the Approvals page.
import type { FastifyInstance } from 'fastify';
import { MAX_GRACE_PERIOD } from '../../shared/validation';
import type { PortalContext } from '../context';
import type { Directory } from '../directory';
import { ownerValue, rotationForm } from '../forms';
import { CheckboxField, SelectField, TextField } from '../views/fields';
import { registerRequestForm } from './submit';

/** The owners to choose from, service accounts first; whether every list could be loaded. */
async function ownerGroups(directory: Directory) {
  const [users, accounts] = await Promise.all([directory.users(), directory.serviceAccounts()]);
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
  return { groups, complete: users.ok && accounts.ok };
}

export function registerNewRotationPage(app: FastifyInstance, ctx: PortalContext): void {
  registerRequestForm(app, ctx, {
    form: 'rotation',
    spec: rotationForm,
    title: 'Rotate an API key',
    lead:
      "Replaces the owner's newest active API key: the new key's token goes to the secret sink, both keys work " +
      'during the grace period, then the old one is deleted. Confirm the cut-over early, or abort, on the ' +
      'Approvals page.',
    policy: ctx.policy,
    kinds: ['rotation', 'key-deletion'],
    submit: 'Start the rotation',
    async fields(state) {
      const owners = await ownerGroups(ctx.directory);
      return (
        <>
          <SelectField
            name="owner"
            label="Owner of the key"
            state={state}
            groups={owners.groups}
            placeholder="Choose an owner"
            {...(owners.complete
              ? {}
              : {
                  hint: 'Some owners could not be loaded from the Ops API just now; try again in a moment.',
                })}
          />
          <TextField
            name="gracePeriod"
            label="Grace period"
            state={state}
            hint={`How long both keys stay valid, e.g. 7d, 12h, 30m or 0; at most ${MAX_GRACE_PERIOD}.`}
          />
          <TextField name="expiryDays" label="New key's lifetime (days)" type="number" state={state} />
          <CheckboxField
            name="deleteOldKey"
            label="Delete the old key after the grace period"
            state={state}
          />
        </>
      );
    },
  });
}
