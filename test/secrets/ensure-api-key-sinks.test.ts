// The key-creating activity (ensureApiKey) with each secret manager's sink, against the emulator and the sinks'
// stand-ins: a new key's token lands in the store exactly once when the store's answer is lost and the activity
// runs again (Temporal's retry), and when a worker died after the write (the activity runs again after it
// succeeded); the token is never in the activity's result or failure. That the activity's result is all that
// reaches history and logs is the workflow suites' (test/workflows/provision-namespace.test.ts) to show.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import type { EnsureApiKeyInput } from '../../src/activities/api-key-create';
import { startEmulator, type Emulator } from '../../src/emulator';
import { OpsApiClient } from '../../src/ops-api';
import { AwsSecretsManagerSink, VaultSecretSink, type SecretSink } from '../../src/secrets';
import {
  STANDIN_ACCESS_KEY_ID,
  STANDIN_REGION,
  STANDIN_SECRET_ACCESS_KEY,
  SecretsManagerStandIn,
} from '../helpers/aws-secrets-manager-standin';
import { everything } from '../helpers/thrown';
import { VAULT_ROLE_ID, VAULT_SECRET_ID, VaultStandIn } from '../helpers/vault-standin';

/** A sink on its stand-in, and what the stand-in holds for a secret name. */
interface StoreUnderTest {
  sink: SecretSink;
  /** Every value written under `name`, oldest first (one per version). */
  values(name: string): string[] | undefined;
  /** The next answer to a write is lost after the store commits it. */
  loseNextWriteAnswer(): void;
  stop(): Promise<void>;
}

async function secretsManager(): Promise<StoreUnderTest> {
  const standIn = new SecretsManagerStandIn();
  const endpoint = await standIn.start();
  const sink = new AwsSecretsManagerSink({
    region: STANDIN_REGION,
    endpoint,
    namePrefix: 'temporal-cloud/',
    credentials: { accessKeyId: STANDIN_ACCESS_KEY_ID, secretAccessKey: STANDIN_SECRET_ACCESS_KEY },
  });
  return {
    sink,
    values: (name) => standIn.secret(`temporal-cloud/${name}`)?.versions.map((v) => v.value),
    loseNextWriteAnswer: () => void standIn.dropAfterCommit.push('CreateSecret'),
    stop: () => standIn.stop(),
  };
}

async function vault(): Promise<StoreUnderTest> {
  const standIn = new VaultStandIn();
  const address = await standIn.start();
  const sink = new VaultSecretSink({
    address,
    auth: { method: 'approle', roleId: VAULT_ROLE_ID, secretId: VAULT_SECRET_ID },
    pathPrefix: 'temporal-cloud',
  });
  return {
    sink,
    values: (name) => standIn.secret(`temporal-cloud/${name}`)?.versions.map((v) => String(v.data.secret)),
    loseNextWriteAnswer: () => void standIn.dropAfterCommit.push('POST data'),
    stop: () => standIn.stop(),
  };
}

const STORES = [
  ['aws-secrets-manager', secretsManager],
  ['vault', vault],
] as const;

let emulator: Emulator;
let client: OpsApiClient;
let store: StoreUnderTest | undefined;

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: 'test-ops-api-key-0123456789' });
  client = new OpsApiClient({ baseUrl: emulator.url, apiKey: emulator.apiKey, dialect: 'openapi' });
});
afterAll(() => emulator.close());
afterEach(async () => {
  await store?.stop();
  store = undefined;
});

async function serviceAccount(name: string): Promise<string> {
  const { serviceAccountIds } = await emulator.seed({ serviceAccounts: [{ name, access: {} }] });
  return serviceAccountIds[0]!;
}

function keyInput(ownerId: string, step: string): EnsureApiKeyInput {
  return {
    displayName: 'ci-deployer',
    ownerId,
    ownerType: 'service-account',
    expiryTime: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    operationKey: `ensure-api-key-sinks/${step}`,
    metadata: { namespace: 'shop.a1b2c' },
  };
}

/** The key's token as the emulator knows it: only its sha256. */
function tokenSha256Of(keyId: string): string | undefined {
  return emulator.snapshot().apiKeys.find((k) => k.id === keyId)?.tokenSha256;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
describe.each(STORES)('%s', (kind, start) => {
  test("the store's answer lost after its commit: the activity's retry makes no second key and no second version", async () => {
    store = await start();
    const activities = createActivities({ client, secrets: store.sink });
    const ownerId = await serviceAccount(`${kind}-lost-answer`);
    const input = keyInput(ownerId, `${kind}/lost-answer`);

    store.loseNextWriteAnswer();
    const lost = await activities.ensureApiKey(input).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(lost).toBeInstanceOf(ApplicationFailure);
    expect(lost).toMatchObject({ type: 'SecretSinkFailed', nonRetryable: false });

    // Temporal's retry of the activity: the create replays the same key (its token is shown once, so not
    // again), whose token the store holds already.
    const result = await activities.ensureApiKey(input);
    expect(result).toMatchObject({ outcome: 'created', secretRef: `${kind}:api-keys/${result.keyId}` });

    const keys = await client.listApiKeys({ ownerId, ownerType: 'service-account' });
    expect(keys.apiKeys.map((k) => k.id)).toEqual([result.keyId]);
    const values = store.values(`api-keys/${result.keyId}`);
    expect(values).toHaveLength(1);
    expect(sha256(values![0]!)).toBe(tokenSha256Of(result.keyId));
    for (const output of [lost, result]) expect(everything(output)).not.toContain(values![0]);
  });

  test('a worker that died after the write: the activity runs again and finds the key and its token', async () => {
    store = await start();
    const activities = createActivities({ client, secrets: store.sink });
    const ownerId = await serviceAccount(`${kind}-killed-worker`);
    const input = keyInput(ownerId, `${kind}/killed-worker`);

    // The first attempt wrote the token, then its worker died before reporting: its result is lost.
    const first = await activities.ensureApiKey(input);
    const again = await activities.ensureApiKey(input);

    expect(again).toEqual(first);
    expect(again.outcome).toBe('created');
    const values = store.values(`api-keys/${again.keyId}`);
    expect(values).toHaveLength(1);
    expect(sha256(values![0]!)).toBe(tokenSha256Of(again.keyId));
    expect(everything(again)).not.toContain(values![0]);
  });
});
