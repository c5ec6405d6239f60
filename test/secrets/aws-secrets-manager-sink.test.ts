// The Secrets Manager sink against a local stand-in that speaks the service's JSON protocol and checks every
// request's SigV4 signature (test/helpers/aws-secrets-manager-standin.ts).
import {
  AwsSecretsManagerSink,
  SecretSinkError,
  versionToken,
  type AwsSecretsManagerSinkOptions,
} from '../../src/secrets';
import {
  STANDIN_ACCESS_KEY_ID,
  STANDIN_REGION,
  STANDIN_SECRET_ACCESS_KEY,
  SecretsManagerStandIn,
} from '../helpers/aws-secrets-manager-standin';
import { everything, rejection } from '../helpers/thrown';

/** What a sink call rejected with, which must be a SecretSinkError. */
const failure = (promise: Promise<unknown>) => rejection(promise, SecretSinkError);

const TOKEN = 'tcld_secret_token_do_not_leak_0123456789';
const LATER = 'tcld_rotated_token_do_not_leak_9876543210';
const NAME = 'api-keys/key-1';
const ID = `temporal-cloud/${NAME}`;

let standIn: SecretsManagerStandIn;
let endpoint: string;

beforeEach(async () => {
  standIn = new SecretsManagerStandIn();
  endpoint = await standIn.start();
});
afterEach(() => standIn.stop());

function sink(options: Partial<AwsSecretsManagerSinkOptions> = {}): AwsSecretsManagerSink {
  return new AwsSecretsManagerSink({
    region: STANDIN_REGION,
    endpoint,
    namePrefix: 'temporal-cloud/',
    credentials: { accessKeyId: STANDIN_ACCESS_KEY_ID, secretAccessKey: STANDIN_SECRET_ACCESS_KEY },
    timeoutMs: 2_000,
    ...options,
  });
}

test('a put creates one secret below the prefix, with one signed request, the metadata as tags and the KMS key', async () => {
  const ref = await sink({ kmsKeyId: 'alias/temporal-cloud' }).put(NAME, TOKEN, {
    keyId: 'key-1',
    displayName: 'ci deployer (prod)',
    expiryTime: '2030-01-01T00:00:00Z',
  });

  expect(ref).toBe(`aws-secrets-manager:${NAME}`);
  expect(standIn.requests).toEqual([
    expect.objectContaining({ operation: 'CreateSecret', accessKeyId: STANDIN_ACCESS_KEY_ID, signed: true }),
  ]);
  expect(standIn.secret(ID)).toEqual({
    name: ID,
    kmsKeyId: 'alias/temporal-cloud',
    // A tag value keeps the characters AWS allows: "(" and ")" are not.
    tags: { keyId: 'key-1', displayName: 'ci deployer _prod_', expiryTime: '2030-01-01T00:00:00Z' },
    deleted: false,
    versions: [{ id: versionToken(ID, TOKEN), value: TOKEN, stages: ['AWSCURRENT'] }],
  });
});

test('a retried put whose first answer was lost after the commit makes no second secret or version', async () => {
  const target = sink();
  standIn.dropAfterCommit.push('CreateSecret');
  const lost = await failure(target.put(NAME, TOKEN, { keyId: 'key-1' }));
  expect(lost.retryable).toBe(true);
  expect(standIn.secret(ID)?.versions).toHaveLength(1); // committed, though the caller heard nothing

  // The activity's retry: the name is taken, so the same write goes on as PutSecretValue under the same token,
  // which Secrets Manager ignores ("the operation succeeds but does nothing"); its answer lost too, and again.
  standIn.dropAfterCommit.push('PutSecretValue');
  await failure(target.put(NAME, TOKEN, { keyId: 'key-1' }));
  await expect(target.put(NAME, TOKEN, { keyId: 'key-1' })).resolves.toBe(`aws-secrets-manager:${NAME}`);

  expect(standIn.secret(ID)?.versions).toEqual([
    { id: versionToken(ID, TOKEN), value: TOKEN, stages: ['AWSCURRENT'] },
  ]);
  expect(standIn.requests.every((r) => r.signed)).toBe(true);
});

test('a later, different value is a new current version; the old one is AWSPREVIOUS', async () => {
  const target = sink();
  await target.put(NAME, TOKEN);
  await target.put(NAME, LATER, { rotated: 'yes' });
  await target.put(NAME, LATER, { rotated: 'yes' }); // a retry of the rotation's put

  expect(standIn.secret(ID)).toMatchObject({
    tags: { rotated: 'yes' },
    versions: [
      { id: versionToken(ID, TOKEN), value: TOKEN, stages: ['AWSPREVIOUS'] },
      { id: versionToken(ID, LATER), value: LATER, stages: ['AWSCURRENT'] },
    ],
  });
});

test('putting an earlier value again makes its version current, not a new one', async () => {
  const target = sink();
  await target.put(NAME, TOKEN);
  await target.put(NAME, LATER);
  await target.put(NAME, TOKEN);

  expect(standIn.secret(ID)?.versions).toEqual([
    { id: versionToken(ID, TOKEN), value: TOKEN, stages: ['AWSCURRENT'] },
    { id: versionToken(ID, LATER), value: LATER, stages: ['AWSPREVIOUS'] },
  ]);
  expect(standIn.operations()).toContain('UpdateSecretVersionStage');
});

test('the version token depends on name and value only, and is a UUID-shaped id Secrets Manager accepts', () => {
  expect(versionToken(ID, TOKEN)).toBe(versionToken(ID, TOKEN));
  expect(versionToken(ID, TOKEN)).not.toBe(versionToken(ID, LATER));
  expect(versionToken(ID, TOKEN)).not.toBe(versionToken(`${ID}x`, TOKEN));
  expect(versionToken(ID, TOKEN)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(versionToken(ID, TOKEN)).not.toContain(TOKEN.slice(0, 8));
});

test('has and delete: deleted means scheduled for deletion; a delete again, or of nothing, succeeds', async () => {
  const target = sink({ recoveryWindowDays: 7 });
  await expect(target.has(NAME)).resolves.toBe(false);
  await target.put(NAME, TOKEN);
  await expect(target.has(NAME)).resolves.toBe(true);

  await target.delete(NAME);
  expect(standIn.secret(ID)?.deleted).toBe(true);
  await expect(target.has(NAME)).resolves.toBe(false);
  await target.delete(NAME); // refused by the API as "marked for deletion": already what delete wants
  await target.delete('api-keys/never-written');

  // A put of a name scheduled for deletion restores it and writes the value: the sink's put is an upsert.
  await target.put(NAME, LATER);
  await expect(target.has(NAME)).resolves.toBe(true);
  expect(standIn.secret(ID)?.versions.find((v) => v.stages.includes('AWSCURRENT'))?.value).toBe(LATER);
});

test('recoveryWindowDays 0 deletes at once', async () => {
  const target = sink({ recoveryWindowDays: 0 });
  await target.put(NAME, TOKEN);
  await target.delete(NAME);
  expect(standIn.secret(ID)).toBeUndefined();
  await target.delete(NAME);
});

test("a refusal is not retryable and names the operation, the secret and AWS's code; the token is in no error", async () => {
  const wrongKey = sink({
    credentials: { accessKeyId: STANDIN_ACCESS_KEY_ID, secretAccessKey: 'not-the-key' },
  });
  const refused = await failure(wrongKey.put(NAME, TOKEN));
  expect(refused.retryable).toBe(false);
  expect(refused.message).toContain(`put ${ID}`);
  expect(refused.message).toContain('InvalidSignatureException');
  for (const error of [refused, await failure(wrongKey.has(NAME))]) {
    expect(everything(error)).not.toContain(TOKEN);
    expect(everything(error)).not.toContain('not-the-key');
    expect(everything(error)).not.toContain(STANDIN_SECRET_ACCESS_KEY);
  }
});

test('throttling and an unreachable endpoint are retryable', async () => {
  standIn.override = (operation, res) => {
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: 'ThrottlingException', Message: 'Rate exceeded' }));
    return true;
  };
  const throttled = await failure(sink().put(NAME, TOKEN));
  expect(throttled.retryable).toBe(true);
  expect(throttled.message).toContain('ThrottlingException');

  await standIn.stop();
  const unreachable = await failure(sink().has(NAME));
  expect(unreachable.retryable).toBe(true);
  standIn = new SecretsManagerStandIn();
  endpoint = await standIn.start();
});

test("a proxy's 404 page is a configuration error, never an absent secret; the edge's 503 is retryable", async () => {
  let status = 404;
  standIn.override = (operation, res) => {
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end('<html><body>Not Found</body></html>');
    return true;
  };
  const notFound = await failure(sink().has(NAME));
  expect(notFound).toMatchObject({ retryable: false, status: 404 });
  expect(notFound.message).toContain("not Secrets Manager's answer (check SECRET_SINK_AWS_ENDPOINT)");
  status = 503;
  await expect(failure(sink().has(NAME))).resolves.toMatchObject({ retryable: true, status: 503 });
});

test('bad names and options are refused before any request', async () => {
  await expect(sink().put('../escape', TOKEN)).rejects.toThrow('must not contain ".."');
  await expect(sink().put(NAME, TOKEN, { 'aws:owner': 'x' })).rejects.toThrow('not a valid AWS tag key');
  expect(() => sink({ namePrefix: 'bad prefix/' })).toThrow('namePrefix may only contain');
  expect(() => sink({ recoveryWindowDays: 3 })).toThrow('recoveryWindowDays must be 0 or 7 to 30');
  expect(standIn.requests).toEqual([]);
});
