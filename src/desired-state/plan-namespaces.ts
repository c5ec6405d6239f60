// The plan's namespaces: created, updated (a region move is blocked), or pruned.
import { normalizeCa } from '../shared/resources';
import { accessReaches } from './access-patterns';
import { creation, pruneOrLeave, same, type PlanContext } from './plan-context';
import type { AccountSnapshot, FieldChange } from './plan-types';
import type { NamespaceEntry } from './schema';

export function planNamespaces(ctx: PlanContext): void {
  const { desired } = ctx;
  const nsByName = new Map(ctx.live.namespaces.map((n) => [n.name, n]));
  const withKeys = desired.serviceAccounts.filter((sa) => sa.apiKeys.length > 0);
  const { regions } = ctx;
  for (const want of desired.namespaces) {
    if (regions.length > 0 && !regions.includes(want.region)) {
      ctx.problems.push(
        `namespace ${want.name}: region "${want.region}" is not one of ${regions.join(', ')}`,
      );
    }
    // API-key auth is managed when the file says so, or switched on when a key of the file reaches it.
    const apiKeyAuth = want.apiKeyAuth ?? (accessReaches(withKeys, want.name) ? true : undefined);
    const have = nsByName.get(want.name);
    if (!have) {
      const fields = createFields({ ...want, ...(apiKeyAuth !== undefined ? { apiKeyAuth } : {}) });
      ctx.changes.push(creation('namespace', want.name, fields));
    } else planUpdate(ctx, want, have, apiKeyAuth);
  }
  const wanted = new Set(desired.namespaces.map((n) => n.name));
  pruneOrLeave(
    ctx,
    'namespace',
    ctx.live.namespaces.map((n) => ({ id: n.id, name: n.name, match: n.name })),
    wanted,
    ctx.prune.namespaces,
    'not in the file, and prune.namespaces owns it',
  );
}

function planUpdate(
  ctx: PlanContext,
  want: NamespaceEntry,
  have: AccountSnapshot['namespaces'][number],
  apiKeyAuth: boolean | undefined,
): void {
  const fields: FieldChange[] = [];
  const diff = (field: string, from: unknown, to: unknown) => {
    if (!same(from, to)) fields.push({ field, from: from ?? null, to: to ?? null });
  };
  diff('retentionDays', have.retentionDays, want.retentionDays);
  diff('codecServer', normalCodec(have.codecServer), normalCodec(want.codecServer));
  const cas = caChange(ctx, have.mtlsAuth, want.mtlsAuth);
  if (cas.changed) fields.push({ field: 'mtlsAuth', from: cas.from ?? null, to: cas.to ?? null });
  if (apiKeyAuth !== undefined) diff('apiKeyAuth', have.apiKeyAuth, apiKeyAuth);
  const regionMoved = have.region !== want.region;
  if (fields.length === 0 && !regionMoved) {
    ctx.unchanged.push({ kind: 'namespace', name: want.name });
    return;
  }
  const authOff = fields.some((f) => (f.field === 'mtlsAuth' || f.field === 'apiKeyAuth') && !f.to);
  const reasons = [authOff ? 'switches an authentication method off' : '', cas.reason ?? ''].filter(Boolean);
  ctx.changes.push({
    kind: 'namespace',
    name: want.name,
    action: 'update',
    targetId: have.id,
    // A CA leaving the bundle refuses every client whose certificate it issued.
    destructive: authOff || cas.removed.length > 0,
    fields: regionMoved ? [...fields, { field: 'region', from: have.region, to: want.region }] : fields,
    ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    ...(regionMoved
      ? { blocked: 'a namespace’s region cannot change; delete and re-create it by hand' }
      : {}),
  });
}

/** A flag that is off is the same as one left out. */
function normalCodec(codec: NamespaceEntry['codecServer']) {
  if (!codec) return undefined;
  return {
    endpoint: codec.endpoint,
    ...(codec.passAccessToken ? { passAccessToken: true } : {}),
    ...(codec.includeCrossOriginCredentials ? { includeCrossOriginCredentials: true } : {}),
  };
}

type Mtls = NamespaceEntry['mtlsAuth'];

/**
 * Whether the accepted CAs change: as sets of certificates (by fingerprint) where both bundles are readable PEM,
 * else as text; with what is added and removed, in words, for the plan's reader.
 */
function caChange(
  ctx: PlanContext,
  have: Mtls,
  want: Mtls,
): { changed: boolean; from: Mtls; to: Mtls; removed: string[]; reason?: string } {
  const from = normalMtls(have);
  const to = normalMtls(want);
  const read = ctx.options.caFingerprints;
  const had = from && read?.(from.acceptedClientCa);
  const wanted = to && read?.(to.acceptedClientCa);
  if (!had || !wanted) return { changed: !same(from, to), from, to, removed: [] };
  const added = wanted.filter((fp) => !had.includes(fp));
  const removed = had.filter((fp) => !wanted.includes(fp));
  const filtersChanged = !same(from.certificateFilters, to.certificateFilters);
  const words = [
    added.length ? `accepts ${added.length} more CA(s) (${added.join(', ')})` : '',
    removed.length ? `removes ${removed.length} accepted CA(s) (${removed.join(', ')})` : '',
  ].filter(Boolean);
  return {
    changed: added.length > 0 || removed.length > 0 || filtersChanged,
    from,
    to,
    removed,
    ...(words.length ? { reason: words.join(', ') } : {}),
  };
}

/** Base64 is the same with or without line breaks; no filters is the same as an empty list. */
function normalMtls(mtls: NamespaceEntry['mtlsAuth']) {
  if (!mtls) return undefined;
  return {
    acceptedClientCa: normalizeCa(mtls.acceptedClientCa),
    ...(mtls.certificateFilters?.length ? { certificateFilters: mtls.certificateFilters } : {}),
  };
}

function createFields(want: NamespaceEntry): FieldChange[] {
  return Object.entries(want)
    .filter(([k, v]) => k !== 'name' && v !== undefined)
    .map(([field, to]) => ({ field, from: null, to }));
}
