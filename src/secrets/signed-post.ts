// One signed JSON POST to a webhook, for the secret sink and the drift notifier alike. Errors never carry
// the request (its body may be a secret) nor the URL beyond what the caller names as safe to show.
import ky from 'ky';
import { webhookSignatureHeaders } from './webhook-signature';

export class SignedPostError extends Error {
  override readonly name = 'SignedPostError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface SignedPost {
  url: URL;
  rawBody: string;
  secret: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Statuses that mean "received"; anything else is an error. */
  okStatuses: readonly number[];
}

/** Sends the request; resolves with the response (its body unread), or rejects with a description only. */
export async function postSigned(request: SignedPost): Promise<Response> {
  let response: Response;
  try {
    response = await ky.post(request.url, {
      body: request.rawBody,
      headers: {
        ...request.headers,
        'content-type': 'application/json',
        ...webhookSignatureHeaders(request.rawBody, request.secret),
      },
      timeout: request.timeoutMs,
      retry: 0,
      throwHttpErrors: false,
      // A redirect would re-send the body to wherever the receiver points; refuse it.
      redirect: 'error',
    });
  } catch (error) {
    throw new SignedPostError(describeFetchFailure(error, request.timeoutMs), true);
  }
  if (!request.okStatuses.includes(response.status)) {
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    throw new SignedPostError(
      `failed with HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`,
      status >= 500 || status === 408 || status === 429,
      status,
    );
  }
  return response;
}

/**
 * What a ky/fetch call that got no response ran into, e.g. `timed out after 10000 ms` or
 * `failed: fetch failed (ECONNREFUSED)`. Those errors hold the request and its options (a body may be a
 * secret, headers a token): only this description may be kept, never the error itself.
 */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  return stringField(error, 'name') === 'TimeoutError'
    ? `timed out after ${timeoutMs} ms`
    : `failed: ${networkReason(error)}`;
}

// fetch reports "fetch failed" with the useful part (ECONNREFUSED, ENOTFOUND, ...) in `cause`. Fields are read
// by duck typing: fetch's errors can come from another realm (e.g. under jest), where instanceof fails.
function networkReason(error: unknown): string {
  const message = stringField(error, 'message') ?? 'unknown error';
  const code = stringField(field(error, 'cause'), 'code');
  return code ? `${message} (${code})` : message;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const result = field(value, key);
  return typeof result === 'string' ? result : undefined;
}
