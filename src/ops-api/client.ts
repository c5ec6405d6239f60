// The Ops API client: the one request path (the dialect encodes and decodes; this sends and maps errors) under
// the typed operations of operations.ts.
import ky, { TimeoutError, type KyInstance } from 'ky';
import {
  EmptyPathParameterError,
  NotTheApiError,
  UnsupportedOperationError,
  selectDialect,
  type Dialect,
  type DialectName,
  type WireRequest,
} from './dialects';
import { EDGE_STATUSES, OpsApiError, parseRetryAfter } from './errors';
import type { MutationLimiter } from './mutation-gate';
import { isCapability, isMutation } from './types';
import { OpsApiOperations } from './operations';
import type {
  AccountRole,
  AnyOperationId,
  AsyncOperation,
  Capability,
  ListRegionsResponse,
  OperationInput,
  OperationOutput,
} from './types';

export interface OpsApiClientConfig {
  /** e.g. https://saas-api.tmprl.cloud */
  baseUrl: string;
  /** Bearer API key. Kept in a closure, never on the instance, so it cannot be logged by accident. */
  apiKey: string;
  /**
   * `openapi` (the given document) or `cloud` (the real API), by name or as selected already (selectDialect);
   * default from the base URL's host.
   */
  dialect?: DialectName | Dialect;
  /** The `cloud` dialect's pinned `temporal-cloud-api-version`. */
  apiVersion?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Caps the async operations in flight (see MutationGate, and the fleet's in src/fleet/). */
  mutationGate?: MutationLimiter;
  /**
   * Awaited before each request: the place for a rate limiter. What it returns, if a function, is called once the
   * request's answer (or failure) is in.
   */
  beforeRequest?: (operationId: AnyOperationId) => Promise<void | (() => void)> | void | (() => void);
  /** Called after each request with its outcome: the place for metrics and request logs. */
  afterRequest?: (event: RequestEvent) => void;
  /** Test seam; defaults to global fetch. */
  fetch?: typeof fetch;
}

export interface RequestEvent {
  operationId: AnyOperationId;
  method: string;
  status: number | undefined;
  durationMs: number;
  error?: OpsApiError;
}

export const DEFAULT_USER_AGENT = 'temporal-cloud-ops/0.1';

/** How long a route proof (see proveRoutes) vouches for this client's routes. */
export const ROUTE_PROOF_MS = 60_000;

const FINISHED: ReadonlySet<string> = new Set(['fulfilled', 'failed', 'cancelled', 'rejected']);
/** Failures after which a mutation may have been applied although no answer said so. */
const MAYBE_STARTED: ReadonlySet<string> = new Set(['timeout', 'network', 'edge']);

/**
 * Typed client for the 19 operations of the Ops API, in either dialect. One request path does all I/O
 * and error mapping; there are no retries here because Temporal activities own retrying.
 */
export class OpsApiClient extends OpsApiOperations {
  readonly baseUrl: string;
  readonly dialect: Dialect;
  readonly #http: KyInstance;
  readonly #config: OpsApiClientConfig;
  #lastProbe = -Infinity;
  #routesProvenAt = -Infinity;
  #routeProof: Promise<void> | undefined;
  #regions: ListRegionsResponse | undefined;

  constructor(config: OpsApiClientConfig) {
    super();
    if (!config.baseUrl) throw new Error('OpsApiClient: baseUrl is required');
    if (!config.apiKey) throw new Error('OpsApiClient: apiKey is required');
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.dialect =
      typeof config.dialect === 'object'
        ? config.dialect
        : selectDialect({
            baseUrl: this.baseUrl,
            ...(config.dialect ? { dialect: config.dialect } : {}),
            ...(config.apiVersion ? { apiVersion: config.apiVersion } : {}),
          });
    this.#config = config;
    this.#http = ky.create({
      prefixUrl: this.baseUrl,
      timeout: config.timeoutMs ?? 30_000,
      retry: 0,
      throwHttpErrors: false,
      headers: {
        authorization: `Bearer ${config.apiKey}`,
        'user-agent': config.userAgent ?? DEFAULT_USER_AGENT,
        accept: 'application/json',
        ...this.dialect.headers,
      },
      ...(config.fetch ? { fetch: config.fetch } : {}),
    });
  }

  /** Whether the API behind this client offers the operation or capability (its dialect decides). */
  supports(what: AnyOperationId | Capability): boolean {
    return isCapability(what) ? this.dialect.capabilities.has(what) : this.dialect.supports(what);
  }

  /** The account role an account-wide service account gets when none is asked for (see Dialect). */
  get defaultServiceAccountRole(): AccountRole | undefined {
    return this.dialect.defaultServiceAccountRole;
  }

  /** The one request path: the dialect encodes and decodes, this does the I/O and the error mapping. */
  override async call<Op extends AnyOperationId>(
    operationId: Op,
    input: OperationInput<Op>,
  ): Promise<OperationOutput<Op>> {
    let wire;
    try {
      wire = this.dialect.encode(operationId, input);
    } catch (err) {
      if (!(err instanceof EmptyPathParameterError || err instanceof UnsupportedOperationError)) throw err;
      throw new OpsApiError({
        operationId,
        kind: 'invalid_request',
        code: 'invalid_argument',
        message: err.message,
      });
    }
    const gate = isMutation(operationId) ? this.#config.mutationGate : undefined;
    // The operation this mutation starts, if it is known before an answer arrives (a client-chosen id).
    const chosenId = (input as { asyncOperationId?: string }).asyncOperationId;
    const slot = gate
      ? await gate.take(this.#config.timeoutMs ?? 30_000, chosenId, (ids) => this.#probe(ids))
      : undefined;
    if (gate && !slot) {
      throw new OpsApiError({
        operationId,
        kind: 'throttled',
        code: 'rate_limited',
        message:
          gate.fullMessage ??
          `${gate.limit} async operations of this worker are still running; try again when one finishes`,
        retryAfterMs: 5_000,
      });
    }
    let result: OperationOutput<Op> | undefined;
    try {
      result = await this.#send(operationId, wire);
      return result;
    } catch (err) {
      // A mutation that timed out, or whose answer the edge replaced, may still run on the server: its slot
      // stays taken while it might.
      if (gate && chosenId && err instanceof OpsApiError && MAYBE_STARTED.has(err.kind))
        result = { asyncOperationId: chosenId } as OperationOutput<Op>;
      throw err;
    } finally {
      if (slot) {
        const started = (result as { asyncOperationId?: string } | undefined)?.asyncOperationId;
        if (started) slot.hold(started);
        else slot.release();
      }
      if (operationId === 'getAsyncOperation' && result && FINISHED.has((result as AsyncOperation).state))
        this.#config.mutationGate?.finished((result as AsyncOperation).id);
    }
  }

  /**
   * Proves that this client's requests reach the API's routes: a route that always exists (listRegions) answers.
   * A gateway answers an unknown path with the same NOT_FOUND as a missing resource, so a "not found" is believed
   * only after this. One proof serves every caller for ROUTE_PROOF_MS (the base URL does not change); callers
   * arriving while one is in flight share it. A wrong route fails here as OpsApiMisconfigured.
   */
  proveRoutes(): Promise<void> {
    if (performance.now() - this.#routesProvenAt < ROUTE_PROOF_MS) return Promise.resolve();
    this.#routeProof ??= this.listRegions()
      .then((regions) => {
        this.#regions = regions;
        this.#routesProvenAt = performance.now();
      })
      .finally(() => (this.#routeProof = undefined));
    return this.#routeProof;
  }

  /**
   * The account's regions, as the route proof last read them (at most ROUTE_PROOF_MS ago): one listRegions a minute
   * serves every input check and every proof. Regions change on Temporal's schedule, not by minutes; a region
   * added within the minute is refused as unknown until the next read, one removed is refused by the API itself.
   */
  async knownRegions(): Promise<ListRegionsResponse> {
    await this.proveRoutes();
    return this.#regions ?? this.listRegions();
  }

  /**
   * Asks about operations holding the gate's slots: those that finished give theirs back (call() reports them
   * to the gate). At most once a second.
   */
  async #probe(asyncOperationIds: string[]): Promise<void> {
    const now = performance.now();
    if (now - this.#lastProbe < 1_000) return;
    this.#lastProbe = now;
    for (const id of asyncOperationIds) {
      await this.getAsyncOperation(id).catch(() => undefined);
    }
  }

  async #send<Op extends AnyOperationId>(operationId: Op, wire: WireRequest): Promise<OperationOutput<Op>> {
    const done = await this.#config.beforeRequest?.(operationId);
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await this.#http(wire.path, {
        method: wire.method,
        ...(wire.query ? { searchParams: wire.query } : {}),
        ...(wire.body === undefined ? {} : { json: wire.body }),
      });
      status = response.status;
      const text = await response.text();
      if (!response.ok) throw this.#httpError(operationId, wire.path, response, text);
      const result = this.#decode(operationId, wire.path, status, text);
      this.#after({ operationId, method: wire.method, status, durationMs: performance.now() - started });
      return result;
    } catch (err) {
      const error = err instanceof OpsApiError ? err : this.#transportError(operationId, err);
      this.#after({
        operationId,
        method: wire.method,
        status,
        durationMs: performance.now() - started,
        error,
      });
      throw error;
    } finally {
      if (typeof done === 'function') done();
    }
  }

  #after(event: RequestEvent): void {
    try {
      this.#config.afterRequest?.(event);
    } catch {
      // Observability must never turn a good call into a failed one.
    }
  }

  #decode<Op extends AnyOperationId>(
    operationId: Op,
    path: string,
    status: number,
    text: string,
  ): OperationOutput<Op> {
    const parsed = text === '' ? {} : tryParse(text);
    try {
      if (parsed === undefined) throw new NotTheApiError('the body is not JSON');
      return this.dialect.decode(operationId, parsed);
    } catch (err) {
      if (!(err instanceof NotTheApiError)) throw err;
      throw this.#notTheApi(operationId, path, status, `${err.message}; it sent ${describeBody(text)}`);
    }
  }

  #httpError(operationId: AnyOperationId, path: string, response: Response, text: string): OpsApiError {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const apiError = this.dialect.decodeError(tryParse(text));
    if (!apiError && EDGE_STATUSES.has(response.status)) {
      // The load balancer or gateway answered (HTML, plain text, nothing): transient, whatever the body.
      return new OpsApiError({
        operationId,
        kind: 'edge',
        status: response.status,
        code: response.status === 429 ? 'rate_limited' : 'unavailable',
        message: this.#scrub(
          `the edge in front of the Ops API answered ${response.status} ${response.statusText} (${describeBody(text) || 'no body'})`,
        ),
        retryAfterMs,
      });
    }
    // A collection always exists: "not found" for a list means the route itself is wrong.
    if (!apiError || (apiError.code === 'not_found' && operationId.startsWith('list'))) {
      // A proxy's 404 or an HTML page is not "not found": it means the URL (or dialect) is wrong.
      return this.#notTheApi(
        operationId,
        path,
        response.status,
        describeBody(text) || response.statusText,
        retryAfterMs,
      );
    }
    return new OpsApiError({
      operationId,
      kind: 'http',
      status: response.status,
      code: apiError.code,
      message: this.#scrub(apiError.message),
      ...(apiError.field ? { field: apiError.field } : {}),
      retryAfterMs,
    });
  }

  #notTheApi(
    operationId: AnyOperationId,
    path: string,
    status: number,
    detail: string,
    retryAfterMs?: number,
  ): OpsApiError {
    return new OpsApiError({
      operationId,
      kind: 'misconfigured',
      status,
      code: 'not_the_ops_api',
      message: this.#scrub(
        `${this.baseUrl}/${path} answered ${status} with something that is not the Ops API's (${this.dialect.name} dialect) answer: ${detail}. Check OPS_API_URL and OPS_API_DIALECT`,
      ),
      retryAfterMs,
    });
  }

  #transportError(operationId: AnyOperationId, err: unknown): OpsApiError {
    if (err instanceof TimeoutError) {
      return new OpsApiError({
        operationId,
        kind: 'timeout',
        code: 'timeout',
        message: `no response within ${this.#config.timeoutMs ?? 30_000} ms`,
      });
    }
    const cause = err instanceof Error ? ((err.cause as Error | undefined) ?? err) : undefined;
    const detail = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : cause?.message;
    return new OpsApiError({
      operationId,
      kind: 'network',
      code: 'network_error',
      message: this.#scrub(`request failed before a response: ${detail ?? String(err)}`),
    });
  }

  // A server (or proxy) that echoes the Authorization header must not make us leak it.
  #scrub(text: string): string {
    return text.split(this.#config.apiKey).join('[redacted]');
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What a body that is not the API's answer looked like, for an error message: a JSON body by its keys
 * only (its values may hold a token, createApiKey's), anything else by its first characters.
 */
function describeBody(text: string): string {
  const parsed = tryParse(text);
  if (parsed !== null && typeof parsed === 'object') {
    return Array.isArray(parsed)
      ? 'a JSON array'
      : `a JSON object with keys ${Object.keys(parsed).join(', ') || 'none'}`;
  }
  return snippet(text);
}

/** The start of a body for an error message, on one line. */
function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}
