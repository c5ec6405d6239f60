// Readiness for a load balancer: a replica takes traffic only while Temporal answers, it is not draining and nothing
// found it unfit (its shared settings differ from the other replicas'). Every answer of the service comes from
// Temporal, so without it a replica can only say 503.
import type { Client } from '@temporalio/client';

export interface Readiness {
  /** 200 with `ok: true`, or 503 with why not. */
  check(): Promise<{ ok: boolean; [detail: string]: unknown }>;
  /** From now on not ready (SIGTERM): the load balancer stops sending new requests while in-flight ones finish. */
  drain(): void;
  /** From now on not ready for good, with this reason (e.g. `shared_settings_mismatch`): only a restart helps. */
  fail(reason: string): void;
  readonly draining: boolean;
}

/** Ready while `getSystemInfo` (a cheap call any Temporal frontend, Cloud included, answers) succeeds in time. */
export function temporalReadiness(client: Client, timeoutMs = 2_000): Readiness {
  let draining = false;
  let failed: string | undefined;
  return {
    async check() {
      if (draining) return { ok: false, reason: 'draining' };
      if (failed) return { ok: false, reason: failed };
      try {
        await client.connection.withDeadline(Date.now() + timeoutMs, () =>
          client.workflowService.getSystemInfo({}),
        );
        return { ok: true, temporal: 'reachable' };
      } catch {
        return { ok: false, reason: 'temporal_unreachable' };
      }
    },
    drain() {
      draining = true;
    },
    fail(reason) {
      failed = reason;
    },
    get draining() {
      return draining;
    },
  };
}
