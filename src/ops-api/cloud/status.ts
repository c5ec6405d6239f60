// google.rpc.Status codes and the HTTP status grpc-gateway answers them with, both ways. The gateway's
// table is its runtime.HTTPStatusFromCode; the codes are google.rpc.Code (not in the bundled protos).
import type { ErrorCode } from '../types';

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
 * The domain's error code for a gRPC code. ABORTED is how the real API reports a concurrent change (a
 * stale resourceVersion); UNIMPLEMENTED (a method the pinned version lacks) cannot succeed by retrying.
 */
export function domainCodeOf(code: number): ErrorCode | undefined {
  switch (code) {
    case GRPC.INVALID_ARGUMENT:
    case GRPC.OUT_OF_RANGE:
    case GRPC.UNIMPLEMENTED:
      return 'invalid_argument';
    case GRPC.FAILED_PRECONDITION:
      return 'failed_precondition';
    case GRPC.NOT_FOUND:
      return 'not_found';
    case GRPC.ALREADY_EXISTS:
      return 'already_exists';
    case GRPC.ABORTED:
      return 'resource_version_mismatch';
    case GRPC.PERMISSION_DENIED:
      return 'permission_denied';
    case GRPC.UNAUTHENTICATED:
      return 'unauthenticated';
    case GRPC.RESOURCE_EXHAUSTED:
      return 'rate_limited';
    case GRPC.UNAVAILABLE:
    case GRPC.DEADLINE_EXCEEDED:
    case GRPC.CANCELLED:
      return 'unavailable';
    case GRPC.INTERNAL:
    case GRPC.UNKNOWN:
    case GRPC.DATA_LOSS:
      return 'internal';
    default:
      return undefined;
  }
}

/** The gRPC code the emulator answers a domain error with (the reverse of domainCodeOf). */
export const GRPC_OF_DOMAIN: Record<ErrorCode, number> = {
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
};
