// A local AWS Secrets Manager for tests: its JSON 1.1 protocol (POST /, X-Amz-Target: secretsmanager.<Operation>),
// SigV4-checked requests, the documented behaviour of the operations the sink uses (ClientRequestToken: same token
// and value, nothing new; same token, other value, refused; staging labels; the recovery window) and its error
// shapes (400, {"__type", "Message"}). A test can drop the answer after the change is made, as a lost response.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, readBody } from './local-server';
import { checkSigV4 } from './sigv4';

export const STANDIN_REGION = 'eu-central-1';
export const STANDIN_ACCESS_KEY_ID = 'AKIASTANDIN000000001';
export const STANDIN_SECRET_ACCESS_KEY = 'standin-secret-access-key-do-not-leak-01';
const ACCOUNT = '123456789012';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';

interface Version {
  value: string;
  stages: Set<string>;
  created: number;
}

interface StoredSecret {
  arn: string;
  name: string;
  kmsKeyId: string | undefined;
  tags: Map<string, string>;
  versions: Map<string, Version>;
  created: number;
  deletedDate: number | undefined;
}

/** A secret as a test sees it: every version with its value and labels, in creation order. */
export interface SecretSnapshot {
  name: string;
  kmsKeyId: string | undefined;
  tags: Record<string, string>;
  deleted: boolean;
  versions: { id: string; value: string; stages: string[] }[];
}

export interface ReceivedRequest {
  operation: string;
  accessKeyId: string | undefined;
  signed: boolean;
  /** The raw body, for tests that look for what must not be sent. */
  body: string;
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

export class SecretsManagerStandIn extends LocalServer {
  readonly requests: ReceivedRequest[] = [];
  /** Operations whose next answer is lost after the change is made (the connection is cut). */
  readonly dropAfterCommit: string[] = [];
  /** Answers an operation instead of the stand-in when it returns true (a proxy's page, throttling, ...). */
  override?: (operation: string, res: ServerResponse) => boolean;
  private readonly secrets = new Map<string, StoredSecret>();

  secret(name: string): SecretSnapshot | undefined {
    const secret = this.secrets.get(name);
    if (!secret) return undefined;
    return {
      name: secret.name,
      kmsKeyId: secret.kmsKeyId,
      tags: Object.fromEntries(secret.tags),
      deleted: secret.deletedDate !== undefined,
      versions: [...secret.versions].map(([id, v]) => ({ id, value: v.value, stages: [...v.stages].sort() })),
    };
  }

  operations(): string[] {
    return this.requests.map((r) => r.operation);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    const check = checkSigV4(
      { method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body: raw },
      { region: STANDIN_REGION, service: 'secretsmanager' },
      (id) => (id === STANDIN_ACCESS_KEY_ID ? STANDIN_SECRET_ACCESS_KEY : undefined),
    );
    this.requests.push({ operation, accessKeyId: check.accessKeyId, signed: check.ok, body: raw.toString() });
    if (this.override?.(operation, res)) return;
    try {
      if (!check.ok) throw new ApiError(check.code, check.message);
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new ApiError('SerializationException', 'Expected a POST of application/x-amz-json-1.1');
      }
      const result = this.dispatch(operation, parseBody(raw));
      const index = this.dropAfterCommit.indexOf(operation);
      if (index >= 0) {
        this.dropAfterCommit.splice(index, 1);
        res.socket?.destroy();
        return;
      }
      send(res, 200, result);
    } catch (error) {
      // A fault of the stand-in itself answers as the service's would, rather than leaving the client waiting.
      if (!(error instanceof ApiError))
        send(res, 500, { __type: 'InternalServiceError', Message: String(error) });
      else send(res, 400, { __type: error.code, Message: error.message });
    }
  }

  private dispatch(operation: string, body: Body): Body {
    switch (operation) {
      case 'CreateSecret':
        return this.createSecret(body);
      case 'PutSecretValue':
        return this.putSecretValue(body);
      case 'GetSecretValue':
        return this.getSecretValue(body);
      case 'DescribeSecret':
        return this.describeSecret(body);
      case 'DeleteSecret':
        return this.deleteSecret(body);
      case 'RestoreSecret':
        return this.restoreSecret(body);
      case 'TagResource':
        return this.tagResource(body);
      case 'UpdateSecretVersionStage':
        return this.updateSecretVersionStage(body);
      default:
        throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  private createSecret(body: Body): Body {
    const name = text(body, 'Name');
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) throw new ApiError('ValidationException', 'Invalid name');
    const existing = this.secrets.get(name);
    if (existing?.deletedDate !== undefined) {
      throw new ApiError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    // Whatever the token: CreateSecret of a taken name is refused (a retry goes on with PutSecretValue).
    if (existing)
      throw new ApiError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    const id = token(body);
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${STANDIN_REGION}:${ACCOUNT}:secret:${name}-${randomBytes(3).toString('hex')}`,
      name,
      kmsKeyId: optionalText(body, 'KmsKeyId'),
      tags: new Map(tagsOf(body).map((t) => [t.Key, t.Value])),
      versions: new Map([
        [id, { value: text(body, 'SecretString'), stages: new Set([CURRENT]), created: now() }],
      ]),
      created: now(),
      deletedDate: undefined,
    };
    this.secrets.set(name, secret);
    return { ARN: secret.arn, Name: name, VersionId: id };
  }

  private putSecretValue(body: Body): Body {
    const secret = this.live(body);
    const id = token(body);
    const value = text(body, 'SecretString');
    const existing = secret.versions.get(id);
    if (existing) {
      if (existing.value !== value) {
        throw new ApiError('ResourceExistsException', 'A resource with the ID you requested already exists.');
      }
      // "the operation succeeds but does nothing"
      return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...existing.stages] };
    }
    secret.versions.set(id, { value, stages: new Set(), created: now() });
    moveCurrent(secret, id);
    return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [CURRENT] };
  }

  private getSecretValue(body: Body): Body {
    const secret = this.live(body);
    const stage = optionalText(body, 'VersionStage') ?? CURRENT;
    const wanted = optionalText(body, 'VersionId');
    const entry = [...secret.versions].find(([id, v]) => (wanted ? id === wanted : v.stages.has(stage)));
    if (!entry)
      throw new ApiError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value.",
      );
    const [id, version] = entry;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: id,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: version.created,
    };
  }

  private describeSecret(body: Body): Body {
    const secret = this.find(body);
    const stages = [...secret.versions].filter(([, v]) => v.stages.size > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
      ...(secret.tags.size > 0 ? { Tags: [...secret.tags].map(([Key, Value]) => ({ Key, Value })) } : {}),
      VersionIdsToStages: Object.fromEntries(stages.map(([id, v]) => [id, [...v.stages]])),
      CreatedDate: secret.created,
      ...(secret.deletedDate !== undefined ? { DeletedDate: secret.deletedDate } : {}),
    };
  }

  private deleteSecret(body: Body): Body {
    const force = body.ForceDeleteWithoutRecovery === true;
    const window = body.RecoveryWindowInDays;
    if (force && window !== undefined) {
      throw new ApiError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (window !== undefined && (typeof window !== 'number' || window < 7 || window > 30)) {
      throw new ApiError(
        'InvalidParameterException',
        'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
      );
    }
    const name = text(body, 'SecretId');
    const secret = this.secrets.get(name);
    // "If you forcibly delete an already deleted or nonexistent secret, the operation does not return ResourceNotFoundException."
    if (!secret && force) return { Name: name, DeletionDate: now() };
    if (!secret) throw notFound();
    if (force) {
      this.secrets.delete(name);
      return { ARN: secret.arn, Name: name, DeletionDate: now() };
    }
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    secret.deletedDate = now() + (typeof window === 'number' ? window : 30) * 86_400;
    return { ARN: secret.arn, Name: name, DeletionDate: secret.deletedDate };
  }

  private restoreSecret(body: Body): Body {
    const secret = this.find(body);
    secret.deletedDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  }

  private tagResource(body: Body): Body {
    const secret = this.live(body);
    for (const tag of tagsOf(body)) secret.tags.set(tag.Key, tag.Value);
    return {};
  }

  private updateSecretVersionStage(body: Body): Body {
    const secret = this.live(body);
    const stage = text(body, 'VersionStage');
    const moveTo = optionalText(body, 'MoveToVersionId');
    const removeFrom = optionalText(body, 'RemoveFromVersionId');
    const holder = [...secret.versions].find(([, v]) => v.stages.has(stage))?.[0];
    for (const id of [moveTo, removeFrom]) {
      if (id !== undefined && !secret.versions.has(id))
        throw new ApiError('InvalidParameterException', `Not a valid version: ${id}`);
    }
    if (moveTo !== undefined && holder !== undefined && holder !== moveTo && removeFrom !== holder) {
      throw new ApiError(
        'InvalidParameterException',
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (stage === CURRENT && moveTo !== undefined) moveCurrent(secret, moveTo);
    else {
      if (removeFrom !== undefined) secret.versions.get(removeFrom)!.stages.delete(stage);
      if (moveTo !== undefined) secret.versions.get(moveTo)!.stages.add(stage);
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  /** The secret named (or ARN'd) by SecretId, deleted or not. */
  private find(body: Body): StoredSecret {
    const id = text(body, 'SecretId');
    const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
    if (!secret) throw notFound();
    return secret;
  }

  /** As find, refusing a secret scheduled for deletion, as the API does for every change and read. */
  private live(body: Body): StoredSecret {
    const secret = this.find(body);
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    return secret;
  }
}

/** AWSCURRENT to `id`; the version that had it becomes AWSPREVIOUS, taking that label from whichever had it. */
function moveCurrent(secret: StoredSecret, id: string): void {
  const previous = [...secret.versions].find(([, v]) => v.stages.has(CURRENT))?.[0];
  if (previous === id) return;
  for (const version of secret.versions.values()) version.stages.delete(PREVIOUS);
  if (previous !== undefined) {
    const old = secret.versions.get(previous)!;
    old.stages.delete(CURRENT);
    old.stages.add(PREVIOUS);
  }
  secret.versions.get(id)!.stages.add(CURRENT);
}

const now = () => Math.floor(Date.now() / 1000);
const notFound = () =>
  new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  new ApiError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

function parseBody(raw: Buffer): Body {
  try {
    const body = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof body === 'object' && body !== null) return body as Body;
  } catch {
    // answered below
  }
  throw new ApiError('SerializationException', 'The request body is not a JSON object');
}

function text(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '')
    throw new ApiError('InvalidParameterException', `${field} is required`);
  return value;
}

function optionalText(body: Body, field: string): string | undefined {
  return body[field] === undefined ? undefined : text(body, field);
}

/** ClientRequestToken: 32 to 64 characters; the SDK fills one in when the caller gives none. */
function token(body: Body): string {
  const value = body.ClientRequestToken ?? randomUUID();
  if (typeof value !== 'string' || value.length < 32 || value.length > 64) {
    throw new ApiError('InvalidParameterException', 'ClientRequestToken must be 32-64 characters long.');
  }
  return value;
}

function tagsOf(body: Body): { Key: string; Value: string }[] {
  const tags = body.Tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t?.Key !== 'string' || typeof t?.Value !== 'string')) {
    throw new ApiError('InvalidParameterException', 'Tags must be a list of {Key, Value}');
  }
  return tags as { Key: string; Value: string }[];
}

function send(res: ServerResponse, status: number, body: Body): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}
