/* eslint-disable @typescript-eslint/no-explicit-any -- responses are inspected ad hoc in tests */
import {
  ManualClock,
  REALISM_SWITCHES,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../../src/emulator';

/** Loosely-typed JSON for ad hoc assertions. */
export type Json = any;

export const API_KEY = 'emulator-test-key-3f9a';
export const T0 = Date.UTC(2026, 0, 15, 10, 30, 0);

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface TestApi {
  emu: Emulator;
  clock: ManualClock;
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply<T>>;
  get<T = any>(path: string): Promise<Reply<T>>;
  post<T = any>(path: string, body: unknown): Promise<Reply<T>>;
  del<T = any>(path: string): Promise<Reply<T>>;
  close(): Promise<void>;
}

/** A body as JSON when it is JSON, else as the text itself (undefined when empty). */
export function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/** A request with a JSON body (a string is sent as it is, to test malformed ones), or none. */
export function jsonRequest(method: string, body: unknown, headers: Record<string, string>): RequestInit {
  if (body === undefined) return { method, headers };
  return {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

export function httpClient(url: string, apiKey: string): Pick<TestApi, 'call' | 'get' | 'post' | 'del'> {
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${apiKey}` },
  ): Promise<Reply<T>> => {
    const response = await fetch(url + path, jsonRequest(method, body, headers));
    const text = await response.text();
    return { status: response.status, body: parseBody(text) as T, text, headers: response.headers };
  };
  return {
    call,
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    del: (path) => call('DELETE', path),
  };
}

/** Every realism switch off: the wire format and the store alone, as these tests check them (a test turns some on). */
export const REALISM_OFF = Object.fromEntries(REALISM_SWITCHES.map((s) => [s, false]));

/** An emulator on a manual clock at T0, with the test key and every realism switch off unless `opts` say so. */
export async function startManualEmulator(
  opts: EmulatorOptions = {},
): Promise<{ emu: Emulator; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const emu = await startEmulator({ apiKey: API_KEY, clock, ...opts, realism: opts.realism ?? REALISM_OFF });
  return { emu, clock };
}

/** An emulator on a manual clock, with a fetch-based caller. */
export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<TestApi> {
  const { emu, clock } = await startManualEmulator(opts);
  return { emu, clock, ...httpClient(emu.url, opts.apiKey ?? API_KEY), close: () => emu.close() };
}

/** Seeds, active, a namespace `existing`, a user with this email and a service account with this name: their ids. */
export async function seedExisting(emu: Emulator, email: string, serviceAccount: string) {
  const seeded = await emu.seed({
    namespaces: [{ name: 'existing', region: 'aws-us-east-1', retentionDays: 7 }],
    users: [{ email }],
    serviceAccounts: [{ name: serviceAccount }],
  });
  return { nsId: seeded.namespaceIds[0]!, userId: seeded.userIds[0]!, saId: seeded.serviceAccountIds[0]! };
}

/** The next accepted `operationId` fails its async operation with `reason` (the async-fail fault, once). */
export const failNextOperation = (emu: Emulator, operationId: string, reason: string): string =>
  emu.faults.add({ kind: 'async-fail', operationId, reason, count: 1 });

export const nsSpec = (name: string, extra: Record<string, unknown> = {}) => ({
  spec: { name, region: 'aws-us-east-1', retentionDays: 7, ...extra },
});

export const inDays = (from: number, days: number): string =>
  new Date(from + days * 86_400_000).toISOString();
