// Request a namespace: the provisioning input as a form (regions from the Ops API's listRegions).
import type { FastifyInstance } from 'fastify';
import { NAMESPACE_NAME_RULE } from '../../shared/validation';
import type { PortalContext } from '../context';
import type { Choice } from '../directory';
import { namespaceForm } from '../forms';
import { CheckboxField, SelectField, TextField, type FieldState } from '../views/fields';
import { registerRequestForm } from './submit';

export function registerNewNamespacePage(app: FastifyInstance, ctx: PortalContext): void {
  registerRequestForm(app, ctx, {
    form: 'namespace',
    spec: namespaceForm,
    title: 'Request a namespace',
    lead:
      'A Temporal Cloud namespace, optionally with a service account that can reach it and an API key for that ' +
      "account. The key's token goes straight to the secret sink; this portal never sees it.",
    policy: ctx.policy,
    kinds: ['namespace', 'codec-credentials'],
    submit: 'Request the namespace',
    async fields(state) {
      const regions = await ctx.directory.regions();
      return (
        <>
          <NamespaceFields state={state} regions={regions.ok ? regions.value : undefined} />
          <ServiceAccountFields state={state} />
          <CodecFields state={state} />
        </>
      );
    },
  });
}

function NamespaceFields({ state, regions }: { state: FieldState; regions: Choice[] | undefined }) {
  return (
    <fieldset>
      <legend>Namespace</legend>
      <TextField name="name" label="Name" state={state} required hint={`${NAMESPACE_NAME_RULE}.`} />
      {regions ? (
        <SelectField
          name="region"
          label="Region"
          state={state}
          choices={regions}
          placeholder="Choose a region"
        />
      ) : (
        <TextField
          name="region"
          label="Region"
          state={state}
          hint="The list of regions could not be loaded from the Ops API just now; type the region id."
        />
      )}
      <TextField
        name="retentionDays"
        label="Retention (days)"
        type="number"
        state={state}
        hint="How long closed workflows' histories are kept: 1 to 90 days."
      />
    </fieldset>
  );
}

function ServiceAccountFields({ state }: { state: FieldState }) {
  return (
    <fieldset>
      <legend>Service account and API key</legend>
      <CheckboxField
        name="serviceAccount"
        label="Create a service account for this namespace"
        state={state}
      />
      <TextField
        name="serviceAccount.name"
        label="Service account name"
        state={state}
        hint="Default: the namespace name with -sa."
      />
      <SelectField
        name="serviceAccount.permission"
        label="Its permission on the namespace"
        state={state}
        choices={[
          { id: 'write', label: 'write' },
          { id: 'read', label: 'read' },
          { id: 'admin', label: 'admin' },
        ]}
      />
      <SelectField
        name="serviceAccount.accountRole"
        label="What else it can reach"
        state={state}
        hint="Namespace-scoped accounts reach this namespace alone (where the Ops API has them); an account-wide one also gets an account role."
        choices={[
          { id: '', label: 'nothing else: namespace-scoped, where the Ops API has such accounts' },
          { id: 'read', label: 'account-wide, role read' },
          { id: 'developer', label: 'account-wide, role developer' },
          { id: 'admin', label: 'account-wide, role admin' },
        ]}
      />
      <CheckboxField name="apiKey" label="Mint an API key for the service account" state={state} />
      <TextField
        name="apiKey.displayName"
        label="API key name"
        state={state}
        hint="Default: the namespace name with -key."
      />
      <TextField name="apiKey.expiryDays" label="API key lifetime (days)" type="number" state={state} />
    </fieldset>
  );
}

function CodecFields({ state }: { state: FieldState }) {
  return (
    <fieldset>
      <legend>Codec server (optional)</legend>
      <TextField
        name="codecServer.endpoint"
        label="Endpoint"
        type="url"
        state={state}
        placeholder="https://codec.example.com"
        hint="Leave empty for none."
      />
      <CheckboxField name="codecServer.passAccessToken" label="Pass the user's access token" state={state} />
      <CheckboxField
        name="codecServer.includeCrossOriginCredentials"
        label="Include cross-origin credentials"
        state={state}
      />
    </fieldset>
  );
}
