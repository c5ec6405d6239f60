// provisionNamespace: a namespace, optionally with a service account that can reach it and an API key for it.
import { allowListed } from '../policy/policy';
import { provisionNamespaceInput, type ProvisionNamespaceInput } from '../shared/validation';
import type { ProvisionStep, provisionNamespace } from '../workflows/provision-namespace';
import { caFileToBase64, type BuildContext, type FlagValues } from './flags';
import { checked, defined, fieldsIn, num, text, type FormFields } from './form';
import { defineKind, workflowNamed } from './kind';
import { namespaceExistsKind } from './namespace-exists';

export const provisionNamespaceId = (name: string) => `provision-namespace/${name}`;

const STEPS: Record<ProvisionStep, string> = {
  validating: 'Check the request',
  'awaiting-approval': 'Wait for approval',
  'creating-namespace': 'Create the namespace',
  'waiting-for-namespace': 'Wait until the namespace is active',
  'creating-service-account': 'Create the service account',
  'waiting-for-service-account': 'Wait until the service account is active',
  'creating-api-key': 'Create the API key',
  'waiting-for-api-key': 'Wait until the API key is active',
  'requesting-reconcile': 'Ask the desired states that reach it to grant their access',
  'rolling-back': 'Roll back what this run created',
  completed: 'Completed',
  failed: 'Failed',
};

export const NAMESPACE_FIELDS = [
  'name',
  'region',
  'retentionDays',
  'serviceAccount',
  'serviceAccount.name',
  'serviceAccount.permission',
  'serviceAccount.accountRole',
  'apiKey',
  'apiKey.displayName',
  'apiKey.expiryDays',
  'codecServer',
  'codecServer.endpoint',
  'codecServer.passAccessToken',
  'codecServer.includeCrossOriginCredentials',
] as const;

const form: FormFields = {
  defaults: {
    retentionDays: '30',
    serviceAccount: 'on',
    'serviceAccount.permission': 'write',
    apiKey: 'on',
    'apiKey.expiryDays': '90',
  },
  toData(v) {
    const endpoint = text(v['codecServer.endpoint']);
    return defined({
      name: text(v.name),
      region: text(v.region),
      retentionDays: num(v.retentionDays),
      serviceAccount: checked(v.serviceAccount)
        ? defined({
            name: text(v['serviceAccount.name']),
            permission: text(v['serviceAccount.permission']),
            // A role asks for an account-wide account; none leaves it to the API (namespace-scoped where it can).
            accountRole: text(v['serviceAccount.accountRole']),
          })
        : undefined,
      apiKey: checked(v.apiKey)
        ? defined({ displayName: text(v['apiKey.displayName']), expiryDays: num(v['apiKey.expiryDays']) })
        : undefined,
      codecServer: endpoint
        ? {
            endpoint,
            passAccessToken: checked(v['codecServer.passAccessToken']),
            includeCrossOriginCredentials: checked(v['codecServer.includeCrossOriginCredentials']),
          }
        : undefined,
    });
  },
  fieldOf: fieldsIn(NAMESPACE_FIELDS),
};

const flags = {
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
} as const;

type Values = FlagValues<typeof flags>;

/** The service account and API key the flags ask for. */
function accountAndKey(v: Values): Pick<ProvisionNamespaceInput, 'serviceAccount' | 'apiKey'> {
  const sa = v['service-account'];
  const key = v['api-key'];
  return {
    ...(sa !== undefined
      ? {
          serviceAccount: {
            ...(typeof sa === 'string' ? { name: sa } : {}),
            ...(v.permission !== undefined ? { permission: v.permission as 'admin' | 'write' | 'read' } : {}),
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
  };
}

function buildInput(v: Values, ctx: BuildContext<typeof flags>): ProvisionNamespaceInput {
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
    ...accountAndKey(v),
    ...(v['keep-on-failure'] ? { keepOnFailure: true } : {}),
    ...(v['min-poll-seconds'] !== undefined ? { wait: { minPollSeconds: v['min-poll-seconds'] } } : {}),
  };
}

export const provisionNamespaceKind = defineKind({
  workflow: workflowNamed<typeof provisionNamespace>('provisionNamespace'),
  title: 'Namespace',
  schema: provisionNamespaceInput,
  workflowId: (input) => provisionNamespaceId(input.name),
  // A namespace is asked for once: a finished run is reported (while its namespace is there), a failed one retried.
  reusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  finishedRunCheck: {
    kind: namespaceExistsKind,
    input: (input) => ({ name: input.name }),
    holds: (answer) => (answer as { exists?: boolean } | undefined)?.exists === true,
    subject: (input) => `namespace ${input.name}`,
  },
  steps: STEPS,
  outcome: (r) => ({
    label: 'Completed',
    skipped: [
      ...(r.serviceAccountId === undefined
        ? ['creating-service-account', 'waiting-for-service-account']
        : []),
      ...(r.apiKeyId === undefined ? ['creating-api-key', 'waiting-for-api-key'] : []),
      // Runs from before provisioning asked the desired states have no `reconciles`.
      ...(r.reconciles === undefined ? ['requesting-reconcile'] : []),
    ],
  }),
  approval: {
    kinds: ['namespace', 'codec-credentials'],
    facts(policy, input) {
      const codec = input.codecServer;
      const endpoint = codec?.endpoint;
      const credentials = codec?.passAccessToken === true || codec?.includeCrossOriginCredentials === true;
      const listed = endpoint !== undefined && allowListed(policy.codecEndpoints, endpoint);
      return {
        kinds: endpoint && credentials && !listed ? ['namespace', 'codec-credentials'] : ['namespace'],
        namespaces: [String(input.name)],
        ...(endpoint ? { detail: { 'codec-credentials': endpoint } } : {}),
      };
    },
  },
  request: { type: 'namespace.requested' },
  form,
  starter: {
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
    flags,
    buildInput,
    decisions: true,
    summarize: (r) =>
      `namespace ${r.namespace} is ready at ${r.readyAt}` +
      (r.serviceAccountId
        ? `; service account ${r.serviceAccountId} (${r.serviceAccountScope === 'namespace' ? 'namespace-scoped' : 'account-wide'})`
        : '') +
      (r.secretRef ? `; API key ${r.apiKeyId} stored at ${r.secretRef}` : ''),
  },
});
