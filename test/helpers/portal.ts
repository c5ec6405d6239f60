// The whole service as `npm start` runs it (dev server, emulator with short operations, worker, events endpoint and
// portal) on free ports, with people to offboard and rotate seeded into the emulator; and a small HTTP client that
// keeps cookies and can connect from another loopback address (to be a proxy, or not).
import http from 'node:http';
import type { PortalStackOptions, Stack, StackOptions } from '../../src/service/stack';
import { startTestStack } from './service';

export interface PortalStack {
  stack: Stack;
  /** http://127.0.0.1:<port> */
  base: string;
  /** The login token, as `npm start` printed it. */
  loginToken: string;
  /** Seeds a user with one API key; returns the user's id. */
  seedUser(email: string): Promise<string>;
  /** Seeds a service account with one API key; returns its id. */
  seedServiceAccount(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startPortalStack(
  portal: PortalStackOptions,
  /** Default: operations of 300 ms, so runs finish in seconds. */
  emulatorOptions: StackOptions['emulatorOptions'] = { asyncOperationDurationMs: 300, checkDurationMs: 100 },
  /** The dev server's Web UI (for its links); default off. */
  ui = false,
  /** More of the service's environment, e.g. OPS_API_DIALECT. */
  env: Record<string, string> = {},
): Promise<PortalStack> {
  const stack = await startTestStack('portal', {
    ui,
    emulatorOptions,
    events: { host: '127.0.0.1', port: 0, portal },
    env: { PATH: process.env.PATH, ...env },
  });
  const emulator = stack.opsApi.emulator!;
  const expiry = () => new Date(Date.now() + 90 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    stack,
    base: stack.events!.url,
    loginToken: stack.portal!.generatedLoginToken!,
    async seedUser(email) {
      const { userIds } = await emulator.seed({
        users: [{ email, access: { accountAccess: { role: 'developer' } } }],
      });
      const id = userIds[0]!;
      await emulator.seed({
        apiKeys: [{ displayName: `${email}-laptop`, ownerId: id, ownerType: 'user', expiryTime: expiry() }],
      });
      return id;
    },
    async seedServiceAccount(name) {
      const { serviceAccountIds } = await emulator.seed({ serviceAccounts: [{ name, access: {} }] });
      const id = serviceAccountIds[0]!;
      await emulator.seed({
        apiKeys: [
          { displayName: `${name}-key`, ownerId: id, ownerType: 'service-account', expiryTime: expiry() },
        ],
      });
      return id;
    },
    async close() {
      await stack.stop();
    },
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A browser-less visitor: keeps cookies, sends what it is told, connects from `localAddress`. */
export class Visitor {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly base: string,
    private readonly options: { localAddress?: string; headers?: Record<string, string> } = {},
  ) {}

  get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request('GET', url, undefined, headers);
  }

  /** A form post (urlencoded), as a browser sends it from a page of the portal itself. */
  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request('POST', url, new URLSearchParams(form).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      ...headers,
    });
  }

  /** The CSRF token of the first form on `url` (for this visitor). */
  async csrf(url = '/new/namespace'): Promise<string> {
    const page = await this.get(url);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!token) throw new Error(`no CSRF token on ${url} (status ${page.status})`);
    return token;
  }

  /** Signs in with the login token. */
  async signIn(token: string, email: string): Promise<Answer> {
    return this.post('/login', { _csrf: await this.csrf('/login'), token, email, next: '/' });
  }

  request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    const target = new URL(url, this.base);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = http.request(
        target,
        {
          method,
          ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
          headers: {
            ...this.options.headers,
            ...(cookie ? { cookie } : {}),
            ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}),
            ...headers,
          },
        },
        (res) => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair] = line.split(';');
            const at = pair!.indexOf('=');
            const name = pair!.slice(0, at);
            const value = pair!.slice(at + 1);
            if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

/** Polls `fn` until it returns something other than undefined. */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
