// Form controls with their label, hint and errors tied together (aria-describedby, aria-invalid), so a screen reader
// says what is wrong where, and the values a person typed come back after an error.
import type { ComponentChildren } from 'preact';
import type { Choice } from '../directory';
import type { FormValues } from '../forms';
import { ErrorList } from './components';

export interface FieldState {
  values: FormValues;
  errors: Map<string, string[]>;
}

const idOf = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function describedBy(name: string, hint: boolean, errors: boolean): string | undefined {
  const ids = [hint ? `${idOf(name)}-hint` : '', errors ? `${idOf(name)}-errors` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Wrap({
  name,
  label,
  hint,
  state,
  children,
  inline,
}: {
  name: string;
  label: string;
  hint?: ComponentChildren;
  state: FieldState;
  children: ComponentChildren;
  inline?: boolean;
}) {
  const errors = state.errors.get(name);
  return (
    <div class={`field${errors?.length ? ' invalid' : ''}${inline ? ' inline' : ''}`} data-field={name}>
      {inline ? (
        <label for={idOf(name)}>
          {children} {label}
        </label>
      ) : (
        <>
          <label for={idOf(name)}>{label}</label>
          {children}
        </>
      )}
      {hint ? (
        <p class="hint" id={`${idOf(name)}-hint`}>
          {hint}
        </p>
      ) : null}
      <div id={`${idOf(name)}-errors`} class="errors" data-errors-for={name}>
        <ErrorList messages={errors} />
      </div>
    </div>
  );
}

interface InputProps {
  name: string;
  label: string;
  state: FieldState;
  hint?: ComponentChildren;
  type?: 'text' | 'number' | 'email' | 'url';
  required?: boolean;
  placeholder?: string;
  list?: string;
  autoFocus?: boolean;
}

export function TextField({
  name,
  label,
  state,
  hint,
  type = 'text',
  required,
  placeholder,
  list,
}: InputProps) {
  const invalid = Boolean(state.errors.get(name)?.length);
  return (
    <Wrap name={name} label={label} hint={hint} state={state}>
      <input
        id={idOf(name)}
        name={name}
        type={type}
        value={state.values[name] ?? ''}
        required={required}
        placeholder={placeholder}
        list={list}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={describedBy(name, Boolean(hint), invalid)}
        inputMode={type === 'number' ? 'numeric' : undefined}
      />
    </Wrap>
  );
}

/** A multi-line text, e.g. a pasted PEM certificate; `fileInto` adds a file picker the script reads into it. */
export function TextAreaField({
  name,
  label,
  state,
  hint,
  rows = 8,
  fileInto,
}: {
  name: string;
  label: string;
  state: FieldState;
  hint?: ComponentChildren;
  rows?: number;
  /** Accepted file types of the picker (`.pem,.crt`): its file's text replaces the field's. */
  fileInto?: string;
}) {
  const invalid = Boolean(state.errors.get(name)?.length);
  return (
    <Wrap name={name} label={label} hint={hint} state={state}>
      <textarea
        id={idOf(name)}
        name={name}
        rows={rows}
        spellcheck={false}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={describedBy(name, Boolean(hint), invalid)}
      >
        {state.values[name] ?? ''}
      </textarea>
      {fileInto ? (
        <input
          type="file"
          accept={fileInto}
          data-read-into={idOf(name)}
          aria-label={`${label}: read from a file`}
          hidden
        />
      ) : null}
    </Wrap>
  );
}

export function SelectField({
  name,
  label,
  state,
  hint,
  choices,
  placeholder,
  groups,
}: {
  name: string;
  label: string;
  state: FieldState;
  hint?: ComponentChildren;
  choices?: Choice[];
  /** Grouped choices (optgroups), e.g. users and service accounts. */
  groups?: Array<{ label: string; choices: Choice[] }>;
  placeholder?: string;
}) {
  const value = state.values[name] ?? '';
  const invalid = Boolean(state.errors.get(name)?.length);
  const option = (c: Choice) => (
    <option value={c.id} selected={c.id === value}>
      {c.label}
    </option>
  );
  return (
    <Wrap name={name} label={label} hint={hint} state={state}>
      <select
        id={idOf(name)}
        name={name}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={describedBy(name, Boolean(hint), invalid)}
      >
        {placeholder ? (
          <option value="" selected={value === ''}>
            {placeholder}
          </option>
        ) : null}
        {choices?.map(option)}
        {groups?.map((g) => (
          <optgroup label={g.label}>{g.choices.map(option)}</optgroup>
        ))}
      </select>
    </Wrap>
  );
}

export function CheckboxField({
  name,
  label,
  state,
  hint,
}: {
  name: string;
  label: string;
  state: FieldState;
  hint?: ComponentChildren;
}) {
  const invalid = Boolean(state.errors.get(name)?.length);
  return (
    <Wrap name={name} label={label} hint={hint} state={state} inline>
      <input
        id={idOf(name)}
        name={name}
        type="checkbox"
        checked={Boolean(state.values[name]) && state.values[name] !== 'off'}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={describedBy(name, Boolean(hint), invalid)}
      />
    </Wrap>
  );
}

/** Problems no single field owns, at the top of the form (focused by the script so they are read first). */
export function FormErrors({ state }: { state: FieldState }) {
  const general = state.errors.get('') ?? [];
  const count = [...state.errors.values()].reduce((n, m) => n + m.length, 0);
  if (count === 0) return null;
  return (
    <div class="form-errors" role="alert" tabindex={-1} data-form-errors="">
      <p>
        {count === 1 ? 'One thing to fix' : `${count} things to fix`} before this can start
        {general.length ? ':' : ' (marked below).'}
      </p>
      <ErrorList messages={general} />
    </div>
  );
}
