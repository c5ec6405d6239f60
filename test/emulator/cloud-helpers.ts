/* eslint-disable @typescript-eslint/no-explicit-any -- responses are inspected ad hoc in tests */
// The /cloud side of the emulator under test: the product's client in the `cloud` dialect and raw fetch,
// both through one recorder that decodes every body the emulator answers strictly with the proto message
// the real API would answer (google.rpc.Status for errors), and every request body against the request's.
import type { Emulator, EmulatorOptions, ManualClock } from '../../src/emulator';
import { REALISM } from '../../src/emulator/realism';
import { httpStatusOfGrpc, protoJsonProblems, protoType, type CloudRoute } from '../../src/cloud-api';
import { CLOUD_ROUTES } from '../../src/emulator/cloud-requests';
import { ALL_OPERATION_IDS, OpsApiClient, type AnyOperationId } from '../../src/ops-api';
import { API_KEY, jsonRequest, parseBody, startManualEmulator } from './helpers';

export { REALISM_OFF } from './helpers';

export const VERSION = 'v0.17.0';
export const STATUS_TYPE = protoType('google.rpc.Status');

export interface Exchange {
  operationId: AnyOperationId | undefined;
  method: string;
  path: string;
  requestBody: unknown;
  status: number;
  body: any;
  headers: Headers;
}

export interface CloudApi {
  emu: Emulator;
  clock: ManualClock;
  /** The product's own client, in the real API's dialect. */
  client: OpsApiClient;
  /** Raw fetch with the API key and the version header (override or drop them with `headers`). */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string | undefined>,
  ): Promise<Exchange>;
  /** Everything answered on /cloud so far. */
  exchanges: Exchange[];
  /** Why a body did not decode strictly with its proto message (should stay empty). */
  problems: string[];
  close(): Promise<void>;
}

const patterns = ALL_OPERATION_IDS.map((id) => {
  const route: CloudRoute = CLOUD_ROUTES[id];
  return { id, verb: route.verb, re: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`) };
});

/** The operation a /cloud request is for, by the protos' HTTP rules. */
export function operationAt(method: string, path: string): AnyOperationId | undefined {
  return patterns.find(
    (p) => (p.verb === method || (method === 'HEAD' && p.verb === 'GET')) && p.re.test(path),
  )?.id;
}

/** Checks one answer: a success with the method's response message, an error as a google.rpc.Status. */
export function strictProblems(exchange: Exchange): string[] {
  const { operationId, status, body } = exchange;
  const where = `${exchange.method} ${exchange.path} ${status}`;
  if (status === 0) return [];
  if (status >= 400) {
    const problems = protoJsonProblems(STATUS_TYPE, body).map((p) => `${where}: ${p}`);
    if (!Number.isInteger(body?.code)) problems.push(`${where}: Status without an integer code`);
    // The gateway's status for the code, except where the emulator keeps its own (405, 413, 415).
    else if (![405, 413, 415].includes(status) && httpStatusOfGrpc(body.code) !== status) {
      problems.push(`${where}: code ${body.code} is HTTP ${httpStatusOfGrpc(body.code)}, not ${status}`);
    }
    return problems;
  }
  if (!operationId) return [`${where}: a success at no operation's path`];
  return protoJsonProblems(CLOUD_ROUTES[operationId].response, body).map((p) => `${where}: ${p}`);
}

export async function startCloudEmulator(opts: EmulatorOptions = {}): Promise<CloudApi> {
  const { emu, clock } = await startManualEmulator(opts);
  const exchanges: Exchange[] = [];
  const problems: string[] = [];

  // Every request of the client and of `call` goes through here.
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const sent = request.body ? parseBody(await request.clone().text()) : undefined;
    const response = await fetch(request);
    const text = await response.clone().text();
    const exchange: Exchange = {
      operationId: operationAt(request.method, url.pathname),
      method: request.method,
      path: url.pathname + url.search,
      requestBody: sent,
      status: response.status,
      body: parseBody(text),
      headers: response.headers,
    };
    if (url.pathname.startsWith('/cloud')) {
      exchanges.push(exchange);
      if (request.method !== 'HEAD') problems.push(...strictProblems(exchange));
    }
    return response;
  };

  const client = new OpsApiClient({
    baseUrl: emu.url,
    apiKey: API_KEY,
    dialect: 'cloud',
    apiVersion: VERSION,
    timeoutMs: 5_000,
    fetch: recordingFetch as typeof fetch,
  });

  const call: CloudApi['call'] = async (method, path, body, headers = {}) => {
    const all: Record<string, string | undefined> = {
      authorization: `Bearer ${API_KEY}`,
      'temporal-cloud-api-version': VERSION,
      ...headers,
    };
    const defined = Object.fromEntries(
      Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined),
    );
    await recordingFetch(emu.url + path, jsonRequest(method, body, defined));
    return exchanges[exchanges.length - 1]!;
  };

  return { emu, clock, client, call, exchanges, problems, close: () => emu.close() };
}

/** How long the emulator's /cloud answers a namespace just created with NOT_FOUND / PERMISSION_DENIED. */
export const READ_LAG_MS = REALISM.readAfterCreateLag.params.lagMs;

export const replicas = (region = 'aws-us-east-1') => [{ region }];

/** A real-API namespace spec. */
export const cloudNsSpec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  replicas: replicas(),
  retentionDays: 7,
  ...extra,
});
