import type { DialectName } from '../../cloud-api';
import type {
  AccountRole,
  AnyOperationId,
  Capability,
  ErrorCode,
  OperationInput,
  OperationOutput,
} from '../types';

export { DIALECTS, isObject, type DialectName } from '../../cloud-api';

/** One HTTP request, before the base URL and the common headers are added. */
export interface WireRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Without a leading slash; path parameters already encoded. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
}

/** An error in the domain's terms: classified by the API's own code, never by the HTTP status alone. */
export interface DomainError {
  code: ErrorCode;
  message: string;
  field?: string;
}

/**
 * How one wire format speaks the 19 operations. Everything above src/ops-api/ sees only the domain
 * types; a dialect turns each operation into a request and each answer back into the domain.
 */
export interface Dialect {
  readonly name: DialectName;
  /** Headers every request carries (e.g. the pinned API version). */
  readonly headers: Readonly<Record<string, string>>;
  /** Async operations one client may keep in flight by default: the API's documented limit, if any. */
  readonly defaultMaxConcurrentMutations: number | undefined;
  /** The whole fleet's default caps (requests per second, async operations in flight): the documented ones, if any. */
  readonly defaultFleetLimits: { requestsPerSecond: number; mutations: number } | undefined;
  /** Whether this API offers the operation (the given document has no way to change access, say). */
  supports(operationId: AnyOperationId): boolean;
  /** What this API offers beyond operations (namespace-scoped service accounts, say). */
  readonly capabilities: ReadonlySet<Capability>;
  /**
   * The account role an account-wide service account gets when none is asked for: the real API refuses one
   * without a role (see docs/real-service.md); undefined where the API asks for none.
   */
  readonly defaultServiceAccountRole: AccountRole | undefined;
  encode<Op extends AnyOperationId>(operationId: Op, input: OperationInput<Op>): WireRequest;
  /** The domain result; throws NotTheApiError when the body is not this API's answer. */
  decode<Op extends AnyOperationId>(operationId: Op, body: unknown): OperationOutput<Op>;
  /** The API's own error, or undefined when the body is not this API's error shape (a proxy, a web page). */
  decodeError(body: unknown): DomainError | undefined;
}

/** A success status whose body is not what this API answers: the base URL or dialect is wrong. */
export class NotTheApiError extends Error {
  override readonly name = 'NotTheApiError';
}

/** Fails decoding unless `ok`: the answer lacks something every answer of this operation has. */
export function expectShape(ok: unknown, operationId: string, what: string): asserts ok {
  if (!ok) throw new NotTheApiError(`${operationId} answered without ${what}`);
}

/**
 * Replaces `{name}` in a path template with the encoded input field. Empty values are refused, and so are `.` and
 * `..`: encoding leaves them as they are, and the URL would resolve them to another path (`/users/.` is `/users/`).
 */
export function fillPath(template: string, input: Record<string, unknown>, operationId: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = input[name];
    if (typeof value !== 'string' || value === '') {
      throw new EmptyPathParameterError(`${operationId}: path parameter ${name} is empty`);
    }
    if (value === '.' || value === '..') {
      throw new EmptyPathParameterError(
        `${operationId}: path parameter ${name} is a dot segment ("${value}")`,
      );
    }
    return encodeURIComponent(value);
  });
}

export class EmptyPathParameterError extends Error {
  override readonly name = 'EmptyPathParameterError';
}

/** Only the defined, non-empty query values. */
export function compactQuery(query: Record<string, unknown>): Record<string, string | number> | undefined {
  const entries = Object.entries(query).filter(
    (e): e is [string, string | number] =>
      (typeof e[1] === 'string' && e[1] !== '') || typeof e[1] === 'number',
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** The operation exists in the other dialect only. */
export class UnsupportedOperationError extends Error {
  override readonly name = 'UnsupportedOperationError';
  constructor(operationId: string, dialect: DialectName) {
    super(`${operationId} is not an operation of the ${dialect} dialect's API`);
  }
}
