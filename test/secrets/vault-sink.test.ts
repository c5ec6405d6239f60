// The Vault sink against a local stand-in of Vault's KV v2 HTTP API (test/helpers/vault-standin.ts).
import { SecretSinkError, VaultSecretSink, type VaultSecretSinkOptions } from '../../src/secrets';
import {
  VAULT_ROLE_ID,
  VAULT_ROOT_TOKEN,
  VAULT_SECRET_ID,
  VaultStandIn,
  type VaultStandInOptions,
} from '../helpers/vault-standin';
import { everything, rejection } from '../helpers/thrown';

/** What a sink call rejected with, which must be a SecretSinkError. */
const failure = (promise: Promise<unknown>) => rejection(promise, SecretSinkError);

const TOKEN = 'tcld_secret_token_do_not_leak_0123456789';
const LATER = 'tcld_rotated_token_do_not_leak_9876543210';
const NAME = 'api-keys/key-1';
const PATH = `temporal-cloud/${NAME}`;
const APPROLE = { method: 'approle', roleId: VAULT_ROLE_ID, secretId: VAULT_SECRET_ID } as const;

let vault: VaultStandIn;
let address: string;

async function startVault(options: VaultStandInOptions = {}): Promise<void> {
  vault = new VaultStandIn(options);
  address = await vault.start();
}
beforeEach(() => startVault());
afterEach(() => vault.stop());

function sink(options: Partial<VaultSecretSinkOptions> = {}): VaultSecretSink {
  return new VaultSecretSink({
    address,
    auth: { method: 'token', token: VAULT_ROOT_TOKEN },
    pathPrefix: 'temporal-cloud',
    timeoutMs: 2_000,
    ...options,
  });
}

const writes = () => vault.requests.filter((r) => r.method === 'POST' && r.path.startsWith('secret/data/'));

test('a put writes version 1 with cas 0 below the prefix, the metadata as custom_metadata', async () => {
  const ref = await sink().put(NAME, TOKEN, { keyId: 'key-1', ownerId: 'sa-1' });

  expect(ref).toBe(`vault:${NAME}`);
  expect(vault.secret(PATH)).toEqual({
    currentVersion: 1,
    customMetadata: { keyId: 'key-1', ownerId: 'sa-1' },
    versions: [{ version: 1, data: { secret: TOKEN }, deleted: false, destroyed: false }],
  });
  expect(JSON.parse(writes()[0]!.body)).toEqual({ options: { cas: 0 }, data: { secret: TOKEN } });
  expect(vault.requests.every((r) => r.token === VAULT_ROOT_TOKEN)).toBe(true);
});

test('a retried put whose first answer was lost after the commit writes no version n+1', async () => {
  const target = sink();
  vault.dropAfterCommit.push('POST data');
  const lost = await failure(target.put(NAME, TOKEN, { keyId: 'key-1' }));
  expect(lost.retryable).toBe(true);
  expect(vault.secret(PATH)?.currentVersion).toBe(1); // committed, though the caller heard nothing

  // The activity's retry reads version 1, finds the same value there and only completes the metadata.
  vault.dropAfterCommit.push('POST metadata');
  await failure(target.put(NAME, TOKEN, { keyId: 'key-1' }));
  await expect(target.put(NAME, TOKEN, { keyId: 'key-1' })).resolves.toBe(`vault:${NAME}`);
  await target.put(NAME, TOKEN, { keyId: 'key-1' });

  expect(vault.secret(PATH)).toMatchObject({
    currentVersion: 1,
    customMetadata: { keyId: 'key-1' },
    versions: [{ version: 1, data: { secret: TOKEN } }],
  });
  expect(writes()).toHaveLength(1);
});

test('a later, different value is version 2, written with cas 1; an earlier value again is version 3', async () => {
  const target = sink();
  await target.put(NAME, TOKEN);
  await target.put(NAME, LATER);
  await target.put(NAME, LATER);
  await target.put(NAME, TOKEN);

  expect(vault.secret(PATH)?.versions.map((v) => v.data)).toEqual([
    { secret: TOKEN },
    { secret: LATER },
    { secret: TOKEN },
  ]);
  expect(writes().map((w) => (JSON.parse(w.body) as { options: { cas: number } }).options.cas)).toEqual([
    0, 1, 2,
  ]);
});

test('a writer that got in between the read and the write is seen by cas: read again, then write after it', async () => {
  const target = sink();
  await target.put(NAME, TOKEN);
  vault.override = (req) => {
    // Between this put's read and its write (cas 1), another client makes version 2.
    if (req.method === 'POST' && req.url?.includes('/data/')) {
      vault.override = undefined;
      vault.writeAsAnotherClient(PATH, { secret: 'another-clients-value' });
    }
    return false;
  };
  await target.put(NAME, LATER);

  expect(vault.secret(PATH)?.versions.map((v) => v.data.secret)).toEqual([
    TOKEN,
    'another-clients-value',
    LATER,
  ]);
  expect(writes().map((w) => (JSON.parse(w.body) as { options: { cas: number } }).options.cas)).toEqual([
    0, 1, 2,
  ]);
});

test('a soft-deleted current version is written over with cas set to its number', async () => {
  const target = sink();
  await target.put(NAME, TOKEN);
  vault.softDelete(PATH);
  await expect(target.has(NAME)).resolves.toBe(false);

  await target.put(NAME, TOKEN);
  await expect(target.has(NAME)).resolves.toBe(true);
  expect(vault.secret(PATH)?.versions.map((v) => v.deleted)).toEqual([true, false]);
});

test('has and delete: delete removes every version; again, or of nothing, succeeds', async () => {
  const target = sink();
  await expect(target.has(NAME)).resolves.toBe(false);
  await target.put(NAME, TOKEN);
  await target.put(NAME, LATER);
  await expect(target.has(NAME)).resolves.toBe(true);
  await target.delete(NAME);
  expect(vault.secret(PATH)).toBeUndefined();
  await expect(target.has(NAME)).resolves.toBe(false);
  await target.delete(NAME);
});

test('AppRole: one login for many requests, and a login again when Vault refuses the expired token', async () => {
  const target = sink({ auth: APPROLE });
  await target.put(NAME, TOKEN);
  await target.has(NAME);
  expect(vault.logins).toBe(1);

  vault.expireLogins();
  await expect(target.has(NAME)).resolves.toBe(true);
  expect(vault.logins).toBe(2);

  const wrong = await failure(sink({ auth: { ...APPROLE, secretId: 'wrong-secret-id-0001' } }).has(NAME));
  expect(wrong).toMatchObject({ retryable: false, status: 400 });
  expect(wrong.message).toContain('invalid role or secret ID');
  expect(everything(wrong)).not.toContain('wrong-secret-id-0001');
});

test('a namespace is sent as X-Vault-Namespace', async () => {
  await vault.stop();
  await startVault({ namespace: 'admin/platform' });
  await expect(sink().has(NAME)).rejects.toThrow('HTTP 403: permission denied');
  await sink({ namespace: 'admin/platform' }).put(NAME, TOKEN);
  expect(vault.secret(PATH)?.currentVersion).toBe(1);
});

test('refusals name the action and path, never the token, the Vault token or the AppRole secret id', async () => {
  const denied = await failure(
    sink({ auth: { method: 'token', token: 'hvs.not-a-valid-token' } }).put(NAME, TOKEN),
  );
  expect(denied).toMatchObject({ retryable: false, status: 403 });
  expect(denied.message).toBe(`Vault read secret/data/${PATH} failed with HTTP 403: permission denied`);

  vault.override = (req, res) => {
    // A Vault error that quotes what it was sent: cut out before it reaches the error.
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [`bad input ${TOKEN} for ${VAULT_ROOT_TOKEN}`] }));
    return true;
  };
  const quoted = await failure(sink().put(NAME, TOKEN));
  for (const error of [denied, quoted]) {
    for (const secret of [TOKEN, VAULT_ROOT_TOKEN, 'hvs.not-a-valid-token', VAULT_SECRET_ID]) {
      expect(everything(error)).not.toContain(secret);
    }
  }
  expect(quoted.message).toContain('bad input [redacted] for [redacted]');
});

test("no such mount and a proxy's page are configuration errors, never an absent secret; a sealed Vault is retryable", async () => {
  const noMount = await failure(sink({ mount: 'kv-missing' }).has(NAME));
  expect(noMount).toMatchObject({ retryable: false, status: 404 });
  expect(noMount.message).toContain('no handler for route');

  let status = 404;
  vault.override = (req, res) => {
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end('<html>Not Found</html>');
    return true;
  };
  const page = await failure(sink().has(NAME));
  expect(page).toMatchObject({ retryable: false, status: 404 });
  expect(page.message).toContain("not Vault's answer (check SECRET_SINK_VAULT_ADDR)");
  status = 503;
  await expect(failure(sink().has(NAME))).resolves.toMatchObject({ retryable: true, status: 503 });

  vault.override = (req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: ['Vault is sealed'] }));
    return true;
  };
  await expect(failure(sink().put(NAME, TOKEN))).resolves.toMatchObject({ retryable: true, status: 503 });
});

test('bad names, metadata and options are refused before any request', async () => {
  await expect(sink().put('../escape', TOKEN)).rejects.toThrow('must not contain ".."');
  await expect(sink().put(NAME, TOKEN, { ['k'.repeat(129)]: 'v' })).rejects.toThrow(
    'not a valid Vault metadata key',
  );
  expect(() => sink({ mount: '../sys' })).toThrow('is not a path of Vault');
  expect(() => sink({ address: 'http://vault.example.com:8200' })).toThrow('must use https');
  expect(() => sink({ auth: { method: 'token', token: '' } })).toThrow('needs a token');
  expect(vault.requests).toEqual([]);
});
