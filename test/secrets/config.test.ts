import path from 'node:path';
import {
  FileSecretSink,
  SecretSinkConfigError,
  WebhookSecretSink,
  createSecretSinkFromEnv,
} from '../../src/secrets';
import { thrown } from '../helpers/thrown';

const HMAC = 'receiver-shared-hmac-key-0123456789';
const webhookEnv = {
  SECRET_SINK: 'webhook',
  SECRET_SINK_WEBHOOK_URL: 'https://vault.example.com/hook',
  SECRET_SINK_WEBHOOK_HMAC_SECRET: HMAC,
};

const configError = (env: Record<string, string | undefined>) =>
  thrown(() => createSecretSinkFromEnv(env), SecretSinkConfigError);

describe('createSecretSinkFromEnv', () => {
  it('defaults to a file sink under .data/secrets', () => {
    const sink = createSecretSinkFromEnv({});
    expect(sink).toBeInstanceOf(FileSecretSink);
    expect((sink as FileSecretSink).dir).toBe(path.resolve('.data/secrets'));
    expect(createSecretSinkFromEnv({ SECRET_SINK: '' })).toBeInstanceOf(FileSecretSink);
  });

  it('uses SECRET_SINK_DIR', () => {
    const sink = createSecretSinkFromEnv({ SECRET_SINK: 'file', SECRET_SINK_DIR: '/var/lib/ops/secrets' });
    expect((sink as FileSecretSink).dir).toBe('/var/lib/ops/secrets');
  });

  it('builds a webhook sink', () => {
    const sink = createSecretSinkFromEnv({ ...webhookEnv, SECRET_SINK_WEBHOOK_TIMEOUT_MS: '2500' });
    expect(sink).toBeInstanceOf(WebhookSecretSink);
    expect((sink as WebhookSecretSink).endpoint).toBe('https://vault.example.com/hook');
    expect(
      createSecretSinkFromEnv({
        ...webhookEnv,
        SECRET_SINK_WEBHOOK_URL: 'http://vault-bridge:8080/hook',
        SECRET_SINK_WEBHOOK_ALLOW_HTTP: 'true',
      }),
    ).toBeInstanceOf(WebhookSecretSink);
  });

  it.each([
    [{ SECRET_SINK: 'hashicorp' }, 'SECRET_SINK'],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_URL: undefined },
      'SECRET_SINK_WEBHOOK_URL',
      'is required when SECRET_SINK=webhook',
    ],
    [{ ...webhookEnv, SECRET_SINK_WEBHOOK_URL: '' }, 'SECRET_SINK_WEBHOOK_URL', 'is required'],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_URL: 'vault.example.com' },
      'SECRET_SINK_WEBHOOK_URL',
      'must be an http(s) URL',
    ],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_URL: 'ftp://vault.example.com' },
      'SECRET_SINK_WEBHOOK_URL',
      'must be an http(s) URL',
    ],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_URL: 'http://vault.example.com' },
      'SECRET_SINK_WEBHOOK_URL',
      'must use https',
    ],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_URL: 'https://u:p@vault.example.com' },
      'SECRET_SINK_WEBHOOK_URL',
      'credentials',
    ],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_HMAC_SECRET: undefined },
      'SECRET_SINK_WEBHOOK_HMAC_SECRET',
      'is required',
    ],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_HMAC_SECRET: 'short-key' },
      'SECRET_SINK_WEBHOOK_HMAC_SECRET',
      'at least 16',
    ],
    [
      { ...webhookEnv, SECRET_SINK_WEBHOOK_TIMEOUT_MS: 'soon' },
      'SECRET_SINK_WEBHOOK_TIMEOUT_MS',
      'positive integer',
    ],
    [{ ...webhookEnv, SECRET_SINK_WEBHOOK_ALLOW_HTTP: 'yes' }, 'SECRET_SINK_WEBHOOK_ALLOW_HTTP'],
  ])('names the variable in %j', (env, variable, problem = '') => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(problem);
  });

  it('never echoes the HMAC secret', () => {
    const error = configError({ ...webhookEnv, SECRET_SINK_WEBHOOK_HMAC_SECRET: 'tiny-secret' });
    expect(error.message).not.toContain('tiny-secret');
  });
});
