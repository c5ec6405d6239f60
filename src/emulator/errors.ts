import type { ErrorBody, ErrorCode } from '../ops-api/types';

/** The given document's HTTP status of each error code (spec-silences.yml). */
export const STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  resource_version_mismatch: 409,
  failed_precondition: 409,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** An error that becomes an Ops API error response (see spec-silences.yml `Error`). */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status ?? STATUS[code];
  }

  toBody(): ErrorBody {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

export const invalid = (field: string, message: string): ApiError =>
  new ApiError('invalid_argument', `${field}: ${message}`, field);

export const notFound = (what: string, id: string): ApiError =>
  new ApiError('not_found', `${what} '${id}' not found`);
