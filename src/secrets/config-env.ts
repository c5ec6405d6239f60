// Reading a sink's environment variables: each checked by a zod schema, each problem named by its variable, and
// never a value in a message (these variables hold tokens and keys).
import { z } from 'zod';
import { isLoopbackHost } from './service-url';

/** A missing or malformed environment variable; the message names it (and never echoes secret values). */
export class SecretSinkConfigError extends Error {
  override readonly name = 'SecretSinkConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid secret sink configuration: ${variable} ${problem}`);
  }
}

export type Env = Record<string, string | undefined>;

// An empty variable (`FOO=`) means "unset", as in most shells' and compose files' usage.
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const booleanSchema = optional(z.enum(['true', 'false', '1', '0']));
const urlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** `schema` for a variable that `SECRET_SINK=<kind>` needs; `orElse` names the variable that may stand in for it. */
export function required<T extends z.ZodType>(schema: T, kind: string, orElse?: string) {
  const message = `is required when SECRET_SINK=${kind}${orElse ? ` (or set ${orElse})` : ''}`;
  return z
    .preprocess(
      (value) => (value === '' ? undefined : value),
      z.unknown().superRefine((value, ctx) => {
        if (value === undefined) ctx.addIssue({ code: 'custom', message });
      }),
    )
    .pipe(schema);
}

export function parse<T extends z.ZodType>(env: Env, variable: string, schema: T): z.output<T> {
  const result = schema.safeParse(env[variable]);
  if (result.success) return result.data;
  // Only zod's message, never the input: these variables may hold secrets.
  throw new SecretSinkConfigError(variable, result.error.issues[0]?.message ?? 'is invalid');
}

/** The first of `variables` that is set (not empty), else the first: the one a message names. */
export function firstSet(env: Env, ...variables: [string, ...string[]]): string {
  return variables.find((variable) => env[variable]) ?? variables[0];
}

export function flag(env: Env, variable: string): boolean {
  const value = parse(env, variable, booleanSchema);
  return value === 'true' || value === '1';
}

/**
 * An http(s) URL from `variable` that secrets may be sent to: https, or http to a loopback host unless
 * `allowVariable` is true; no credentials in it (they would end up in messages and logs).
 */
export function serviceUrl(
  env: Env,
  variable: string,
  options: { allowVariable: string; requiredBy?: string; orElse?: string },
): { url: string | undefined; allowInsecureHttp: boolean } {
  const schema = options.requiredBy
    ? required(urlSchema, options.requiredBy, options.orElse)
    : optional(urlSchema);
  const url = parse(env, variable, schema);
  const allowInsecureHttp = flag(env, options.allowVariable);
  if (url === undefined) return { url, allowInsecureHttp };
  const parsed = new URL(url);
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname) && !allowInsecureHttp) {
    throw new SecretSinkConfigError(
      variable,
      `must use https for a non-loopback host (or set ${options.allowVariable}=true)`,
    );
  }
  if (parsed.username || parsed.password) {
    throw new SecretSinkConfigError(variable, 'must not contain credentials');
  }
  return { url, allowInsecureHttp };
}
