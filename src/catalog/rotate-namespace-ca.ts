// rotateNamespaceCa: roll a namespace's mTLS CA over — the new CA beside the old, a grace period, the old one removed.
// One rollover per namespace at a time.
import { parseDurationMs, rotateNamespaceCaInput, type RotateNamespaceCaInput } from '../shared/validation';
import type { CaSummary } from '../activities/namespace-ca';
import type { CaRotationStep, rotateNamespaceCa } from '../workflows/rotate-namespace-ca';
import { caFileToBase64, CUTOVER_SIGNALS } from './flags';
import { defined, fieldsIn, text, type FormFields } from './form';
import { defineKind, workflowNamed } from './kind';

export const rotateNamespaceCaId = (namespace: string) => `rotate-namespace-ca/${namespace}`;

const STEPS: Record<CaRotationStep, string> = {
  validating: 'Check the request',
  inspecting: 'Read the accepted CAs and check the new one',
  'adding-new-ca': 'Add the new CA beside the old',
  'waiting-for-new-ca': 'Wait until both CAs are accepted',
  'awaiting-approval': 'Wait for approval to remove the old CA',
  'grace-period': 'Grace period (old and new CA accepted)',
  'removing-old-ca': 'Remove the old CA',
  restoring: 'Abort: put the accepted CAs back',
  completed: 'Completed',
  aborted: 'Aborted',
  failed: 'Failed',
};

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/** Pasted PEM goes as base64, as the API carries a bundle; anything else as it is, for the schema to judge. */
const pemAsBase64 = (v: string | undefined): string | undefined => {
  const t = text(v);
  return t && PEM.test(t) ? Buffer.from(t, 'utf8').toString('base64') : t;
};

const form: FormFields = {
  defaults: { gracePeriod: '7d' },
  toData: (v) =>
    defined({ namespace: text(v.namespace), newCa: pemAsBase64(v.newCa), gracePeriod: text(v.gracePeriod) }),
  fieldOf: fieldsIn(['namespace', 'newCa', 'gracePeriod']),
};

const names = (cas: CaSummary[]) => cas.map((c) => c.subject).join(', ') || 'none';

export const rotateNamespaceCaKind = defineKind({
  workflow: workflowNamed<typeof rotateNamespaceCa>('rotateNamespaceCa'),
  title: 'mTLS CA rotation',
  schema: rotateNamespaceCaInput,
  workflowId: (input) => rotateNamespaceCaId(input.namespace),
  keyField: () => 'namespace',
  // One rollover per namespace at a time; a closed one does not block the next.
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: STEPS,
  outcome: (r) =>
    r.outcome === 'aborted'
      ? { stoppedAfter: 'grace-period', label: 'Aborted: the accepted CAs were put back' }
      : r.outcome === 'unchanged'
        ? { stoppedAfter: 'inspecting', label: 'Nothing to do: the new CA was accepted already' }
        : r.removed.length === 0
          ? { stoppedAfter: 'waiting-for-new-ca', label: 'Completed (no old CA to remove)' }
          : { label: 'Completed' },
  approval: {
    kinds: ['ca-rotation', 'ca-removal'],
    facts(policy, input) {
      const grace = parseDurationMs(input.gracePeriod ?? '7d') ?? 0;
      const short = grace < parseDurationMs(policy.minGracePeriod)!;
      return {
        kinds: short ? ['ca-rotation', 'ca-removal'] : ['ca-rotation'],
        namespaces: [input.namespace],
      };
    },
  },
  request: { type: 'namespace.ca.rotation.requested' },
  form,
  starter: {
    name: 'rotate-namespace-ca',
    summary:
      "Rolls a namespace's mTLS CA over: adds the new CA certificate(s) beside those it accepts, keeps both for a " +
      'grace period so clients can move, then removes the old ones (every CA accepted at the start, or those ' +
      '--replace names). Certificates that are expired, not valid yet, not a CA or malformed are refused before ' +
      'anything changes. --confirm-cutover and --abort signal the running rollover of the namespace. A grace ' +
      "period under the approval policy's minimum (24h by default) waits for an approver before the old CA goes.",
    examples: [
      'npm run rotate-namespace-ca -- --namespace payments-prod --ca-file new-ca.pem --grace 7d --wait',
      'npm run rotate-namespace-ca -- --namespace payments-prod --confirm-cutover',
      'npm run rotate-namespace-ca -- --namespace payments-prod --abort="clients not ready"',
    ],
    flags: {
      namespace: {
        type: 'string',
        field: 'namespace',
        valueName: 'NAME',
        description: 'the namespace (required: one rollover per namespace at a time)',
      },
      'ca-file': {
        type: 'file',
        field: 'newCa',
        valueName: 'PEM_FILE',
        description: 'the new CA certificate(s), PEM (required to start)',
      },
      grace: {
        type: 'string',
        field: 'gracePeriod',
        valueName: 'DURATION',
        description: 'how long old and new CAs are both accepted, e.g. 7d, 12h, 0 (default 7d)',
      },
      replace: {
        type: 'string',
        field: 'replace',
        valueName: 'FINGERPRINTS',
        description:
          'SHA-256 fingerprints (comma-separated) of the CAs to remove (default: every CA accepted now)',
      },
      'confirm-cutover': {
        type: 'boolean',
        description: 'signal the running rollover: clients have moved, end the grace period',
      },
      abort: {
        type: 'optional-value',
        valueName: 'REASON',
        description: 'signal the running rollover: put the accepted CAs back as they were',
      },
    },
    buildInput(v, ctx): RotateNamespaceCaInput {
      const ca = v['ca-file'];
      const newCa = ca && caFileToBase64(ca);
      if (ca && !newCa) ctx.problem('ca-file', `${ca.path} has no PEM certificate`);
      const replace = v.replace
        ?.split(',')
        .map((fp) => fp.trim())
        .filter(Boolean);
      return {
        namespace: v.namespace as string, // undefined is reported by the schema as "is required"
        newCa: newCa as string,
        ...(v.grace !== undefined ? { gracePeriod: v.grace } : {}),
        ...(replace ? { replace } : {}),
      };
    },
    decisions: true,
    // Every decision names who takes it: the run checks it against its requester and approvers.
    signals: CUTOVER_SIGNALS,
    summarize: (r) =>
      r.outcome === 'aborted'
        ? `rollover of ${r.namespace} aborted: ${r.restored ? 'the accepted CAs were put back' : 'nothing had changed'}`
        : r.outcome === 'unchanged'
          ? `${r.namespace} accepts the new CA already; nothing to remove`
          : `${r.namespace} accepts ${names(r.accepted)}; removed ${names(r.removed)}`,
  },
});
