// Roll a namespace's mTLS CA over: paste (or pick) the new CA's PEM; both CAs are accepted during the grace period,
// then the old one is removed. Confirm the cut-over early, or abort, on the Approvals page.
import type { FastifyInstance } from 'fastify';
import { MAX_GRACE_PERIOD, NAMESPACE_NAME_RULE } from '../../shared/validation';
import type { PortalContext } from '../context';
import { caRotationForm } from '../forms';
import { TextAreaField, TextField } from '../views/fields';
import { registerRequestForm } from './submit';

export function registerNewCaRotationPage(app: FastifyInstance, ctx: PortalContext): void {
  registerRequestForm(app, ctx, {
    form: 'ca-rotation',
    spec: caRotationForm,
    title: 'Roll over an mTLS CA',
    lead:
      'Adds the new CA certificate beside those the namespace accepts, keeps both for the grace period so clients ' +
      'can move to certificates it issued, then removes the old ones. Expired, not yet valid, non-CA or malformed ' +
      'certificates are refused before anything changes. Confirm the cut-over early, or abort (the accepted CAs ' +
      'are put back), on the Approvals page.',
    policy: ctx.policy,
    kinds: ['ca-rotation', 'ca-removal'],
    submit: 'Start the rollover',
    async fields(state) {
      return (
        <>
          <TextField name="namespace" label="Namespace" state={state} hint={NAMESPACE_NAME_RULE} />
          <TextAreaField
            name="newCa"
            label="New CA certificate (PEM)"
            state={state}
            fileInto=".pem,.crt,.cer"
            hint="Paste the -----BEGIN CERTIFICATE----- block(s), or pick the file. Certificates are public: never a key."
          />
          <TextField
            name="gracePeriod"
            label="Grace period"
            state={state}
            hint={`How long old and new CA are both accepted, e.g. 7d, 12h or 0; at most ${MAX_GRACE_PERIOD}.`}
          />
        </>
      );
    },
  });
}
