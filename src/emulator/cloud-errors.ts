// Errors on /cloud: the domain's ApiError as the gateway answers it, a google.rpc.Status with the HTTP status
// grpc-gateway gives its code (src/cloud-api/status.ts), and the field it names as a google.rpc.BadRequest detail.
import { CLOUD_API_VERSION_HEADER, GRPC, GRPC_OF_DOMAIN, httpStatusOfGrpc } from '../cloud-api';
import { ApiError, invalid, STATUS } from './errors';

export interface CloudStatus {
  code: number;
  message: string;
  details: Array<Record<string, unknown>>;
}

/** Domain field paths that are spelled differently in the real API's messages. */
const CLOUD_FIELDS: Readonly<Record<string, string>> = {
  'spec.region': 'spec.replicas[0].region',
};

/** The real API's name of a domain field (most are the same). */
export const cloudField = (field: string): string => CLOUD_FIELDS[field] ?? field;

/** The HTTP status and google.rpc.Status body of an error answered on /cloud. */
export function cloudError(
  error: ApiError,
  retryAfterSeconds?: number,
): { status: number; body: CloudStatus } {
  // 405 is the router's answer (grpc-gateway's routing error handler calls it UNIMPLEMENTED).
  const code = error.status === 405 ? GRPC.UNIMPLEMENTED : GRPC_OF_DOMAIN[error.code];
  // A status the emulator chose on purpose (405, 413, 415) stays; otherwise the gateway's for the code.
  const status = error.status === STATUS[error.code] ? httpStatusOfGrpc(code) : error.status;
  const details: CloudStatus['details'] = [];
  let message = error.message;
  if (error.field !== undefined) {
    const field = cloudField(error.field);
    const prefix = `${error.field}: `;
    const description = message.startsWith(prefix) ? message.slice(prefix.length) : message;
    if (message.startsWith(prefix)) message = `${field}: ${description}`;
    details.push({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ field, description }],
    });
  }
  if (retryAfterSeconds !== undefined) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: `${retryAfterSeconds}s`,
    });
  }
  return { status, body: { code, message, details } };
}

const VERSION = /^v\d+\.\d+\.\d+$/;

/** The pinned API version every /cloud request must carry; an ApiError naming the header otherwise. */
export function requireApiVersion(headers: Record<string, string | string[] | undefined>): string {
  const value = headers[CLOUD_API_VERSION_HEADER];
  if (value === undefined || value === '')
    throw invalid(CLOUD_API_VERSION_HEADER, 'is required (e.g. v0.17.0)');
  if (typeof value !== 'string' || !VERSION.test(value)) {
    throw invalid(CLOUD_API_VERSION_HEADER, `must be vMAJOR.MINOR.PATCH, got ${JSON.stringify(value)}`);
  }
  return value;
}
