// Where a sink sends secrets: checked once, the same way for every sink that speaks HTTP.
import { SecretSinkError } from './types';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Plain http is only acceptable where the bytes never leave the machine. `hostname` as `URL` gives it. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * `url` parsed: http(s), https unless the host is loopback or `allowInsecureHttp`, and no credentials (they would
 * end up in messages and logs). Throws a SecretSinkError whose message starts with `what`.
 */
export function checkServiceUrl(what: string, url: string, allowInsecureHttp = false): URL {
  const fail = (problem: string): never => {
    throw new SecretSinkError(`${what} ${problem}`, false);
  };
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    return fail('is not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return fail(`must be http(s), got ${parsed.protocol}`);
  }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname) && !allowInsecureHttp) {
    return fail(`must use https for non-loopback host ${parsed.hostname} (or set allowInsecureHttp)`);
  }
  if (parsed.username || parsed.password) return fail('must not contain credentials');
  return parsed;
}
