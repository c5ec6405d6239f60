import type { Client } from '@temporalio/client';
import type { OpsApiClient } from '../ops-api';
import type { SecretSink } from '../secrets';
import type { WaitMode } from './wait-mode';

/** What activities need from the outside world; injected so tests can use the emulator and temp sinks. */
export interface ActivityDeps {
  client: OpsApiClient;
  secrets: SecretSink;
  /** Where a scheduled plan posts a signed drift summary (DRIFT_WEBHOOK_URL / _HMAC_SECRET). */
  driftWebhook?: { url: string; secret: string };
  /** Where the expiry watch posts signed warnings (EXPIRY_WEBHOOK_URL / _HMAC_SECRET). */
  expiryWebhook?: { url: string; secret: string };
  /**
   * This worker's own Temporal client (its connection and namespace), for what an activity asks of Temporal itself:
   * provisioning triggers the reconcile schedules whose desired state reaches the new namespace.
   */
  temporal?: Client;
  /** How waits on async operations poll (see WaitMode); default `auto`. */
  waitMode?: WaitMode;
  /** Waits that may poll inside their attempt at once (see InAttemptWaits); default: no limit. */
  maxWaitsInAttempt?: number;
}
