import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Signature-256';
export const TIMESTAMP_HEADER = 'X-Signature-Timestamp';
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<rawBody>">`; the timestamp is signed so old requests cannot be replayed. */
export function signWebhookBody(rawBody: string | Uint8Array, timestampSec: number, secret: string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestampSec}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

/** Headers for a signed webhook request. */
export function webhookSignatureHeaders(
  rawBody: string | Uint8Array,
  secret: string,
  nowSec: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: signWebhookBody(rawBody, nowSec, secret),
    [TIMESTAMP_HEADER]: String(nowSec),
  };
}

/**
 * True when `signature` is the HMAC of `timestamp.rawBody` under `secret` and `timestamp` is within
 * `toleranceSec` of `nowSec`. `rawBody` must be the exact bytes received, not re-serialized JSON.
 * Header values may be passed straight in (undefined or arrays are rejected).
 */
export function verifyWebhookSignature(
  rawBody: string | Uint8Array,
  timestamp: string | string[] | undefined,
  signature: string | string[] | undefined,
  secret: string,
  nowSec: number = Math.floor(Date.now() / 1000),
  toleranceSec: number = DEFAULT_SIGNATURE_TOLERANCE_SEC,
): boolean {
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || !secret) return false;
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const timestampSec = Number(timestamp);
  if (Math.abs(nowSec - timestampSec) > toleranceSec) return false;
  const expected = Buffer.from(signWebhookBody(rawBody, timestampSec, secret), 'utf8');
  const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  // The length of a well-formed signature is public, so checking it first leaks nothing.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
