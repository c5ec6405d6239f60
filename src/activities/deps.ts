import type { OpsApiClient } from '../ops-api';
import type { SecretSink } from '../secrets';

/** What activities need from the outside world; injected so tests can use the emulator and temp sinks. */
export interface ActivityDeps {
  client: OpsApiClient;
  secrets: SecretSink;
}
