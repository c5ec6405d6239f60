// decommissionNamespace: delete a namespace with its namespace-scoped service accounts and their keys.
import { decommissionNamespaceInput, type DecommissionNamespaceInput } from '../shared/validation';
import type { DecommissionStatus, decommissionNamespace } from '../workflows/decommission-namespace';
import { defineKind, workflowNamed } from './kind';

export const decommissionNamespaceId = (name: string) => `decommission-namespace/${name}`;

const STEPS: Record<DecommissionStatus['step'], string> = {
  validating: 'Check the request',
  finding: 'Find the namespace',
  'awaiting-approval': 'Wait for approval',
  'deleting-api-keys': "Delete the service accounts' API keys",
  'deleting-service-accounts': 'Delete the service accounts',
  'deleting-namespace': 'Delete the namespace',
  completed: 'Completed',
  failed: 'Failed',
};

export const decommissionNamespaceKind = defineKind({
  workflow: workflowNamed<typeof decommissionNamespace>('decommissionNamespace'),
  title: 'Decommission',
  schema: decommissionNamespaceInput,
  workflowId: (input) => decommissionNamespaceId(input.name),
  // Idempotent, and may be asked again (a namespace of the same name made later).
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  approval: {
    kinds: ['decommission'],
    facts: (_policy, input) => ({ kinds: ['decommission'], namespaces: [String(input.name)] }),
  },
  request: { type: 'namespace.decommission.requested' },
  starter: {
    name: 'decommission-namespace',
    summary:
      'Deletes a namespace with its namespace-scoped service accounts and their keys, optionally first the API ' +
      'keys of the account-wide service accounts that can reach it and those accounts (only accounts with no ' +
      'other namespace). A namespace that is already gone is success. By default the approval policy has it ' +
      'wait for an approver: --approve/--reject, sent by someone else running this command again with the same --name.',
    examples: [
      'npm run decommission-namespace -- --name payments-prod --delete-service-accounts',
      'npm run decommission-namespace -- --name payments-prod --approve --approver alice --wait',
    ],
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
    buildInput(v): DecommissionNamespaceInput {
      return {
        name: v.name as string, // undefined is reported by the schema as "is required"
        ...(v['delete-service-account-keys'] ? { deleteServiceAccountKeys: true } : {}),
        ...(v['delete-service-accounts'] ? { deleteServiceAccounts: true } : {}),
      };
    },
    decisions: true,
    summarize: (r) =>
      r.outcome === 'deleted'
        ? `namespace ${r.namespace} deleted`
        : r.outcome === 'already-gone'
          ? `namespace ${r.name} was already gone`
          : `decommissioning ${r.name}: ${r.outcome}${r.approval ? ` by ${r.approval.by}` : ''}; nothing changed`,
  },
});
