import type { OpsApiClient } from '../ops-api';
import type { SecretSink } from '../secrets';

/** What activities need from the outside world; injected so tests can use the emulator and temp sinks. */
export interface ActivityDeps {
  client: OpsApiClient;
  secrets: SecretSink;
  /** Where a scheduled plan posts a signed drift summary (DRIFT_WEBHOOK_URL / _HMAC_SECRET). */
  driftWebhook?: { url: string; secret: string };
  /** Where the expiry watch posts signed warnings (EXPIRY_WEBHOOK_URL / _HMAC_SECRET). */
  expiryWebhook?: { url: string; secret: string };
}
