import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SIGNATURE_HEADER,
  SecretSinkError,
  TIMESTAMP_HEADER,
  WebhookSecretSink,
  signWebhookBody,
  verifyWebhookSignature,
  type WebhookRequestBody,
} from '../../src/secrets';
import { everything } from '../helpers/thrown';

const TOKEN = 'tcld_secret_token_do_not_leak_0123456789';
const HMAC = 'receiver-shared-hmac-key-0123456789';

interface Received {
  headers: IncomingMessage['headers'];
  body: WebhookRequestBody;
}

/** A receiver as src/secrets/README.md describes it: verifies the signature on the raw bytes, then acts. */
class TestReceiver {
  readonly store = new Map<string, { secret: string; metadata?: Record<string, string> }>();
  readonly received: Received[] = [];
  rejected = 0;
  /** Overrides the normal handling, e.g. to fail or hang. */
  override?: (res: ServerResponse, body: WebhookRequestBody) => boolean;
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/secrets`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const ok = verifyWebhookSignature(
      raw,
      req.headers['x-signature-timestamp'],
      req.headers['x-signature-256'],
      HMAC,
      Math.floor(Date.now() / 1000),
    );
    if (!ok) {
      this.rejected++;
      res.writeHead(401).end('bad signature');
      return;
    }
    const body = JSON.parse(raw.toString('utf8')) as WebhookRequestBody;
    this.received.push({ headers: req.headers, body });
    if (this.override?.(res, body)) return;
    switch (body.action) {
      case 'put':
        this.store.set(body.name, { secret: body.secret as string, metadata: body.metadata });
        res.writeHead(204).end();
        return;
      case 'delete':
        res.writeHead(this.store.delete(body.name) ? 204 : 404).end();
        return;
      case 'has':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ exists: this.store.has(body.name) }));
        return;
    }
  }
}

let receiver: TestReceiver;
let url: string;

beforeEach(async () => {
  receiver = new TestReceiver();
  url = await receiver.start();
});

afterEach(async () => {
  await receiver.stop();
});

describe('WebhookSecretSink', () => {
  it('puts, checks and deletes through signed requests', async () => {
    const sink = new WebhookSecretSink({
      url,
      hmacSecret: HMAC,
      headers: { 'x-tenant': 'ops', 'x-signature-256': 'sha256=spoofed', 'Content-Type': 'text/plain' },
    });

    const ref = await sink.put('apikey/ns/key1', TOKEN, { keyId: 'key1' });
    expect(ref).toBe('webhook:apikey/ns/key1');
    expect(ref).not.toContain(TOKEN);
    expect(receiver.store.get('apikey/ns/key1')).toEqual({ secret: TOKEN, metadata: { keyId: 'key1' } });
    expect(await sink.has('apikey/ns/key1')).toBe(true);

    await sink.delete('apikey/ns/key1');
    expect(receiver.store.has('apikey/ns/key1')).toBe(false);
    expect(await sink.has('apikey/ns/key1')).toBe(false);
    // Absent: the receiver answers 404, which a delete treats as done.
    await expect(sink.delete('apikey/ns/key1')).resolves.toBeUndefined();

    expect(receiver.rejected).toBe(0);
    expect(receiver.received.map((r) => r.body.action)).toEqual(['put', 'has', 'delete', 'has', 'delete']);
    const [put] = receiver.received;
    expect(put?.body).toEqual({
      action: 'put',
      name: 'apikey/ns/key1',
      secret: TOKEN,
      metadata: { keyId: 'key1' },
    });
    expect(put?.headers['content-type']).toBe('application/json');
    expect(put?.headers['x-tenant']).toBe('ops');
    expect(put?.headers['x-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(Math.abs(Number(put?.headers['x-signature-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
    // The signing key itself never travels.
    expect(JSON.stringify(receiver.received)).not.toContain(HMAC);
  });

  it('overwrites on a repeated put (idempotent)', async () => {
    const sink = new WebhookSecretSink({ url, hmacSecret: HMAC });
    await sink.put('apikey/ns/key1', 'first');
    await sink.put('apikey/ns/key1', 'second');
    expect(receiver.store.get('apikey/ns/key1')?.secret).toBe('second');
  });

  it('fails on a wrong HMAC key with the status, and without the token or either key', async () => {
    const wrongKey = 'not-the-receivers-key-9876543210';
    const sink = new WebhookSecretSink({ url, hmacSecret: wrongKey });

    const error = await sink.put('apikey/ns/key1', TOKEN).catch((e: unknown) => e);

    expect(receiver.rejected).toBe(1);
    expect(receiver.store.size).toBe(0);
    expect(error).toBeInstanceOf(SecretSinkError);
    expect((error as SecretSinkError).status).toBe(401);
    expect((error as SecretSinkError).retryable).toBe(false);
    expect((error as Error).message).toContain('401');
    expect((error as Error).message).toContain('put apikey/ns/key1');
    const all = everything(error);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(wrongKey);
    expect(all).not.toContain(HMAC);
  });

  it('reports 5xx as retryable, without the token', async () => {
    receiver.override = (res) => {
      res.writeHead(503).end(`echoing a leaky body: ${TOKEN}`);
      return true;
    };
    const sink = new WebhookSecretSink({ url, hmacSecret: HMAC });
    const error = await sink.put('apikey/ns/key1', TOKEN).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/HTTP 503/);
    expect((error as SecretSinkError).retryable).toBe(true);
    expect(everything(error)).not.toContain(TOKEN);
    // Exactly one attempt: retries are the activity's job.
    expect(receiver.received).toHaveLength(1);
  });

  it('does not follow redirects (they would re-send the secret)', async () => {
    receiver.override = (res) => {
      res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      return true;
    };
    const sink = new WebhookSecretSink({ url, hmacSecret: HMAC });
    const error = await sink.put('apikey/ns/key1', TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretSinkError);
    expect(everything(error)).not.toContain(TOKEN);
  });

  it('times out without leaking the token', async () => {
    receiver.override = () => true; // never answers
    const sink = new WebhookSecretSink({ url, hmacSecret: HMAC, timeoutMs: 200 });
    const error = await sink.put('apikey/ns/key1', TOKEN).catch((e: unknown) => e);
    expect((error as Error).message).toContain('timed out after 200 ms');
    expect((error as SecretSinkError).retryable).toBe(true);
    expect(everything(error)).not.toContain(TOKEN);
  });

  it('reports an unreachable receiver without leaking the token', async () => {
    const closedUrl = url;
    await receiver.stop();
    const sink = new WebhookSecretSink({ url: closedUrl, hmacSecret: HMAC });
    const error = await sink.put('apikey/ns/key1', TOKEN).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(everything(error)).not.toContain(TOKEN);
    receiver = new TestReceiver();
    await receiver.start(); // for afterEach
  });

  it('rejects a malformed has() answer', async () => {
    receiver.override = (res, body) => {
      if (body.action !== 'has') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"exists":"yes"}');
      return true;
    };
    const sink = new WebhookSecretSink({ url, hmacSecret: HMAC });
    await expect(sink.has('apikey/ns/key1')).rejects.toThrow(/without a JSON \{"exists": boolean\} body/);
  });

  it('validates names before sending anything', async () => {
    const sink = new WebhookSecretSink({ url, hmacSecret: HMAC });
    await expect(sink.put('../escape', TOKEN)).rejects.toThrow('must not contain ".."');
    expect(receiver.received).toHaveLength(0);
  });

  it.each([
    [{ url: 'not a url' }, 'not a valid URL'],
    [{ url: 'ftp://127.0.0.1/x' }, 'must be http(s)'],
    [{ url: 'http://vault.example.com/x' }, 'must use https for non-loopback host vault.example.com'],
    [{ url: 'https://user:pw@vault.example.com/x' }, 'must not contain credentials'],
    [{ hmacSecret: '' }, 'needs an hmacSecret'],
    [{ timeoutMs: 0 }, 'timeoutMs must be a positive integer'],
  ])('refuses bad options %j', (override, message) => {
    expect(
      () => new WebhookSecretSink({ url: 'https://vault.example.com/x', hmacSecret: HMAC, ...override }),
    ).toThrow(message);
  });

  it('allows plain http to a private host only when asked', () => {
    expect(
      () =>
        new WebhookSecretSink({
          url: 'http://vault-bridge:8080/x',
          hmacSecret: HMAC,
          allowInsecureHttp: true,
        }),
    ).not.toThrow();
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"action":"put","name":"a","secret":"s"}';
  const now = 1_700_000_000;
  const signature = signWebhookBody(body, now, HMAC);

  it('accepts a valid signature within tolerance, as string or bytes', () => {
    expect(verifyWebhookSignature(body, String(now), signature, HMAC, now)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), String(now), signature, HMAC, now + 299)).toBe(true);
    expect(
      verifyWebhookSignature(
        body,
        String(now),
        signature.toUpperCase().replace('SHA256', 'sha256'),
        HMAC,
        now,
      ),
    ).toBe(true);
  });

  it('matches the documented construction', () => {
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const expected = createHmac('sha256', HMAC).update(`${now}.${body}`).digest('hex');
    expect(signature).toBe(`sha256=${expected}`);
    expect(SIGNATURE_HEADER).toBe('X-Signature-256');
    expect(TIMESTAMP_HEADER).toBe('X-Signature-Timestamp');
  });

  it.each([
    ['a tampered body', body.replace('"s"', '"t"'), String(now), signature, HMAC, now],
    ['the wrong key', body, String(now), signature, 'another-key-entirely', now],
    ['a stale timestamp', body, String(now), signature, HMAC, now + 301],
    ['a future timestamp', body, String(now), signature, HMAC, now - 301],
    ['a re-dated timestamp', body, String(now + 1), signature, HMAC, now],
    ['a missing signature', body, String(now), undefined, HMAC, now],
    ['a missing timestamp', body, undefined, signature, HMAC, now],
    ['a repeated header', body, String(now), [signature, signature], HMAC, now],
    ['a non-numeric timestamp', body, `${now}.5`, signature, HMAC, now],
    ['a truncated signature', body, String(now), signature.slice(0, -1), HMAC, now],
    ['a bare hex signature', body, String(now), signature.slice('sha256='.length), HMAC, now],
    ['an empty key', body, String(now), signature, '', now],
  ])('rejects %s', (_label, rawBody, timestamp, sig, secret, nowSec) => {
    expect(verifyWebhookSignature(rawBody, timestamp, sig, secret, nowSec)).toBe(false);
  });

  it('honours a custom tolerance', () => {
    expect(verifyWebhookSignature(body, String(now), signature, HMAC, now + 20, 10)).toBe(false);
    expect(verifyWebhookSignature(body, String(now), signature, HMAC, now + 5, 10)).toBe(true);
  });
});
