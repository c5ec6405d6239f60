import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ApiError } from './errors';
import type { JsonSchema } from './spec-loader';

export type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

/**
 * Two ajv instances: query strings and path params are text on the wire, so integers there must be
 * coerced; JSON bodies are typed already and coercing them would accept `"retentionDays": "30"`.
 * `strict: false` because OpenAPI schemas carry keywords (`format`, descriptions) ajv's strict mode
 * would reject; we never remove unknown properties silently (`removeAdditional: false`).
 */
export class SchemaValidators {
  private readonly body = new Ajv2020({ strict: false, allErrors: false, coerceTypes: false });
  private readonly text = new Ajv2020({ strict: false, allErrors: false, coerceTypes: true });

  constructor() {
    addFormats(this.body);
    addFormats(this.text);
  }

  private readonly cache = new Map<string, ValidateFunction>();

  /** Compiled validators are cached: every emulator in a process compiles the same ~20 schemas. */
  compile(schema: JsonSchema, part: HttpPart): ValidateFunction {
    const key = `${part}:${JSON.stringify(schema)}`;
    let validate = this.cache.get(key);
    if (!validate) {
      validate = (part === 'body' ? this.body : this.text).compile(schema);
      if (part === 'querystring') validate = emptyMeansAbsent(validate, schema);
      this.cache.set(key, validate);
    }
    return validate;
  }
}

/**
 * `?ownerType=` is how many clients and form encoders say "no filter", so an empty optional query
 * parameter is treated as absent, for every parameter alike (it would otherwise fail an enum or an
 * integer). Like ajv's own type coercion, this normalises the query object in place before validating.
 */
function emptyMeansAbsent(validate: ValidateFunction, schema: JsonSchema): ValidateFunction {
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return new Proxy(validate, {
    apply(target, thisArg, args: Parameters<ValidateFunction>) {
      const [data] = args;
      if (typeof data === 'object' && data !== null) {
        const query = data as Record<string, unknown>;
        for (const name of Object.keys(query)) {
          if (query[name] === '' && !required.has(name)) delete query[name];
        }
      }
      return Reflect.apply(target, thisArg, args) as ReturnType<ValidateFunction>;
    },
  });
}

let shared: SchemaValidators | undefined;
export const sharedValidators = (): SchemaValidators => (shared ??= new SchemaValidators());

const unpointer = (p: string): string[] =>
  p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** The request field an ajv error is about, as a dot path (`spec.retentionDays`). */
export function errorField(error: ErrorObject, part: string): string {
  const segments = unpointer(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    segments.push(params.missingProperty);
  } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    segments.push(params.additionalProperty);
  }
  return segments.length > 0 ? segments.join('.') : part;
}

export function validationError(errors: readonly ErrorObject[], part: string): ApiError {
  const first = errors[0];
  if (!first) return new ApiError('invalid_argument', `invalid ${part}`, part);
  const field = errorField(first, part);
  let message = first.message ?? 'is invalid';
  if (first.keyword === 'required') message = 'is required';
  if (first.keyword === 'additionalProperties') message = 'is not a known field';
  if (first.keyword === 'enum') {
    const allowed = (first.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return new ApiError('invalid_argument', `${field}: ${message}`, field);
}
