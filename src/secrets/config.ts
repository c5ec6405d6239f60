import { z } from 'zod';
import { optional, parse, required, serviceUrl, type Env } from './config-env';
import { awsSecretsManagerSinkFromEnv, vaultSinkFromEnv } from './config-stores';
import { FileSecretSink } from './file-sink';
import { SECRET_SINK_KINDS, type SecretSink } from './types';
import { WebhookSecretSink } from './webhook-sink';

export { SecretSinkConfigError } from './config-env';

export const DEFAULT_SECRET_SINK_DIR = '.data/secrets';

const kindSchema = optional(z.enum(SECRET_SINK_KINDS));
const timeoutSchema = optional(
  z.string().regex(/^[1-9]\d{0,6}$/, 'must be a positive integer of milliseconds'),
);
const hmacSchema = z.string().min(16, 'must be at least 16 characters');

/**
 * Builds the sink from `SECRET_SINK` (`file` (default) | `webhook` | `aws-secrets-manager` | `vault`) and its
 * variables (docs/secrets.md has them all): `SECRET_SINK_DIR` (default `.data/secrets`);
 * `SECRET_SINK_WEBHOOK_URL`, `SECRET_SINK_WEBHOOK_HMAC_SECRET`, optional `SECRET_SINK_WEBHOOK_TIMEOUT_MS`,
 * `SECRET_SINK_WEBHOOK_ALLOW_HTTP`; `SECRET_SINK_AWS_*` (config-stores.ts); `SECRET_SINK_VAULT_*` (likewise).
 */
export function createSecretSinkFromEnv(env: Env = process.env): SecretSink {
  const kind = parse(env, 'SECRET_SINK', kindSchema) ?? 'file';
  switch (kind) {
    case 'file':
      return new FileSecretSink({ dir: env.SECRET_SINK_DIR || DEFAULT_SECRET_SINK_DIR });
    case 'webhook':
      return webhookSinkFromEnv(env);
    case 'aws-secrets-manager':
      return awsSecretsManagerSinkFromEnv(env);
    case 'vault':
      return vaultSinkFromEnv(env);
  }
}

function webhookSinkFromEnv(env: Env): WebhookSecretSink {
  const { url, allowInsecureHttp } = serviceUrl(env, 'SECRET_SINK_WEBHOOK_URL', {
    allowVariable: 'SECRET_SINK_WEBHOOK_ALLOW_HTTP',
    requiredBy: 'webhook',
  });
  const hmacSecret = parse(env, 'SECRET_SINK_WEBHOOK_HMAC_SECRET', required(hmacSchema, 'webhook'));
  const timeout = parse(env, 'SECRET_SINK_WEBHOOK_TIMEOUT_MS', timeoutSchema);
  return new WebhookSecretSink({
    url: url as string,
    hmacSecret,
    timeoutMs: timeout === undefined ? undefined : Number(timeout),
    allowInsecureHttp,
  });
}
