// An offboarded user's temporary access ends with them: the offboarding signals `revokeNow` to the
// grantTemporaryAccess run of each namespace that may hold one (its id is the namespace's and the user's), so a
// request still waiting for approval is called off too, and each run takes back what it granted itself.
import { ApplicationFailure, getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { opsApiPaging } from '../shared/activity-options';
import { forEachLimited } from '../shared/concurrency';
import { grantTemporaryAccessWorkflowId } from '../shared/workflow-ids';
import { revokeAccessNowSignal } from './grant-temporary-access';

const { listNamespaceNames } = proxyActivities<Activities>(opsApiPaging);
const SIGNALS_IN_FLIGHT = 100;

/** A temporary-access run the offboarding ended (it revokes what it granted, or calls the request off). */
export interface EndedAccess {
  namespace: string;
  workflowId: string;
}

/** Signals every running temporary-access run of `email`; the runs that took the signal. */
export async function endTemporaryAccess(email: string, by: string): Promise<EndedAccess[]> {
  const namespaces = await listNamespaceNames();
  const ended: EndedAccess[] = [];
  // At most SIGNALS_IN_FLIGHT at once: a run may have only so many outgoing signals pending (2,000 by default).
  await forEachLimited(namespaces, SIGNALS_IN_FLIGHT, async (namespace) => {
    const workflowId = grantTemporaryAccessWorkflowId(namespace, email);
    try {
      await getExternalWorkflowHandle(workflowId).signal(revokeAccessNowSignal, {
        by,
        reason: 'the user is offboarded',
      });
      ended.push({ namespace, workflowId });
    } catch (err) {
      // No such run, or it has ended: nothing of theirs there.
      if (!notFound(err)) throw err;
    }
  });
  return ended.sort((a, b) => a.namespace.localeCompare(b.namespace));
}

const notFound = (err: unknown) =>
  err instanceof ApplicationFailure && /not.?found/i.test(`${err.type ?? ''} ${err.message}`);
