// A kind's portal form: its fields' defaults and how a post becomes the workflow's input. Field names are the input's
// own paths (`serviceAccount.name`), so the problems the shared validation reports land next to their field. Empty
// fields are left out (the schema's defaults apply), numbers are numbers only when they look like one (otherwise the
// schema says "must be a number"), and a checkbox is true when sent.

/** Posted form fields as strings. */
export type FormValues = Record<string, string>;

export interface FormFields {
  /** Values of a fresh form. */
  defaults: FormValues;
  toData(values: FormValues): Record<string, unknown>;
  /** The form field a problem belongs to; undefined: shown above the form. */
  fieldOf(problemField: string): string | undefined;
}

export const text = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
export const num = (v: string | undefined): number | string | undefined => {
  const t = text(v);
  return t === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
};
export const checked = (v: string | undefined) => v !== undefined && v !== '' && v !== 'off';
export const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** `fieldOf` for these fields: a problem deep inside one (codecServer.endpoint) or about a group goes to the closest. */
export const fieldsIn = (fields: readonly string[]) => (problemField: string) => {
  for (let f = problemField; f; f = f.includes('.') ? f.slice(0, f.lastIndexOf('.')) : '') {
    if (fields.includes(f)) return f;
  }
  return undefined;
};
