// What every applier of a reconcile shares: the file, the ids found so far, the wait, each change's step key.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Change } from '../../desired-state/plan';
import type { DesiredState } from '../../desired-state/schema';
import { opsApiPaging, type AsyncWaitOptions } from '../../shared/activity-options';
import { deleteResource, operationKey } from '../common';

const { listApiKeysByOwner } = proxyActivities<Activities>(opsApiPaging);

export interface ApplyContext {
  /** The desired state's name (recorded with the keys it makes). */
  name: string;
  desired: DesiredState;
  /** Ids by the names the file uses, as read by the plan; creates add theirs as they land. */
  nsIds: Record<string, string>;
  saIds: Record<string, string>;
  /** Users by lowercased email, groups by lowercased name, custom roles by name. */
  userIds: Record<string, string>;
  groupIds: Record<string, string>;
  roleIds: Record<string, string>;
  wait: Required<AsyncWaitOptions>;
}

/** A change left alone for a reason (not a failure). */
export class Skipped {
  constructor(readonly reason: string) {}
}

/** What applying a change says: a detail, a reason it was left alone, or nothing. */
export type Applied = string | Skipped | undefined;

/** Makes one change of the plan (a create, update or rotate of the applier's kind of resource). */
export type Applier = (ctx: ApplyContext, change: Change) => Promise<Applied>;

/** The key of one step of a change: `apply/<kind>/<name>/<action>[/<step>]`. */
export function changeKey(c: Change, step = ''): string {
  return operationKey(`apply/${c.kind}/${c.name}/${c.action}${step ? `/${step}` : ''}`);
}

/**
 * A delete of the change's target, waiting until it is gone (the same for every kind). A user's or service
 * account's API keys are deleted first, each on its own, as decommission and offboarding do: nothing says the
 * service takes an owner's keys with it (docs/real-service.md).
 */
export async function removeTarget(ctx: ApplyContext, c: Change): Promise<Applied> {
  if (c.kind === 'user' || c.kind === 'serviceAccount') {
    const ownerType = c.kind === 'user' ? 'user' : 'service-account';
    const keys = await listApiKeysByOwner({ ownerId: c.targetId!, ownerType });
    await Promise.all(
      keys.map((k) => deleteResource({ kind: 'apiKey', id: k.id }, changeKey(c, `key/${k.id}`), ctx.wait)),
    );
  }
  const res = await deleteResource({ kind: c.kind, id: c.targetId! }, changeKey(c), ctx.wait);
  return res.outcome === 'already-gone' ? 'was gone already' : undefined;
}

/** `<account>/<key name>` (a key name may itself contain a slash). */
export function splitKeyName(name: string): [string, string] {
  const at = name.indexOf('/');
  return [name.slice(0, at), name.slice(at + 1)];
}
