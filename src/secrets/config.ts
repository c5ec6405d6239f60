import { z } from 'zod';
import { FileSecretSink } from './file-sink';
import { isLoopbackHost, WebhookSecretSink } from './webhook-sink';
import type { SecretSink } from './types';

export const DEFAULT_SECRET_SINK_DIR = '.data/secrets';

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

// An empty variable (`FOO=`) means "unset", as in most shells' and compose files' usage.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const kindSchema = optional(z.enum(['file', 'webhook']));
const booleanSchema = optional(z.enum(['true', 'false', '1', '0']));
const timeoutSchema = optional(
  z.string().regex(/^[1-9]\d{0,6}$/, 'must be a positive integer of milliseconds'),
);
const urlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const hmacSchema = z.string().min(16, 'must be at least 16 characters');

type Env = Record<string, string | undefined>;

/**
 * Builds the sink from `SECRET_SINK` (`file` (default) | `webhook`) and its variables:
 * `SECRET_SINK_DIR` (default `.data/secrets`); `SECRET_SINK_WEBHOOK_URL`, `SECRET_SINK_WEBHOOK_HMAC_SECRET`,
 * optional `SECRET_SINK_WEBHOOK_TIMEOUT_MS`, `SECRET_SINK_WEBHOOK_ALLOW_HTTP`.
 */
export function createSecretSinkFromEnv(env: Env = process.env): SecretSink {
  const kind = parse(env, 'SECRET_SINK', kindSchema) ?? 'file';
  if (kind === 'file') {
    return new FileSecretSink({ dir: env.SECRET_SINK_DIR || DEFAULT_SECRET_SINK_DIR });
  }
  const url = parse(env, 'SECRET_SINK_WEBHOOK_URL', required(urlSchema, 'webhook'));
  const hmacSecret = parse(env, 'SECRET_SINK_WEBHOOK_HMAC_SECRET', required(hmacSchema, 'webhook'));
  const timeout = parse(env, 'SECRET_SINK_WEBHOOK_TIMEOUT_MS', timeoutSchema);
  const allowHttp = parse(env, 'SECRET_SINK_WEBHOOK_ALLOW_HTTP', booleanSchema);
  const allowInsecureHttp = allowHttp === 'true' || allowHttp === '1';
  const parsedUrl = new URL(url);
  if (parsedUrl.protocol === 'http:' && !isLoopbackHost(parsedUrl.hostname) && !allowInsecureHttp) {
    throw new SecretSinkConfigError(
      'SECRET_SINK_WEBHOOK_URL',
      'must use https for a non-loopback host (or set SECRET_SINK_WEBHOOK_ALLOW_HTTP=true)',
    );
  }
  if (parsedUrl.username || parsedUrl.password) {
    throw new SecretSinkConfigError('SECRET_SINK_WEBHOOK_URL', 'must not contain credentials');
  }
  return new WebhookSecretSink({
    url,
    hmacSecret,
    timeoutMs: timeout === undefined ? undefined : Number(timeout),
    allowInsecureHttp,
  });
}

function required<T extends z.ZodType>(schema: T, kind: string) {
  return z
    .preprocess(
      (value) => (value === '' ? undefined : value),
      z.unknown().superRefine((value, ctx) => {
        if (value === undefined)
          ctx.addIssue({ code: 'custom', message: `is required when SECRET_SINK=${kind}` });
      }),
    )
    .pipe(schema);
}

function parse<T extends z.ZodType>(env: Env, variable: string, schema: T): z.output<T> {
  const result = schema.safeParse(env[variable]);
  if (result.success) return result.data;
  // Only zod's message, never the input: these variables may hold secrets.
  throw new SecretSinkConfigError(variable, result.error.issues[0]?.message ?? 'is invalid');
}
