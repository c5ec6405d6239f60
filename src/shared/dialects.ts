// The two wire formats the product and the emulator speak, and what the real API's requests must carry (names only,
// so the configuration at the bottom can read them; the wire contract is src/cloud-api).

/** `openapi`: the given document (openapi/cloud-ops-api.yml); `cloud`: the real API through its HTTP gateway. */
export const DIALECTS = ['openapi', 'cloud'] as const;
export type DialectName = (typeof DIALECTS)[number];

/** The version of the real API this product speaks (the bundled protos'), sent in the header below. */
export const DEFAULT_CLOUD_API_VERSION = 'v0.17.0';
export const CLOUD_API_VERSION_HEADER = 'temporal-cloud-api-version';
