// AWS Secrets Manager as a secret sink: one secret per name (below a prefix), the token its SecretString, the
// metadata its tags. Writes are exactly once by the API's own idempotency token (see versionToken).
import { createHmac } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretResponse,
  type SecretsManagerClientConfig,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import { redact } from './redact';
import { SecretSinkError, secretRef, validateSecretName, type SecretRef, type SecretSink } from './types';

export interface AwsSecretsManagerSinkOptions {
  region: string;
  /** Another endpoint (a VPC endpoint, LocalStack, a test's stand-in); default: the region's own. */
  endpoint?: string;
  /** Put before every name, e.g. `temporal-cloud/`: the IAM policy grants this prefix only. */
  namePrefix?: string;
  /** Customer managed KMS key (id, ARN, alias) for new secrets; default: AWS's `aws/secretsmanager`. */
  kmsKeyId?: string;
  /** Days a deleted secret stays restorable (7–30), or 0 to delete it at once; default 30, as AWS's. */
  recoveryWindowDays?: number;
  /** Default: the SDK's chain (environment, shared config and SSO, web identity, ECS and EC2 roles). */
  credentials?: SecretsManagerClientConfig['credentials'];
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export const DEFAULT_AWS_TIMEOUT_MS = 10_000;
export const DEFAULT_RECOVERY_WINDOW_DAYS = 30;
/** Secrets Manager's own limit on a name, prefix included. */
const MAX_AWS_NAME_LENGTH = 512;
export const AWS_NAME_PREFIX_PATTERN = /^[A-Za-z0-9/_+=.@-]*$/;
const CURRENT = 'AWSCURRENT';
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE_UNSAFE = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;
const MAX_TAGS = 50;

// Answers a retry can get past: throttling, the service's own faults, credentials that expired meanwhile.
const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'ExpiredTokenException',
]);

// The edge's "try again", whatever its body.
const EDGE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * The version id (ClientRequestToken) of writing `secret` under `secretId`: the same pair always gives the same
 * id, so a retry whose first attempt committed is ignored by Secrets Manager ("the request is ignored"), and a
 * new value gives a new id and so a new version. CloudTrail logs this id: it is an HMAC keyed with the value,
 * so it tells only whether two writes carried the same value (an API key token cannot be guessed from it).
 */
export function versionToken(secretId: string, secret: string): string {
  const hex = createHmac('sha256', secret)
    .update(`temporal-cloud-ops secret version v1\n${secretId}`)
    .digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    '-',
  );
}

interface Write {
  secret: string;
  token: string;
  tags: Tag[];
}

/**
 * Puts each secret in Secrets Manager as `<namePrefix><name>`. Sends each request once (the SDK's own retries
 * are off): retries belong to the calling Temporal activity, and every write is idempotent.
 */
export class AwsSecretsManagerSink implements SecretSink {
  readonly kind = 'aws-secrets-manager' as const;
  readonly region: string;
  readonly namePrefix: string;
  private readonly client: SecretsManagerClient;
  private readonly kmsKeyId: string | undefined;
  private readonly recoveryWindowDays: number;

  constructor(options: AwsSecretsManagerSinkOptions) {
    const fail = (problem: string): never => {
      throw new SecretSinkError(`AwsSecretsManagerSink ${problem}`, false);
    };
    if (!options.region) fail('needs a region');
    const namePrefix = options.namePrefix ?? '';
    if (!AWS_NAME_PREFIX_PATTERN.test(namePrefix)) {
      fail('namePrefix may only contain letters, digits and "/_+=.@-"');
    }
    const window = options.recoveryWindowDays ?? DEFAULT_RECOVERY_WINDOW_DAYS;
    if (!Number.isInteger(window) || (window !== 0 && (window < 7 || window > 30))) {
      fail(`recoveryWindowDays must be 0 or 7 to 30, got ${window}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
    this.region = options.region;
    this.namePrefix = namePrefix;
    this.kmsKeyId = options.kmsKeyId || undefined;
    this.recoveryWindowDays = window;
    // The SDK warns once per process (process.emitWarning, outside the logs) that its releases after January 2027
    // need Node 22. The version is pinned (docs/dependencies.md says so): on every worker start that is noise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new SecretsManagerClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 1,
      // Without throwOnRequestTimeout the handler only logs (to the console) and goes on waiting.
      requestHandler: {
        requestTimeout: timeoutMs,
        connectionTimeout: timeoutMs,
        throwOnRequestTimeout: true,
      },
    });
  }

  /** The secret's name in Secrets Manager. */
  secretIdFor(name: string): string {
    validateSecretName(name);
    const id = this.namePrefix + name;
    if (id.length > MAX_AWS_NAME_LENGTH) {
      throw new SecretSinkError(
        `Secret name ${id} is ${id.length} characters long; Secrets Manager allows ${MAX_AWS_NAME_LENGTH}`,
        false,
      );
    }
    return id;
  }

  async put(name: string, secret: string, metadata: Record<string, string> = {}): Promise<SecretRef> {
    const id = this.secretIdFor(name);
    if (typeof secret !== 'string') throw new SecretSinkError(`Secret for ${name} must be a string`, false);
    const write: Write = { secret, token: versionToken(id, secret), tags: toTags(metadata) };
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: id,
          SecretString: secret,
          ClientRequestToken: write.token,
          ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}),
          ...(write.tags.length > 0 ? { Tags: write.tags } : {}),
        }),
      );
    } catch (error) {
      // The name is taken (by an earlier put, or this put's own attempt whose answer was lost), or it is
      // scheduled for deletion: a new version of it, under the same token, is the same write.
      const taken =
        isAwsError(error, 'ResourceExistsException') ||
        (isAwsError(error, 'InvalidRequestException') && (await this.restoreIfDeleted(id, secret)));
      if (!taken) throw failure('put', id, error, secret);
      await this.putVersion(id, write);
    }
    return secretRef(this.kind, name);
  }

  async delete(name: string): Promise<void> {
    const id = this.secretIdFor(name);
    const window =
      this.recoveryWindowDays === 0
        ? { ForceDeleteWithoutRecovery: true }
        : { RecoveryWindowInDays: this.recoveryWindowDays };
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: id, ...window }));
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return;
      // Deleting a secret already scheduled for deletion is refused: it is as gone as this delete makes it.
      if (isAwsError(error, 'InvalidRequestException') && (await this.describe(id))?.DeletedDate) return;
      throw failure('delete', id, error);
    }
  }

  async has(name: string): Promise<boolean> {
    const described = await this.describe(this.secretIdFor(name));
    return described !== undefined && !described.DeletedDate && currentVersionOf(described) !== undefined;
  }

  /** The secret as DescribeSecret shows it (never its value), or undefined when there is none. */
  private async describe(id: string): Promise<DescribeSecretResponse | undefined> {
    try {
      return await this.client.send(new DescribeSecretCommand({ SecretId: id }));
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw failure('describe', id, error);
    }
  }

  private async putVersion(id: string, write: Write): Promise<void> {
    const send = () =>
      this.client.send(
        new PutSecretValueCommand({
          SecretId: id,
          SecretString: write.secret,
          ClientRequestToken: write.token,
        }),
      );
    let stages: string[] | undefined;
    try {
      try {
        stages = (await send()).VersionStages;
      } catch (error) {
        if (!isAwsError(error, 'InvalidRequestException') || !(await this.restoreIfDeleted(id, write.secret)))
          throw error;
        stages = (await send()).VersionStages;
      }
      // An older version with this value (A, then B, then A again) is left as it was by the put: made current here.
      if (!stages?.includes(CURRENT)) await this.makeCurrent(id, write.token);
      if (write.tags.length > 0)
        await this.client.send(new TagResourceCommand({ SecretId: id, Tags: write.tags }));
    } catch (error) {
      throw failure('put', id, error, write.secret);
    }
  }

  private async makeCurrent(id: string, token: string): Promise<void> {
    const current = currentVersionOf((await this.describe(id)) ?? {});
    if (current === token) return;
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: id,
        VersionStage: CURRENT,
        MoveToVersionId: token,
        ...(current ? { RemoveFromVersionId: current } : {}),
      }),
    );
  }

  /** Cancels a scheduled deletion; false when the secret is not scheduled for deletion. */
  private async restoreIfDeleted(id: string, secret: string): Promise<boolean> {
    if (!(await this.describe(id))?.DeletedDate) return false;
    try {
      await this.client.send(new RestoreSecretCommand({ SecretId: id }));
    } catch (error) {
      throw failure('restore', id, error, secret);
    }
    return true;
  }
}

function currentVersionOf(described: DescribeSecretResponse): string | undefined {
  const entry = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes(CURRENT),
  );
  return entry?.[0];
}

/** Metadata as tags (visible to DescribeSecret, usable in IAM conditions); values keep the characters AWS allows. */
function toTags(metadata: Record<string, string>): Tag[] {
  const entries = Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length > MAX_TAGS) {
    throw new SecretSinkError(`Secrets Manager takes at most ${MAX_TAGS} tags; got ${entries.length}`, false);
  }
  return entries.map(([key, value]) => {
    if (!TAG_KEY.test(key) || key.toLowerCase().startsWith('aws:')) {
      throw new SecretSinkError(`Metadata key ${JSON.stringify(key)} is not a valid AWS tag key`, false);
    }
    return { Key: key, Value: String(value).replace(TAG_VALUE_UNSAFE, '_').slice(0, 256) };
  });
}

interface AwsErrorFields {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Where an error came from: Secrets Manager's own answer (a `__type` the SDK read), another answer (a proxy's
 * page, a JSON body without a code), or no answer at all (network, timeout, credentials not loadable).
 */
function originOf(error: unknown): 'api' | 'foreign' | 'none' {
  if (error instanceof SecretsManagerServiceException && error.name !== 'Unknown') return 'api';
  return typeof (error as AwsErrorFields | undefined)?.$metadata?.httpStatusCode === 'number'
    ? 'foreign'
    : 'none';
}

function isAwsError(error: unknown, code: string): boolean {
  return originOf(error) === 'api' && (error as Error).name === code;
}

/**
 * A SecretSinkError describing what the SDK threw (never the error itself): the API's code, status and message
 * with the value cut out; for another answer only its status (it is a configuration error unless the edge says
 * "try again"); with no answer, its cause, retryable.
 */
function failure(action: string, id: string, error: unknown, secret?: string): SecretSinkError {
  if (error instanceof SecretSinkError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorFields;
  const status = fields.$metadata?.httpStatusCode;
  const what = `AWS Secrets Manager ${action} ${id}`;
  const origin = originOf(error);
  if (origin === 'foreign') {
    return new SecretSinkError(
      `${what} got HTTP ${status} that is not Secrets Manager's answer (check SECRET_SINK_AWS_ENDPOINT)`,
      EDGE_STATUSES.has(status as number),
      status,
    );
  }
  const code = typeof fields.name === 'string' ? fields.name : 'Error';
  const message = redact(typeof fields.message === 'string' ? fields.message : String(error), [secret]);
  const retryable =
    origin === 'none' || RETRYABLE_CODES.has(code) || (status as number) >= 500 || status === 429;
  return new SecretSinkError(
    `${what} failed: ${code}${status ? ` (HTTP ${status})` : ''}: ${message}`,
    retryable,
    status,
  );
}
