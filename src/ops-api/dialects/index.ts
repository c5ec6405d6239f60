import { cloudDialect } from './cloud';
import { DIALECTS, type Dialect, type DialectName } from './dialect';
import { openapiDialect } from './openapi';

export * from './dialect';
export { CLOUD_API_VERSION_HEADER, DEFAULT_CLOUD_API_VERSION } from '../../cloud-api';
export { CLOUD_ROUTES, cloudDialect } from './cloud';
export { OPENAPI_ROUTES, openapiDialect } from './openapi';

/** Temporal Cloud's own hosts speak the real API; anything else is taken for the given document's. */
export function defaultDialectFor(baseUrl: string): DialectName {
  const host = new URL(baseUrl).hostname.toLowerCase();
  return host === 'tmprl.cloud' || host.endsWith('.tmprl.cloud') ? 'cloud' : 'openapi';
}

export interface DialectChoice {
  baseUrl: string;
  /** Default: from the base URL's host (see defaultDialectFor). */
  dialect?: DialectName;
  /** The `cloud` dialect's pinned API version. */
  apiVersion?: string;
}

export function selectDialect(choice: DialectChoice): Dialect {
  const name = choice.dialect ?? defaultDialectFor(choice.baseUrl);
  if (!DIALECTS.includes(name)) throw new Error(`unknown Ops API dialect "${String(name)}"`);
  return name === 'cloud' ? cloudDialect(choice.apiVersion) : openapiDialect;
}
