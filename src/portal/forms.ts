// Form posts to workflow input: each request's form fields are its catalog kind's (src/catalog, `form`); here the
// post is read, its problems put next to their fields, and its request id made.
import { randomUUID } from 'node:crypto';
import {
  grantTemporaryAccessKind,
  offboardUserKind,
  provisionNamespaceKind,
  rotateApiKeyKind,
  rotateNamespaceCaKind,
  type AnyKind,
  type RequestType,
} from '../catalog';
import type { FormFields, FormValues } from '../catalog/form';
import type { InputProblem } from '../shared/validation';

export type { FormValues };
export { ownerValue } from '../catalog';

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

export interface FormSpec extends FormFields {
  type: RequestType;
}

/** A kind's form with the request type it posts. */
export function formOf(kind: AnyKind): FormSpec {
  if (!kind.request || !kind.form) throw new Error(`${kind.workflowType} has no portal form`);
  return { type: kind.request.type as RequestType, ...kind.form };
}

export const namespaceForm = formOf(provisionNamespaceKind);
export const rotationForm = formOf(rotateApiKeyKind);
export const caRotationForm = formOf(rotateNamespaceCaKind);
export const offboardingForm = formOf(offboardUserKind);
export const accessForm = formOf(grantTemporaryAccessKind);

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
