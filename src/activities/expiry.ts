// The expiry watch's read and its notice: every API key and every accepted CA certificate with its days to expiry
// (certificates are parsed here: workflows get only the facts), and the signed webhook of what is due to be reported.
import { caBundleFromBase64, CertificateError, uniqueCertificates } from '../certificates';
import { paginate, type ListItem, type ListOperationId, type OpsApiClient } from '../ops-api';
import {
  daysLeft,
  describeAction,
  expiryAction,
  type ExpiringItem,
  type ReportedItem,
  type RotationPolicy,
} from '../shared/expiry';
import { isLive } from '../shared/resources';
import type { ActivityDeps } from './deps';
import { heartbeat } from './util';
import { notifyWebhook } from './webhook';

export interface ListExpiringItemsInput {
  /** "Now" as the workflow sees it (ms). */
  asOf: number;
  withinDays: number;
  /** What the product rotates on its own; absent: nothing. */
  rotation?: RotationPolicy;
  /** The watch has just rotated what was due: a rotatable key still due is one it failed to rotate. */
  afterRotation: boolean;
  maxItems: number;
}

export interface ExpiringItems {
  asOf: string;
  withinDays: number;
  /** Soonest first; at most `maxItems`. */
  items: ExpiringItem[];
  /** Items inside the window left out of `items`. */
  omitted: number;
  /** Namespaces whose accepted CA bundle could not be read, and why. */
  unreadable: Array<{ namespace: string; reason: string }>;
}

export interface ExpiryNotice {
  /** The run that sends it (`<workflow id>/<run id>`): the same on every attempt, a receiver's key for a repeat. */
  deliveryId: string;
  asOf: string;
  entries: ReportedItem[];
  rotation: RotationPolicy | undefined;
  /** Keys the watch rotated in this run. */
  rotated: number;
}

/** Every item of a list, heartbeating after each page (an account may have thousands of keys). */
async function readAll<Op extends ListOperationId>(client: OpsApiClient, op: Op): Promise<ListItem<Op>[]> {
  const all: ListItem<Op>[] = [];
  for await (const page of paginate(client, op)) {
    all.push(...page);
    heartbeat({ [op]: all.length });
  }
  return all;
}

const byExpiry = (a: ExpiringItem, b: ExpiringItem) =>
  a.daysLeft - b.daysLeft ||
  a.expiresAt.localeCompare(b.expiresAt) ||
  a.kind.localeCompare(b.kind) ||
  a.id.localeCompare(b.id) ||
  a.owner.id.localeCompare(b.owner.id);

export function createExpiryActivities({ client, expiryWebhook }: ActivityDeps) {
  return {
    /** What expires within `withinDays` of `asOf`: keys of every owner and every namespace's accepted CAs. */
    async listExpiringItems(input: ListExpiringItemsInput): Promise<ExpiringItems> {
      const [apiKeys, serviceAccounts, users, namespaces] = await Promise.all([
        readAll(client, 'listApiKeys'),
        readAll(client, 'listServiceAccounts'),
        readAll(client, 'listUsers'),
        readAll(client, 'listNamespaces'),
      ]);
      const names = new Map<string, string>([
        ...serviceAccounts.map((a) => [a.id, a.spec.name] as const),
        ...users.map((u) => [u.id, u.spec.email] as const),
      ]);
      const found: Array<Omit<ExpiringItem, 'action' | 'reason'>> = [];
      for (const key of apiKeys.filter(isLive)) {
        const { ownerId, ownerType } = key.spec;
        found.push({
          kind: 'api-key',
          id: key.id,
          name: key.spec.displayName,
          owner: { type: ownerType, id: ownerId, name: names.get(ownerId) ?? ownerId },
          expiresAt: key.spec.expiryTime,
          daysLeft: daysLeft(Date.parse(key.spec.expiryTime), input.asOf),
        });
      }
      const unreadable: ExpiringItems['unreadable'] = [];
      for (const ns of namespaces.filter(isLive)) {
        const bundle = ns.spec.mtlsAuth?.acceptedClientCa;
        if (!bundle) continue;
        const owner = { type: 'namespace' as const, id: ns.namespace, name: ns.spec.name };
        try {
          for (const cert of uniqueCertificates(caBundleFromBase64(bundle))) {
            found.push({
              kind: 'ca-certificate',
              id: cert.fingerprint,
              name: cert.subject,
              owner,
              expiresAt: cert.notAfter,
              daysLeft: daysLeft(Date.parse(cert.notAfter), input.asOf),
            });
          }
        } catch (error) {
          if (!(error instanceof CertificateError)) throw error;
          unreadable.push({ namespace: ns.spec.name, reason: error.message });
        }
      }
      const inWindow = found
        .filter((item) => item.daysLeft <= input.withinDays)
        .map((item) => ({ ...item, ...expiryAction(item, input.rotation, input.afterRotation) }))
        .sort(byExpiry);
      return {
        asOf: new Date(input.asOf).toISOString(),
        withinDays: input.withinDays,
        items: inWindow.slice(0, input.maxItems),
        omitted: Math.max(0, inWindow.length - input.maxItems),
        unreadable,
      };
    },

    /**
     * Posts the items due to be reported to the expiry webhook: ids, names, owners and dates, never a token (the
     * API returns none). Nothing to do without one.
     */
    async notifyExpiry(notice: ExpiryNotice): Promise<{ outcome: 'sent' | 'not-configured' }> {
      if (!expiryWebhook) return { outcome: 'not-configured' };
      await notifyWebhook(expiryWebhook, expiryBody(notice), {
        type: 'ExpiryWebhookFailed',
        name: 'expiry webhook',
      });
      return { outcome: 'sent' };
    },
  };
}

function expiryBody(notice: ExpiryNotice): string {
  return JSON.stringify({
    type: 'expiry.warning',
    id: notice.deliveryId,
    at: notice.asOf,
    rotated: notice.rotated,
    entries: notice.entries.map((e) => ({
      kind: e.kind,
      id: e.id,
      name: e.name,
      owner: e.owner,
      expiresAt: e.expiresAt,
      daysLeft: e.daysLeft,
      expired: e.daysLeft < 0,
      threshold: e.level,
      reason: e.reason,
      action: describeAction(e, notice.rotation),
    })),
  });
}
