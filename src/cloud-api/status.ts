// google.rpc.Status codes, the HTTP status grpc-gateway answers each with (its runtime.HTTPStatusFromCode),
// and the domain's error code of each. The codes are google.rpc.Code (not in the bundled protos).

export const GRPC = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const HTTP_STATUS: Record<number, number> = {
  [GRPC.CANCELLED]: 499,
  [GRPC.UNKNOWN]: 500,
  [GRPC.INVALID_ARGUMENT]: 400,
  [GRPC.DEADLINE_EXCEEDED]: 504,
  [GRPC.NOT_FOUND]: 404,
  [GRPC.ALREADY_EXISTS]: 409,
  [GRPC.PERMISSION_DENIED]: 403,
  [GRPC.RESOURCE_EXHAUSTED]: 429,
  // FailedPrecondition is a 400 at the gateway, not a 409: classify by code, never by status.
  [GRPC.FAILED_PRECONDITION]: 400,
  [GRPC.ABORTED]: 409,
  [GRPC.OUT_OF_RANGE]: 400,
  [GRPC.UNIMPLEMENTED]: 501,
  [GRPC.INTERNAL]: 500,
  [GRPC.UNAVAILABLE]: 503,
  [GRPC.DATA_LOSS]: 500,
  [GRPC.UNAUTHENTICATED]: 401,
};

export const httpStatusOfGrpc = (code: number): number => HTTP_STATUS[code] ?? 500;

/**
 * The gRPC code a domain error is answered with, and the domain code each of them means. ABORTED is how the
 * real API reports a concurrent change (a stale resourceVersion).
 */
export const GRPC_OF_DOMAIN = {
  invalid_argument: GRPC.INVALID_ARGUMENT,
  failed_precondition: GRPC.FAILED_PRECONDITION,
  not_found: GRPC.NOT_FOUND,
  already_exists: GRPC.ALREADY_EXISTS,
  resource_version_mismatch: GRPC.ABORTED,
  permission_denied: GRPC.PERMISSION_DENIED,
  unauthenticated: GRPC.UNAUTHENTICATED,
  rate_limited: GRPC.RESOURCE_EXHAUSTED,
  internal: GRPC.INTERNAL,
  unavailable: GRPC.UNAVAILABLE,
} as const;

/** The given document's error codes (its `Error.code`), each with the gRPC code that carries it. */
export type DomainErrorCode = keyof typeof GRPC_OF_DOMAIN;

/** Codes that mean a domain code too. UNIMPLEMENTED (a method the pinned version lacks) cannot succeed by retrying. */
const ALSO_DOMAIN: ReadonlyArray<readonly [number, DomainErrorCode]> = [
  [GRPC.OUT_OF_RANGE, 'invalid_argument'],
  [GRPC.UNIMPLEMENTED, 'invalid_argument'],
  [GRPC.DEADLINE_EXCEEDED, 'unavailable'],
  [GRPC.CANCELLED, 'unavailable'],
  [GRPC.UNKNOWN, 'internal'],
  [GRPC.DATA_LOSS, 'internal'],
];
const DOMAIN_OF_GRPC = new Map<number, DomainErrorCode>([
  ...(Object.entries(GRPC_OF_DOMAIN) as [DomainErrorCode, number][]).map(([d, g]) => [g, d] as const),
  ...ALSO_DOMAIN,
]);

/** The domain's error code for a gRPC code; undefined for OK and codes outside google.rpc.Code. */
export const domainCodeOf = (code: number): DomainErrorCode | undefined => DOMAIN_OF_GRPC.get(code);
