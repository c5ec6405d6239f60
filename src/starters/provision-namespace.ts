// npm run provision-namespace -- --name payments-prod --region aws-us-east-1 --retention-days 30 --wait
import { provisionNamespaceInput, type ProvisionNamespaceInput } from '../shared/validation';
import { workflowIds, workflowIdReusePolicies } from '../shared/workflow-ids';
import { provisionNamespace, provisionStatusQuery } from '../workflows/provision-namespace';
import { REQUESTER_FLAG } from './approval';
import { caFileToBase64, defineStarter, exitWith, parseFlags, runStarter, type StarterIO } from './cli';
import { DECISION_FLAGS, decisionRequest, signalRunning } from './signals';

export const provisionNamespaceStarter = defineStarter({
  workflowIdReusePolicy: workflowIdReusePolicies.provisionNamespace,
  name: 'provision-namespace',
  summary:
    'Creates a namespace, optionally with a service account that can reach it and an API key for that ' +
    'account, exactly once per name. On failure what was created is rolled back (unless --keep-on-failure). ' +
    "A codec server that gets the user's access token waits for an approver (unless the approval policy " +
    'allow-lists its endpoint): --approve/--reject, sent by someone else with the same --name.',
  examples: [
    'npm run provision-namespace -- --name payments-prod --region aws-us-east-1 --retention-days 30 --wait',
    'npm run provision-namespace -- --name payments-prod --region aws-us-east-1 --retention-days 30 \\',
    '    --service-account --permission write --api-key --key-expiry-days 90 --wait --json',
    'npm run provision-namespace -- --name payments-ci --region aws-us-east-1 --retention-days 7 \\',
    '    --service-account --account-role developer --api-key --wait',
  ],
  flags: {
    name: { type: 'string', field: 'name', valueName: 'NAME', description: 'namespace name (required)' },
    region: {
      type: 'string',
      field: 'region',
      valueName: 'REGION',
      description: 'cloud region id, e.g. aws-us-east-1 (required)',
    },
    'retention-days': {
      type: 'number',
      field: 'retentionDays',
      valueName: 'DAYS',
      description: 'history retention, 1-90 days (required)',
    },
    'codec-endpoint': {
      type: 'string',
      field: 'codecServer.endpoint',
      valueName: 'URL',
      description: 'https:// codec server for the Web UI',
    },
    'codec-pass-access-token': {
      type: 'boolean',
      field: 'codecServer.passAccessToken',
      description: "pass the user's access token to the codec server",
    },
    'mtls-ca-file': {
      type: 'file',
      field: 'mtlsAuth.acceptedClientCa',
      valueName: 'PEM_FILE',
      description: 'CA certificate(s) (PEM) accepted for client mTLS',
    },
    'service-account': {
      type: 'optional-value',
      field: 'serviceAccount',
      valueName: 'NAME',
      description:
        'also create a service account for it, namespace-scoped where the Ops API has such accounts (default name: <name>-sa)',
    },
    permission: {
      type: 'string',
      field: 'serviceAccount.permission',
      valueName: 'admin|write|read',
      description: "the service account's namespace permission (default write)",
    },
    'account-wide': {
      type: 'boolean',
      field: 'serviceAccount.scope',
      description:
        'make the service account account-wide (role: --account-role, default read) instead of scoped to this namespace',
    },
    'account-role': {
      type: 'string',
      field: 'serviceAccount.accountRole',
      valueName: 'admin|developer|read',
      description: "the account-wide service account's account role (implies --account-wide)",
    },
    'api-key': {
      type: 'optional-value',
      field: 'apiKey',
      valueName: 'DISPLAY_NAME',
      description: 'also create an API key for the service account (default name: <name>-key)',
    },
    'key-expiry-days': {
      type: 'number',
      field: 'apiKey.expiryDays',
      valueName: 'DAYS',
      description: 'API key lifetime in days (default 90)',
    },
    'keep-on-failure': {
      type: 'boolean',
      field: 'keepOnFailure',
      description: 'leave what was created in place if provisioning fails',
    },
    // Tuning knob for tests against a fast emulator; the default (1 s) suits the real API.
    'min-poll-seconds': { type: 'number', field: 'wait.minPollSeconds', hidden: true, description: '' },
    ...DECISION_FLAGS,
    ...REQUESTER_FLAG,
  },
  workflow: provisionNamespace,
  statusQuery: provisionStatusQuery,
  schema: provisionNamespaceInput,
  buildInput(v, ctx): ProvisionNamespaceInput {
    ctx.conflicts('approve', 'reject');
    ctx.requires('approve', 'approver');
    ctx.requires('codec-pass-access-token', 'codec-endpoint');
    ctx.requires('permission', 'service-account');
    ctx.requires('account-wide', 'service-account');
    ctx.requires('account-role', 'service-account');
    ctx.requires('key-expiry-days', 'api-key');
    if (ctx.has('api-key') && !ctx.has('service-account'))
      ctx.problem('api-key', 'needs --service-account (the key belongs to a service account)');
    const ca = v['mtls-ca-file'];
    const caBase64 = ca && caFileToBase64(ca);
    if (ca && !caBase64) ctx.problem('mtls-ca-file', `${ca.path} has no PEM certificate`);
    const sa = v['service-account'];
    const key = v['api-key'];
    return {
      // Required flags pass through as undefined so the schema reports them as "is required".
      name: v.name as string,
      region: v.region as string,
      retentionDays: v['retention-days'] as number,
      ...(v['codec-endpoint'] !== undefined
        ? {
            codecServer: {
              endpoint: v['codec-endpoint'],
              ...(v['codec-pass-access-token'] ? { passAccessToken: true } : {}),
            },
          }
        : {}),
      ...(caBase64 ? { mtlsAuth: { acceptedClientCa: caBase64 } } : {}),
      ...(sa !== undefined
        ? {
            serviceAccount: {
              ...(typeof sa === 'string' ? { name: sa } : {}),
              ...(v.permission !== undefined
                ? { permission: v.permission as 'admin' | 'write' | 'read' }
                : {}),
              ...(v['account-wide'] ? { scope: 'account' as const } : {}),
              ...(v['account-role'] !== undefined
                ? { accountRole: v['account-role'] as 'admin' | 'developer' | 'read' }
                : {}),
            },
          }
        : {}),
      ...(key !== undefined
        ? {
            apiKey: {
              ...(typeof key === 'string' ? { displayName: key } : {}),
              ...(v['key-expiry-days'] !== undefined ? { expiryDays: v['key-expiry-days'] } : {}),
            },
          }
        : {}),
      ...(v['keep-on-failure'] ? { keepOnFailure: true } : {}),
      ...(v['min-poll-seconds'] !== undefined ? { wait: { minPollSeconds: v['min-poll-seconds'] } } : {}),
    };
  },
  workflowId: (input) => workflowIds.provisionNamespace(input.name),
  summarize: (r) =>
    `namespace ${r.namespace} is ready at ${r.endpoints.grpcAddress}` +
    (r.serviceAccountId
      ? `; service account ${r.serviceAccountId} (${r.serviceAccountScope === 'namespace' ? 'namespace-scoped' : 'account-wide'})`
      : '') +
    (r.secretRef ? `; API key ${r.apiKeyId} stored at ${r.secretRef}` : ''),
});

export async function main(argv: readonly string[], io?: StarterIO) {
  if (argv.includes('--approve') || argv.includes('--reject')) {
    const { values } = await parseFlags(provisionNamespaceStarter.flags, argv);
    return signalRunning(provisionNamespaceStarter, argv, decisionRequest(values, (io ?? process).env), io);
  }
  return runStarter(provisionNamespaceStarter, argv, io);
}

if (require.main === module) exitWith(provisionNamespaceStarter.name, () => main(process.argv.slice(2)));
