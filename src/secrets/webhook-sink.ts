import { z } from 'zod';
import { postSigned, SignedPostError } from './signed-post';
import { checkServiceUrl } from './service-url';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature';
import { SecretSinkError, secretRef, validateSecretName, type SecretRef, type SecretSink } from './types';

export interface WebhookSecretSinkOptions {
  /** Receiver endpoint. https, or http on a loopback host unless `allowInsecureHttp`. */
  url: string;
  /** Shared key for the `X-Signature-256` HMAC; never sent. */
  hmacSecret: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Extra headers (e.g. auth for a gateway); cannot override the signature or content-type headers. */
  headers?: Record<string, string>;
  /** Allow plain http to non-loopback hosts (e.g. inside a private network). Off by default: bodies carry secrets. */
  allowInsecureHttp?: boolean;
}

export type WebhookAction = 'put' | 'delete' | 'has';

/** The JSON body the sink POSTs; see src/secrets/README.md for the protocol. */
export interface WebhookRequestBody {
  action: WebhookAction;
  name: string;
  secret?: string;
  metadata?: Record<string, string>;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
const RESERVED_HEADERS = new Set([
  'content-type',
  SIGNATURE_HEADER.toLowerCase(),
  TIMESTAMP_HEADER.toLowerCase(),
]);
const hasResponse = z.object({ exists: z.boolean() });

/**
 * Hands secrets to an external receiver (a vault bridge, a password manager hook, ...) over signed HTTP.
 * Sends each request once: retries belong to the calling Temporal activity, which has backoff and visibility.
 */
export class WebhookSecretSink implements SecretSink {
  readonly kind = 'webhook' as const;
  private readonly url: URL;
  private readonly hmacSecret: string;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;

  constructor(options: WebhookSecretSinkOptions) {
    const url = checkServiceUrl('WebhookSecretSink url', options.url, options.allowInsecureHttp);
    if (!options.hmacSecret) throw new SecretSinkError('WebhookSecretSink needs an hmacSecret', false);
    const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new SecretSinkError(
        `WebhookSecretSink timeoutMs must be a positive integer, got ${timeoutMs}`,
        false,
      );
    }
    this.url = url;
    this.hmacSecret = options.hmacSecret;
    this.timeoutMs = timeoutMs;
    // Dropped case-insensitively: a second spelling of a signed header would be merged into it by fetch.
    this.extraHeaders = Object.fromEntries(
      Object.entries(options.headers ?? {}).filter(([header]) => !RESERVED_HEADERS.has(header.toLowerCase())),
    );
  }

  /** Where requests go, without query string, for messages. */
  get endpoint(): string {
    return `${this.url.origin}${this.url.pathname}`;
  }

  async put(name: string, secret: string, metadata: Record<string, string> = {}): Promise<SecretRef> {
    validateSecretName(name);
    if (typeof secret !== 'string') throw new SecretSinkError(`Secret for ${name} must be a string`, false);
    await this.send({ action: 'put', name, secret, metadata }, [200, 201, 202, 204]);
    return secretRef(this.kind, name);
  }

  async delete(name: string): Promise<void> {
    validateSecretName(name);
    // 404 is "already gone", which is what an idempotent delete wants.
    await this.send({ action: 'delete', name }, [200, 202, 204, 404]);
  }

  async has(name: string): Promise<boolean> {
    validateSecretName(name);
    const response = await this.send({ action: 'has', name }, [200]);
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      parsed = undefined;
    }
    const result = hasResponse.safeParse(parsed);
    if (!result.success) {
      // The body is not echoed: a misbehaving receiver might reflect secret material.
      throw new SecretSinkError(
        `Secret webhook ${this.endpoint} answered 'has' for ${name} without a JSON {"exists": boolean} body`,
        true,
      );
    }
    return result.data.exists;
  }

  private async send(body: WebhookRequestBody, okStatuses: number[]): Promise<Response> {
    const what = `${body.action} ${body.name}`;
    try {
      const response = await postSigned({
        url: this.url,
        rawBody: JSON.stringify(body),
        secret: this.hmacSecret,
        timeoutMs: this.timeoutMs,
        headers: this.extraHeaders,
        okStatuses,
      });
      if (body.action !== 'has') await response.body?.cancel().catch(() => undefined);
      return response;
    } catch (error) {
      if (!(error instanceof SignedPostError)) throw error;
      throw new SecretSinkError(
        `Secret webhook ${this.endpoint} ${what} ${error.message}`,
        error.retryable,
        error.status,
      );
    }
  }
}
