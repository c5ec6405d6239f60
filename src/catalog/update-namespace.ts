// updateNamespace: change a namespace's retention, codec server, mTLS CA or API-key auth.
import { updateNamespaceInput, type UpdateNamespaceInput } from '../shared/validation';
import type { UpdateNamespaceStatus, updateNamespace } from '../workflows/update-namespace';
import { caFileToBase64, type BuildContext, type FlagValues } from './flags';
import { defineKind, workflowNamed } from './kind';

export const updateNamespaceId = (name: string) => `update-namespace/${name}`;

const STEPS: Record<UpdateNamespaceStatus['step'], string> = {
  validating: 'Check the request',
  reading: 'Read the namespace',
  updating: 'Send the change',
  waiting: 'Wait until the change is applied',
  completed: 'Completed',
  failed: 'Failed',
};

const flags = {
  name: { type: 'string', field: 'name', valueName: 'NAME', description: 'namespace name (required)' },
  'retention-days': {
    type: 'number',
    field: 'retentionDays',
    valueName: 'DAYS',
    description: 'new history retention, 1-90 days',
  },
  'codec-endpoint': {
    type: 'string',
    field: 'codecServer.endpoint',
    valueName: 'URL',
    description: 'set the https:// codec server for the Web UI',
  },
  'codec-pass-access-token': {
    type: 'boolean',
    field: 'codecServer.passAccessToken',
    description: "pass the user's access token to the codec server",
  },
  'clear-codec': { type: 'boolean', description: 'remove the codec server setting' },
  'mtls-ca-file': {
    type: 'file',
    field: 'mtlsAuth.acceptedClientCa',
    valueName: 'PEM_FILE',
    description: 'replace the CA certificate(s) (PEM) accepted for client mTLS',
  },
  'clear-mtls': { type: 'boolean', description: 'remove the mTLS setting' },
  'api-key-auth': {
    type: 'string',
    field: 'apiKeyAuth',
    valueName: 'on|off',
    description: 'allow (on) or refuse (off) clients that connect with API keys',
  },
} as const;

const CHANGES = [
  'retention-days',
  'codec-endpoint',
  'clear-codec',
  'mtls-ca-file',
  'clear-mtls',
  'api-key-auth',
] as const;

function buildInput(v: FlagValues<typeof flags>, ctx: BuildContext<typeof flags>): UpdateNamespaceInput {
  ctx.conflicts('codec-endpoint', 'clear-codec');
  ctx.conflicts('mtls-ca-file', 'clear-mtls');
  ctx.requires('codec-pass-access-token', 'codec-endpoint');
  if (!CHANGES.some((flag) => ctx.has(flag))) {
    ctx.problem('', `nothing to update: give ${CHANGES.map((f) => `--${f}`).join(', ')}`);
  }
  const ca = v['mtls-ca-file'];
  const caBase64 = ca && caFileToBase64(ca);
  if (ca && !caBase64) ctx.problem('mtls-ca-file', `${ca.path} has no PEM certificate`);
  const apiKeyAuth = v['api-key-auth'];
  if (apiKeyAuth !== undefined && apiKeyAuth !== 'on' && apiKeyAuth !== 'off') {
    ctx.problem('api-key-auth', 'must be on or off');
  }
  return {
    name: v.name as string, // undefined is reported by the schema as "is required"
    ...(v['retention-days'] !== undefined ? { retentionDays: v['retention-days'] } : {}),
    ...(v['codec-endpoint'] !== undefined
      ? {
          codecServer: {
            endpoint: v['codec-endpoint'],
            ...(v['codec-pass-access-token'] ? { passAccessToken: true } : {}),
          },
        }
      : v['clear-codec']
        ? { codecServer: null }
        : {}),
    ...(caBase64 ? { mtlsAuth: { acceptedClientCa: caBase64 } } : v['clear-mtls'] ? { mtlsAuth: null } : {}),
    ...(apiKeyAuth === 'on' || apiKeyAuth === 'off' ? { apiKeyAuth: apiKeyAuth === 'on' } : {}),
  };
}

export const updateNamespaceKind = defineKind({
  workflow: workflowNamed<typeof updateNamespace>('updateNamespace'),
  title: 'Namespace update',
  schema: updateNamespaceInput,
  workflowId: (input) => updateNamespaceId(input.name),
  // Updates recur (and are idempotent): a closed run does not block the next change.
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  starter: {
    name: 'update-namespace',
    summary:
      "Changes a namespace's retention, codec server, mTLS CA or API-key auth; settings not given are left as they are. " +
      'Concurrent changes are retried on the fresh version.',
    examples: [
      'npm run update-namespace -- --name payments-prod --retention-days 14 --wait',
      'npm run update-namespace -- --name payments-prod --clear-codec --mtls-ca-file ca.pem --wait',
    ],
    flags,
    buildInput,
    summarize: (r) =>
      r.changed ? `namespace ${r.namespace} updated` : `namespace ${r.namespace} already had these settings`,
  },
});
