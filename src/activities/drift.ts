// A scheduled plan's drift, posted signed to the configured webhook.
import { planSummary, type Plan } from '../desired-state/plan';
import type { ActivityDeps } from './deps';
import { notifyWebhook } from './webhook';

export function createDriftActivities({ driftWebhook }: ActivityDeps) {
  return {
    /**
     * Posts what differs from the file (kinds, names, actions and which fields — never values) to the
     * drift webhook, signed like the events endpoint's requests. Nothing to do without one.
     */
    async notifyDrift(input: { name: string; plan: Plan }): Promise<{ outcome: 'sent' | 'not-configured' }> {
      if (!driftWebhook) return { outcome: 'not-configured' };
      await notifyWebhook(driftWebhook, driftBody(input.name, input.plan), {
        type: 'DriftWebhookFailed',
        name: 'drift webhook',
      });
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
