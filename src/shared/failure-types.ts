// ApplicationFailure types raised by activities and workflows. Workflows branch on these, so they live
// in workflow-safe code.
export const FailureType = {
  InvalidArgument: 'OpsApiInvalidArgument',
  Unauthenticated: 'OpsApiUnauthenticated',
  PermissionDenied: 'OpsApiPermissionDenied',
  NotFound: 'OpsApiNotFound',
  AlreadyExists: 'OpsApiAlreadyExists',
  ResourceVersionMismatch: 'OpsApiResourceVersionMismatch',
  FailedPrecondition: 'OpsApiFailedPrecondition',
  RateLimited: 'OpsApiRateLimited',
  Timeout: 'OpsApiTimeout',
  ServerError: 'OpsApiServerError',
  NetworkError: 'OpsApiNetworkError',
  /** What answered is not the Ops API (a proxy's 404, a web page): the base URL or dialect is wrong. */
  Misconfigured: 'OpsApiMisconfigured',
  InvalidResponse: 'OpsApiInvalidResponse',
  // Raised by our own logic rather than mapped from an HTTP status.
  InvalidInput: 'InvalidInput',
  AsyncOperationPending: 'AsyncOperationPending',
  AsyncOperationFailed: 'AsyncOperationFailed',
  AsyncOperationTimeout: 'AsyncOperationTimeout',
  ResourceNotReady: 'ResourceNotReady',
  ResourceFailed: 'ResourceFailed',
  /** A resource that should exist answers NOT_FOUND or PERMISSION_DENIED (read-after-create lag) for too long. */
  ResourceNotReadable: 'ResourceNotReadable',
  SpecMismatch: 'SpecMismatch',
  /** The API behind the worker has no operation for this (the given document's dialect). */
  NotSupported: 'NotSupported',
  /** A namespace's accepted-CA bundle that is not readable PEM: a CA rotation cannot tell what it holds. */
  CaBundleUnreadable: 'CaBundleUnreadable',
  /** A CA bundle change that would take away a CA the rotation must keep (the new one), or every CA. */
  CaBundleUnsafe: 'CaBundleUnsafe',
  SecretSinkFailed: 'SecretSinkFailed',
  TokenLost: 'TokenLost',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
