import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExpiringItems } from '../activities/expiry';
import { opsApiPaging } from '../shared/activity-options';
import { listExpiringInput, type ListExpiringInput } from '../shared/expiry';
import { validInputOrFail } from './common';

const { listExpiringItems } = proxyActivities<Activities>(opsApiPaging);

/**
 * What expires within `withinDays`, read once (`npm run expiring`): API keys and accepted CA certificates with their
 * days left, their owners and what the product does about each, as the expiry watch's schedule is set up. Changes
 * nothing and reports nothing.
 */
export async function listExpiring(rawInput: ListExpiringInput): Promise<ExpiringItems> {
  const input = validInputOrFail(listExpiringInput, rawInput, { step: 'validating' });
  return listExpiringItems({
    asOf: Date.now(),
    withinDays: input.withinDays,
    ...(input.rotation ? { rotation: input.rotation } : {}),
    afterRotation: false,
    maxItems: input.maxItems,
  });
}
