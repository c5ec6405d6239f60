// Checks an AWS Signature Version 4 the way AWS does, from the bytes that arrived (canonical request, string to
// sign, derived key): written from AWS's published algorithm, independently of the SDK that signed it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SignedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SignatureCheck =
  { ok: true; accessKeyId: string } | { ok: false; code: string; message: string; accessKeyId?: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Whether `request` carries a valid signature by `secretAccessKey` (looked up by access key id) for the scope. */
export function checkSigV4(
  request: SignedRequest,
  scope: { region: string; service: string },
  secretKeyOf: (accessKeyId: string) => string | undefined,
): SignatureCheck {
  const authorization = request.headers.authorization;
  if (!authorization) {
    return {
      ok: false,
      code: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  }
  const match = AUTHORIZATION.exec(authorization);
  if (!match)
    return { ok: false, code: 'IncompleteSignatureException', message: 'Malformed Authorization header' };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  const secret = secretKeyOf(accessKeyId!);
  if (secret === undefined) {
    return {
      ok: false,
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  if (region !== scope.region || service !== scope.service || !amzDate.startsWith(date!)) {
    return {
      ok: false,
      code: 'InvalidSignatureException',
      message: 'Credential should be scoped correctly',
      accessKeyId,
    };
  }
  const names = signedHeaders!.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) {
    return {
      ok: false,
      code: 'InvalidSignatureException',
      message: 'host and x-amz-date must be signed',
      accessKeyId,
    };
  }
  const [path, query = ''] = request.url.split('?');
  const canonicalHeaders = names
    .map((name) => `${name}:${headerValue(request.headers[name]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalQuery = query.split('&').filter(Boolean).sort().join('&');
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    sha256(request.body),
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    `${date}/${region}/${service}/aws4_request`,
    sha256(canonicalRequest),
  ].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) {
    return {
      ok: false,
      code: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided.',
      accessKeyId,
    };
  }
  return { ok: true, accessKeyId: accessKeyId! };
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}
