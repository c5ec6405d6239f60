// Form posts to workflow input. Field names are the input's own paths (`serviceAccount.name`), so the problems the
// shared validation reports land next to the field that caused them. Empty fields are left out (the schema's
// defaults apply), numbers are numbers only when they look like one (otherwise the schema says "must be a number"),
// and a checkbox is true when sent.
import { randomUUID } from 'node:crypto';
import type { InputProblem } from '../shared/validation';
import type { RequestType } from '../requests/intake';

export type FormValues = Record<string, string>;

/** The posted fields as strings (the last of repeated ones). */
export function formValues(body: unknown): FormValues {
  // No prototype: a field named `__proto__` or `constructor` is only a field.
  const values: FormValues = Object.create(null) as FormValues;
  if (!body || typeof body !== 'object') return values;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (typeof last === 'string') values[k] = last;
  }
  return values;
}

const text = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
const num = (v: string | undefined): number | string | undefined => {
  const t = text(v);
  return t === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
};
const checked = (v: string | undefined) => v !== undefined && v !== '' && v !== 'off';
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export interface FormSpec {
  type: RequestType;
  /** Values of a fresh form. */
  defaults: FormValues;
  toData(values: FormValues): Record<string, unknown>;
  /** The form field a problem belongs to; undefined: shown above the form. */
  fieldOf(problemField: string): string | undefined;
}

/** Problems by form field ('' = the form as a whole). */
export function problemsByField(spec: FormSpec, problems: InputProblem[]): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const p of problems) {
    const field = spec.fieldOf(p.field) ?? '';
    const message = field === '' && p.field ? `${p.field}: ${p.message}` : p.message;
    byField.set(field, [...(byField.get(field) ?? []), message]);
  }
  return byField;
}

const fieldsIn = (fields: readonly string[]) => (problemField: string) => {
  // A problem deep inside a field (codecServer.endpoint) or about a group (apiKey) goes to the closest field shown.
  for (let f = problemField; f; f = f.includes('.') ? f.slice(0, f.lastIndexOf('.')) : '') {
    if (fields.includes(f)) return f;
  }
  return undefined;
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

export const namespaceForm: FormSpec = {
  type: 'namespace.requested',
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

/** `user:<id>` or `service-account:<id>`: one picker for both kinds of owner. */
export function ownerValue(ownerType: 'user' | 'service-account', id: string): string {
  return `${ownerType}:${id}`;
}

export const rotationForm: FormSpec = {
  type: 'apikey.rotation.requested',
  defaults: { gracePeriod: '7d', expiryDays: '90', deleteOldKey: 'on' },
  toData(v) {
    const owner = text(v.owner);
    const at = owner ? owner.indexOf(':') : -1;
    return defined({
      ...(owner && at > 0 ? { ownerType: owner.slice(0, at), ownerId: owner.slice(at + 1) } : {}),
      gracePeriod: text(v.gracePeriod),
      expiryDays: num(v.expiryDays),
      deleteOldKey: checked(v.deleteOldKey),
    });
  },
  fieldOf: (f) =>
    f === 'ownerId' || f === 'ownerType' || f === '' ? 'owner' : fieldsIn(['gracePeriod', 'expiryDays'])(f),
};

export const offboardingForm: FormSpec = {
  type: 'user.offboarding.requested',
  // Whether it waits for an approver is the policy's, not the form's.
  defaults: { approvalTimeout: '24h', deleteUser: 'on' },
  toData(v) {
    return defined({
      email: text(v.email),
      approvalTimeout: text(v.approvalTimeout),
      dryRun: checked(v.dryRun),
      deleteUser: checked(v.deleteUser),
    });
  },
  fieldOf: (f) => (f === '' || f === 'userId' ? 'email' : fieldsIn(['email', 'approvalTimeout'])(f)),
};

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Each rendered form carries a fresh id: submitting it twice is one request, as a re-delivered event is. */
export function newRequestId(): string {
  return randomUUID();
}

/** The intake's id of a posted form (a missing or odd id gets a new one: no deduplication, but no error). */
export function requestIdOf(values: FormValues): string {
  const id = values.requestId;
  return `portal:${id && REQUEST_ID.test(id) ? id : randomUUID()}`;
}
