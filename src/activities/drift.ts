// A scheduled plan's drift, posted signed to the configured webhook.
import { ApplicationFailure } from '@temporalio/common';
import { planSummary, type Plan } from '../desired-state/plan';
import { postSigned, SignedPostError } from '../secrets/signed-post';
import type { ActivityDeps } from './deps';

export function createDriftActivities({ driftWebhook }: ActivityDeps) {
  return {
    /**
     * Posts what differs from the file (kinds, names, actions and which fields — never values) to the
     * drift webhook, signed like the events endpoint's requests. Nothing to do without one.
     */
    async notifyDrift(input: { name: string; plan: Plan }): Promise<{ outcome: 'sent' | 'not-configured' }> {
      if (!driftWebhook) return { outcome: 'not-configured' };
      const url = new URL(driftWebhook.url);
      try {
        await postSigned({
          url,
          rawBody: driftBody(input.name, input.plan),
          secret: driftWebhook.secret,
          timeoutMs: 10_000,
          okStatuses: [200, 201, 202, 204],
        });
      } catch (error) {
        if (!(error instanceof SignedPostError)) throw error;
        // Only the host is named: a webhook URL's path is often its secret.
        throw ApplicationFailure.create({
          type: 'DriftWebhookFailed',
          message: `drift webhook at ${url.origin} ${error.message}`,
          nonRetryable: !error.retryable,
        });
      }
      return { outcome: 'sent' };
    },
  };
}

function driftBody(name: string, plan: Plan): string {
  return JSON.stringify({
    type: 'desired-state.drift',
    name,
    fingerprint: plan.fingerprint,
    summary: planSummary(plan),
    changes: plan.changes.map((c) => ({
      kind: c.kind,
      name: c.name,
      action: c.action,
      destructive: c.destructive,
      fields: c.fields.map((f) => f.field),
    })),
    problems: plan.problems,
    at: new Date().toISOString(),
  });
}
