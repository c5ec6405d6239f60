// npm run decommission-namespace -- --name payments-prod --delete-service-account-keys --wait
import { decommissionNamespaceInput, type DecommissionNamespaceInput } from '../shared/validation';
import { workflowIds, workflowIdReusePolicies } from '../shared/workflow-ids';
import { decommissionNamespace, decommissionStatusQuery } from '../workflows/decommission-namespace';
import { defineStarter, runMain } from './cli';

export const decommissionNamespaceStarter = defineStarter({
  workflowIdReusePolicy: workflowIdReusePolicies.decommissionNamespace,
  name: 'decommission-namespace',
  summary:
    'Deletes a namespace with its namespace-scoped service accounts and their keys, optionally first the API ' +
    'keys of the account-wide service accounts that can reach it and those accounts (only accounts with no ' +
    'other namespace). A namespace that is already gone is success.',
  examples: ['npm run decommission-namespace -- --name payments-prod --delete-service-accounts --wait'],
  flags: {
    name: { type: 'string', field: 'name', valueName: 'NAME', description: 'namespace name (required)' },
    'delete-service-account-keys': {
      type: 'boolean',
      field: 'deleteServiceAccountKeys',
      description: "first delete the API keys of the namespace's account-wide service accounts too",
    },
    'delete-service-accounts': {
      type: 'boolean',
      field: 'deleteServiceAccounts',
      description: 'also delete those service accounts (and their keys) if they reach no other namespace',
    },
  },
  workflow: decommissionNamespace,
  statusQuery: decommissionStatusQuery,
  schema: decommissionNamespaceInput,
  buildInput: (v): DecommissionNamespaceInput => ({
    name: v.name as string, // undefined is reported by the schema as "is required"
    ...(v['delete-service-account-keys'] ? { deleteServiceAccountKeys: true } : {}),
    ...(v['delete-service-accounts'] ? { deleteServiceAccounts: true } : {}),
  }),
  workflowId: (input) => workflowIds.decommissionNamespace(input.name),
  summarize: (r) =>
    r.outcome === 'deleted' ? `namespace ${r.namespace} deleted` : `namespace ${r.name} was already gone`,
});

if (require.main === module) runMain(decommissionNamespaceStarter);
