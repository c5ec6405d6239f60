// Reconcile's namespaces: created (or adopted) as provisioning makes them, or their managed settings updated.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Change } from '../../desired-state/plan';
import { opsApiCall } from '../../shared/activity-options';
import type { NamespaceChanges } from '../../ops-api/resources';
import { waitForOperation } from '../common';
import { namespaceReady, namespaceSpec } from '../resource-steps';
import { changeKey, type Applied, type ApplyContext } from './context';

const { updateNamespaceSpec } = proxyActivities<Activities>(opsApiCall);

export async function applyNamespace(ctx: ApplyContext, c: Change): Promise<Applied> {
  return c.action === 'create' ? createNamespace(ctx, c) : updateNamespace(ctx, c);
}

async function createNamespace(ctx: ApplyContext, c: Change): Promise<Applied> {
  const want = ctx.desired.namespaces.find((n) => n.name === c.name)!;
  const apiKeyAuth = c.fields.find((f) => f.field === 'apiKeyAuth')?.to;
  const made = await namespaceReady(
    {
      spec: namespaceSpec(want, apiKeyAuth === undefined ? undefined : apiKeyAuth === true),
      operationKey: changeKey(c),
    },
    ctx.wait,
    { made: ({ id }) => void (ctx.nsIds[c.name] = id) },
  );
  return made.outcome === 'adopted' ? 'existed already with this spec: adopted' : undefined;
}

async function updateNamespace(ctx: ApplyContext, c: Change): Promise<Applied> {
  const changes: NamespaceChanges = {};
  for (const f of c.fields) {
    if (f.field === 'region') continue; // blocked changes never get here
    (changes as Record<string, unknown>)[f.field] = f.field === 'apiKeyAuth' ? f.to === true : (f.to ?? null);
  }
  const res = await updateNamespaceSpec({ namespaceId: c.targetId!, changes, operationKey: changeKey(c) });
  // Refused as a change that changes nothing, and read again as wanted.
  if (!res.changed) return 'was as wanted already';
  await waitForOperation(
    res.asyncOperationId,
    { kind: 'namespace', id: c.targetId!, until: 'ready' },
    ctx.wait,
  );
  return undefined;
}
