import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { opsApiPaging } from '../shared/activity-options';
import { namespaceExistsInput, validate, type NamespaceExistsInput } from '../shared/validation';
import { invalidInput } from './common';

const { findNamespaceByName } = proxyActivities<Activities>(opsApiPaging);

/** States of a namespace that is on its way out: nothing a finished provisioning can vouch for. */
const LEAVING = new Set(['deleting', 'deleted']);

/**
 * Whether a namespace is there now, read from the list (absence from it is proof; a single read may miss a namespace
 * just created). Asked before a finished provisioning is reported again, so that it never vouches for a namespace
 * deleted since.
 */
export async function namespaceExists(
  rawInput: NamespaceExistsInput,
): Promise<{ exists: boolean; namespace?: string; state?: string }> {
  const checked = validate(namespaceExistsInput, rawInput);
  if (!checked.ok) throw invalidInput(checked.problems);
  const ns = await findNamespaceByName(checked.value.name);
  if (!ns) return { exists: false };
  return { exists: !LEAVING.has(ns.state), namespace: ns.namespace, state: ns.state };
}
