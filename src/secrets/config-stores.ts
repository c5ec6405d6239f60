// The secret managers' sinks from the environment. Where the store's own tools have a standard variable
// (AWS_REGION, VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE) it stands in for ours, so a worker deployed beside
// them needs nothing twice.
import { z } from 'zod';
import {
  AWS_NAME_PREFIX_PATTERN,
  AwsSecretsManagerSink,
  DEFAULT_RECOVERY_WINDOW_DAYS,
} from './aws-secrets-manager-sink';
import {
  firstSet,
  optional,
  parse,
  required,
  serviceUrl,
  SecretSinkConfigError,
  type Env,
} from './config-env';
import { isVaultPath, VaultSecretSink } from './vault-sink';
import type { VaultAuth } from './vault-client';

const AWS = 'aws-secrets-manager';
const VAULT = 'vault';

// e.g. us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4.
const regionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1');
const namePrefixSchema = z
  .string()
  .max(300, 'must be at most 300 characters')
  .regex(AWS_NAME_PREFIX_PATTERN, 'may only contain letters, digits and "/_+=.@-"');
// A key id, a multi-Region key id, an alias, or the ARN of a key or an alias.
const kmsKeySchema = z
  .string()
  .regex(
    /^([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+)$/,
    'must be a KMS key id, key ARN, alias/<name> or alias ARN',
  );
const recoveryWindowSchema = z
  .string()
  .regex(/^(0|[7-9]|[12]\d|30)$/, 'must be 0 (delete at once) or 7 to 30 days');
const credentialSchema = z.string().regex(/^\S+$/, 'must not contain whitespace');
const vaultPathSchema = z
  .string()
  .refine(isVaultPath, 'must be a Vault path: segments of letters, digits, ".", "_" and "-" split by "/"');
const namespaceSchema = z
  .string()
  .regex(/^[A-Za-z0-9._/-]+$/, 'must be a Vault namespace path such as admin/team-a');

/**
 * `SECRET_SINK=aws-secrets-manager`: `SECRET_SINK_AWS_REGION` (or AWS_REGION, AWS_DEFAULT_REGION), optional
 * `SECRET_SINK_AWS_ENDPOINT` (+ `SECRET_SINK_AWS_ALLOW_HTTP`), `SECRET_SINK_AWS_NAME_PREFIX`,
 * `SECRET_SINK_AWS_KMS_KEY_ID`, `SECRET_SINK_AWS_RECOVERY_WINDOW_DAYS`. Credentials: AWS_ACCESS_KEY_ID with
 * AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), else the SDK's chain (profile, SSO, web identity, roles).
 */
export function awsSecretsManagerSinkFromEnv(env: Env): AwsSecretsManagerSink {
  const regionVariable = firstSet(env, 'SECRET_SINK_AWS_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION');
  const region = parse(env, regionVariable, required(regionSchema, AWS, 'AWS_REGION'));
  const { url: endpoint } = serviceUrl(env, 'SECRET_SINK_AWS_ENDPOINT', {
    allowVariable: 'SECRET_SINK_AWS_ALLOW_HTTP',
  });
  const namePrefix = parse(env, 'SECRET_SINK_AWS_NAME_PREFIX', optional(namePrefixSchema));
  const kmsKeyId = parse(env, 'SECRET_SINK_AWS_KMS_KEY_ID', optional(kmsKeySchema));
  const window = parse(env, 'SECRET_SINK_AWS_RECOVERY_WINDOW_DAYS', optional(recoveryWindowSchema));
  const credentials = staticAwsCredentials(env);
  return new AwsSecretsManagerSink({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(namePrefix ? { namePrefix } : {}),
    ...(kmsKeyId ? { kmsKeyId } : {}),
    recoveryWindowDays: window === undefined ? DEFAULT_RECOVERY_WINDOW_DAYS : Number(window),
    ...(credentials ? { credentials } : {}),
  });
}

/** Keys given in `env` (both or neither); undefined leaves them to the SDK's chain. */
function staticAwsCredentials(env: Env) {
  const accessKeyId = parse(env, 'AWS_ACCESS_KEY_ID', optional(credentialSchema));
  const secretAccessKey = parse(env, 'AWS_SECRET_ACCESS_KEY', optional(credentialSchema));
  const sessionToken = parse(env, 'AWS_SESSION_TOKEN', optional(credentialSchema));
  if (accessKeyId === undefined && secretAccessKey === undefined) {
    if (sessionToken !== undefined) {
      throw new SecretSinkConfigError(
        'AWS_SESSION_TOKEN',
        'needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      );
    }
    return undefined;
  }
  if (accessKeyId === undefined) {
    throw new SecretSinkConfigError('AWS_ACCESS_KEY_ID', 'is required when AWS_SECRET_ACCESS_KEY is set');
  }
  if (secretAccessKey === undefined) {
    throw new SecretSinkConfigError('AWS_SECRET_ACCESS_KEY', 'is required when AWS_ACCESS_KEY_ID is set');
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/**
 * `SECRET_SINK=vault`: `SECRET_SINK_VAULT_ADDR` (or VAULT_ADDR, + `SECRET_SINK_VAULT_ALLOW_HTTP`); a token,
 * `SECRET_SINK_VAULT_TOKEN` (or VAULT_TOKEN), or an AppRole, `SECRET_SINK_VAULT_ROLE_ID` and
 * `SECRET_SINK_VAULT_SECRET_ID` (`SECRET_SINK_VAULT_APPROLE_MOUNT`, default approle); optional
 * `SECRET_SINK_VAULT_MOUNT` (default secret), `SECRET_SINK_VAULT_PATH_PREFIX`, `SECRET_SINK_VAULT_NAMESPACE`
 * (or VAULT_NAMESPACE).
 */
export function vaultSinkFromEnv(env: Env): VaultSecretSink {
  const addressVariable = firstSet(env, 'SECRET_SINK_VAULT_ADDR', 'VAULT_ADDR');
  const { url: address, allowInsecureHttp } = serviceUrl(env, addressVariable, {
    allowVariable: 'SECRET_SINK_VAULT_ALLOW_HTTP',
    requiredBy: VAULT,
    orElse: 'VAULT_ADDR',
  });
  const auth = vaultAuthFromEnv(env);
  const mount = parse(env, 'SECRET_SINK_VAULT_MOUNT', optional(vaultPathSchema));
  const pathPrefix = parse(env, 'SECRET_SINK_VAULT_PATH_PREFIX', optional(vaultPathSchema));
  const namespace = parse(
    env,
    firstSet(env, 'SECRET_SINK_VAULT_NAMESPACE', 'VAULT_NAMESPACE'),
    optional(namespaceSchema),
  );
  return new VaultSecretSink({
    address: address as string,
    auth,
    allowInsecureHttp,
    ...(mount ? { mount } : {}),
    ...(pathPrefix ? { pathPrefix } : {}),
    ...(namespace ? { namespace } : {}),
  });
}

/** An AppRole when its role id is set (VAULT_TOKEN, if any, is then the operator's, not ours); else a token. */
function vaultAuthFromEnv(env: Env): VaultAuth {
  const roleId = parse(env, 'SECRET_SINK_VAULT_ROLE_ID', optional(credentialSchema));
  if (roleId === undefined) {
    const secretIdAlone = parse(env, 'SECRET_SINK_VAULT_SECRET_ID', optional(credentialSchema));
    if (secretIdAlone !== undefined) {
      throw new SecretSinkConfigError(
        'SECRET_SINK_VAULT_ROLE_ID',
        'is required when SECRET_SINK_VAULT_SECRET_ID is set',
      );
    }
    const tokenVariable = firstSet(env, 'SECRET_SINK_VAULT_TOKEN', 'VAULT_TOKEN');
    const token = parse(
      env,
      tokenVariable,
      required(
        credentialSchema,
        VAULT,
        'VAULT_TOKEN, or SECRET_SINK_VAULT_ROLE_ID and SECRET_SINK_VAULT_SECRET_ID',
      ),
    );
    return { method: 'token', token };
  }
  if (env.SECRET_SINK_VAULT_TOKEN) {
    throw new SecretSinkConfigError(
      'SECRET_SINK_VAULT_TOKEN',
      'must not be set together with SECRET_SINK_VAULT_ROLE_ID',
    );
  }
  const secretId = parse(
    env,
    'SECRET_SINK_VAULT_SECRET_ID',
    required(credentialSchema, `${VAULT} with SECRET_SINK_VAULT_ROLE_ID`),
  );
  const mount = parse(env, 'SECRET_SINK_VAULT_APPROLE_MOUNT', optional(vaultPathSchema));
  return { method: 'approle', roleId, secretId, ...(mount ? { mount } : {}) };
}
