// npm run decommission-namespace -- --name payments-prod --delete-service-account-keys --wait
import { decommissionNamespaceInput, type DecommissionNamespaceInput } from '../shared/validation';
import { workflowIds, workflowIdReusePolicies } from '../shared/workflow-ids';
import { decommissionNamespace, decommissionStatusQuery } from '../workflows/decommission-namespace';
import { REQUESTER_FLAG } from './approval';
import { defineStarter, exitWith, parseFlags, runStarter, type StarterIO } from './cli';
import { DECISION_FLAGS, decisionRequest, signalRunning } from './signals';

export const decommissionNamespaceStarter = defineStarter({
  workflowIdReusePolicy: workflowIdReusePolicies.decommissionNamespace,
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
    ...DECISION_FLAGS,
    ...REQUESTER_FLAG,
  },
  workflow: decommissionNamespace,
  statusQuery: decommissionStatusQuery,
  schema: decommissionNamespaceInput,
  buildInput(v, ctx): DecommissionNamespaceInput {
    ctx.conflicts('approve', 'reject');
    ctx.requires('approve', 'approver');
    return {
      name: v.name as string, // undefined is reported by the schema as "is required"
      ...(v['delete-service-account-keys'] ? { deleteServiceAccountKeys: true } : {}),
      ...(v['delete-service-accounts'] ? { deleteServiceAccounts: true } : {}),
    };
  },
  workflowId: (input) => workflowIds.decommissionNamespace(input.name),
  summarize: (r) =>
    r.outcome === 'deleted'
      ? `namespace ${r.namespace} deleted`
      : r.outcome === 'already-gone'
        ? `namespace ${r.name} was already gone`
        : `decommissioning ${r.name}: ${r.outcome}${r.approval ? ` by ${r.approval.by}` : ''}; nothing changed`,
});

export async function main(argv: readonly string[], io?: StarterIO) {
  if (argv.includes('--approve') || argv.includes('--reject')) {
    const { values } = await parseFlags(decommissionNamespaceStarter.flags, argv);
    return signalRunning(
      decommissionNamespaceStarter,
      argv,
      decisionRequest(values, (io ?? process).env),
      io,
    );
  }
  return runStarter(decommissionNamespaceStarter, argv, io);
}

if (require.main === module) exitWith(decommissionNamespaceStarter.name, () => main(process.argv.slice(2)));
