import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DesiredStateInput } from '../desired-state/schema';
import { opsApiPaging } from '../shared/activity-options';

const { exportAccount: readAsFile } = proxyActivities<Activities>(opsApiPaging);

/** The account as it is, in the desired-state file format (never a token): `npm run export`. */
export async function exportAccount(input: { name?: string } = {}): Promise<DesiredStateInput> {
  return readAsFile(input.name ? { name: input.name } : {});
}
