// SECRET_SINK=aws-secrets-manager and SECRET_SINK=vault from the environment: each variable checked, each
// problem named by its variable, no value in any message.
import { inspect } from 'node:util';
import {
  AwsSecretsManagerSink,
  SecretSinkConfigError,
  VaultSecretSink,
  createSecretSinkFromEnv,
} from '../../src/secrets';
import { thrown } from '../helpers/thrown';

const AWS_SECRET = 'aws-secret-access-key-do-not-echo';
const VAULT_TOKEN = 'hvs.vault-token-do-not-echo';
const SECRET_ID = 'approle-secret-id-do-not-echo';

const awsEnv = { SECRET_SINK: 'aws-secrets-manager', SECRET_SINK_AWS_REGION: 'eu-central-1' };
const vaultEnv = {
  SECRET_SINK: 'vault',
  SECRET_SINK_VAULT_ADDR: 'https://vault.example.com:8200',
  SECRET_SINK_VAULT_TOKEN: VAULT_TOKEN,
};
const approleEnv = {
  SECRET_SINK: 'vault',
  SECRET_SINK_VAULT_ADDR: 'https://vault.example.com:8200',
  SECRET_SINK_VAULT_ROLE_ID: 'role-id-1',
  SECRET_SINK_VAULT_SECRET_ID: SECRET_ID,
};

const configError = (env: Record<string, string | undefined>) =>
  thrown(() => createSecretSinkFromEnv(env), SecretSinkConfigError);

describe('SECRET_SINK=aws-secrets-manager', () => {
  it('builds the sink from its variables, the region from AWS_REGION when ours is unset', () => {
    const sink = createSecretSinkFromEnv({
      ...awsEnv,
      SECRET_SINK_AWS_ENDPOINT: 'https://vpce-0abc.secretsmanager.eu-central-1.vpce.amazonaws.com',
      SECRET_SINK_AWS_NAME_PREFIX: 'temporal-cloud/',
      SECRET_SINK_AWS_KMS_KEY_ID: 'alias/temporal-cloud',
      SECRET_SINK_AWS_RECOVERY_WINDOW_DAYS: '7',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE000000001',
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    });
    expect(sink).toBeInstanceOf(AwsSecretsManagerSink);
    expect(sink).toMatchObject({
      kind: 'aws-secrets-manager',
      region: 'eu-central-1',
      namePrefix: 'temporal-cloud/',
    });
    const fromAwsRegion = createSecretSinkFromEnv({
      SECRET_SINK: 'aws-secrets-manager',
      AWS_REGION: 'us-east-1',
    });
    expect((fromAwsRegion as AwsSecretsManagerSink).region).toBe('us-east-1');
    // The SDK keeps the keys it was given; they never show in what a log would print of the sink.
    expect(inspect(sink, { depth: 12 })).not.toContain(AWS_SECRET);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    [
      'SECRET_SINK_AWS_REGION',
      { SECRET_SINK: 'aws-secrets-manager' },
      'is required when SECRET_SINK=aws-secrets-manager (or set AWS_REGION)',
    ],
    ['SECRET_SINK_AWS_REGION', { ...awsEnv, SECRET_SINK_AWS_REGION: 'Frankfurt' }, 'must be an AWS region'],
    ['AWS_REGION', { SECRET_SINK: 'aws-secrets-manager', AWS_REGION: 'eu central' }, 'must be an AWS region'],
    [
      'SECRET_SINK_AWS_ENDPOINT',
      { ...awsEnv, SECRET_SINK_AWS_ENDPOINT: 'secretsmanager.local' },
      'must be an http(s) URL',
    ],
    [
      'SECRET_SINK_AWS_ENDPOINT',
      { ...awsEnv, SECRET_SINK_AWS_ENDPOINT: 'http://localstack:4566' },
      'SECRET_SINK_AWS_ALLOW_HTTP=true',
    ],
    [
      'SECRET_SINK_AWS_NAME_PREFIX',
      { ...awsEnv, SECRET_SINK_AWS_NAME_PREFIX: 'temporal cloud/' },
      'may only contain',
    ],
    [
      'SECRET_SINK_AWS_KMS_KEY_ID',
      { ...awsEnv, SECRET_SINK_AWS_KMS_KEY_ID: 'my key' },
      'must be a KMS key id',
    ],
    [
      'SECRET_SINK_AWS_RECOVERY_WINDOW_DAYS',
      { ...awsEnv, SECRET_SINK_AWS_RECOVERY_WINDOW_DAYS: '3' },
      '0 (delete at once) or 7 to 30',
    ],
    [
      'AWS_ACCESS_KEY_ID',
      { ...awsEnv, AWS_SECRET_ACCESS_KEY: AWS_SECRET },
      'is required when AWS_SECRET_ACCESS_KEY is set',
    ],
    [
      'AWS_SECRET_ACCESS_KEY',
      { ...awsEnv, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE000000001' },
      'is required when AWS_ACCESS_KEY_ID is set',
    ],
    [
      'AWS_SECRET_ACCESS_KEY',
      { ...awsEnv, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE000000001', AWS_SECRET_ACCESS_KEY: `${AWS_SECRET} x` },
      'whitespace',
    ],
  ])('names %s (case %#)', (variable, env, problem) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(problem);
    expect(inspect(error)).not.toContain(AWS_SECRET);
  });

  it('accepts every documented form of KMS key', () => {
    for (const key of [
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      'alias/temporal-cloud',
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/temporal-cloud',
    ]) {
      expect(createSecretSinkFromEnv({ ...awsEnv, SECRET_SINK_AWS_KMS_KEY_ID: key })).toBeInstanceOf(
        AwsSecretsManagerSink,
      );
    }
  });
});

describe('SECRET_SINK=vault', () => {
  it("builds the sink with a token or an AppRole, from our variables or Vault's own", () => {
    const sink = createSecretSinkFromEnv({
      ...vaultEnv,
      SECRET_SINK_VAULT_MOUNT: 'kv',
      SECRET_SINK_VAULT_PATH_PREFIX: 'teams/platform/temporal-cloud',
      SECRET_SINK_VAULT_NAMESPACE: 'admin/platform',
    });
    expect(sink).toBeInstanceOf(VaultSecretSink);
    expect(sink).toMatchObject({ kind: 'vault', mount: 'kv', pathPrefix: 'teams/platform/temporal-cloud' });
    expect(
      createSecretSinkFromEnv({ SECRET_SINK: 'vault', VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN }),
    ).toMatchObject({ mount: 'secret', pathPrefix: '' });
    // With an AppRole, an operator's VAULT_TOKEN in the environment is not ours and is left alone.
    expect(createSecretSinkFromEnv({ ...approleEnv, VAULT_TOKEN })).toBeInstanceOf(VaultSecretSink);
    expect(
      createSecretSinkFromEnv({
        ...vaultEnv,
        SECRET_SINK_VAULT_ADDR: 'http://vault:8200',
        SECRET_SINK_VAULT_ALLOW_HTTP: 'true',
      }),
    ).toBeInstanceOf(VaultSecretSink);
    for (const built of [sink, createSecretSinkFromEnv(approleEnv)]) {
      expect(inspect(built, { depth: 12 })).not.toMatch(/do-not-echo/);
    }
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    [
      'SECRET_SINK_VAULT_ADDR',
      { SECRET_SINK: 'vault', VAULT_TOKEN },
      'is required when SECRET_SINK=vault (or set VAULT_ADDR)',
    ],
    [
      'SECRET_SINK_VAULT_ADDR',
      { ...vaultEnv, SECRET_SINK_VAULT_ADDR: 'vault:8200' },
      'must be an http(s) URL',
    ],
    [
      'VAULT_ADDR',
      { SECRET_SINK: 'vault', VAULT_ADDR: 'http://vault:8200', VAULT_TOKEN },
      'SECRET_SINK_VAULT_ALLOW_HTTP=true',
    ],
    [
      'SECRET_SINK_VAULT_ADDR',
      { ...vaultEnv, SECRET_SINK_VAULT_ADDR: 'https://u:p@vault.example.com' },
      'must not contain credentials',
    ],
    [
      'SECRET_SINK_VAULT_TOKEN',
      { ...vaultEnv, SECRET_SINK_VAULT_TOKEN: undefined },
      'or SECRET_SINK_VAULT_ROLE_ID and SECRET_SINK_VAULT_SECRET_ID',
    ],
    ['SECRET_SINK_VAULT_TOKEN', { ...vaultEnv, SECRET_SINK_VAULT_TOKEN: `${VAULT_TOKEN} ` }, 'whitespace'],
    ['SECRET_SINK_VAULT_SECRET_ID', { ...approleEnv, SECRET_SINK_VAULT_SECRET_ID: undefined }, 'is required'],
    [
      'SECRET_SINK_VAULT_ROLE_ID',
      { ...approleEnv, SECRET_SINK_VAULT_ROLE_ID: undefined },
      'is required when SECRET_SINK_VAULT_SECRET_ID is set',
    ],
    [
      'SECRET_SINK_VAULT_TOKEN',
      { ...approleEnv, SECRET_SINK_VAULT_TOKEN: VAULT_TOKEN },
      'must not be set together with SECRET_SINK_VAULT_ROLE_ID',
    ],
    [
      'SECRET_SINK_VAULT_APPROLE_MOUNT',
      { ...approleEnv, SECRET_SINK_VAULT_APPROLE_MOUNT: 'auth/../sys' },
      'must be a Vault path',
    ],
    ['SECRET_SINK_VAULT_MOUNT', { ...vaultEnv, SECRET_SINK_VAULT_MOUNT: '/secret/' }, 'must be a Vault path'],
    [
      'SECRET_SINK_VAULT_PATH_PREFIX',
      { ...vaultEnv, SECRET_SINK_VAULT_PATH_PREFIX: 'a/../b' },
      'must be a Vault path',
    ],
    ['VAULT_NAMESPACE', { ...vaultEnv, VAULT_NAMESPACE: 'admin platform' }, 'must be a Vault namespace'],
    ['SECRET_SINK_VAULT_ALLOW_HTTP', { ...vaultEnv, SECRET_SINK_VAULT_ALLOW_HTTP: 'yes' }, ''],
  ])('names %s (case %#)', (variable, env, problem) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(problem);
    expect(inspect(error)).not.toMatch(/do-not-echo/);
  });
});
