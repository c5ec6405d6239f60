// An offboarded user's temporary access ends with them: the offboarding signals `revokeNow` to each of their
// grantTemporaryAccess runs (its id is the namespace's and the user's), so a request still waiting for approval is
// called off too, and each run takes back what it granted itself. Which namespaces: those where visibility lists a
// running run of theirs or where they hold access now — not every namespace of the account (one signal each).
import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AccessRunsLookup } from '../activities/temporary-access';
import { opsApiPaging } from '../shared/activity-options';
import { forEachLimited } from '../shared/concurrency';
import { grantTemporaryAccessWorkflowId } from '../shared/workflow-ids';
import { revokeAccessNowSignal } from './grant-temporary-access';

/** Runs started before the lookup replay signalling every namespace. */
const BY_VISIBILITY_PATCH = 'offboard-access-by-visibility';

const { findTemporaryAccessNamespaces, listNamespaceNames } = proxyActivities<Activities>(opsApiPaging);
const SIGNALS_IN_FLIGHT = 100;

/** A temporary-access run the offboarding ended (it revokes what it granted, or calls the request off). */
export interface EndedAccess {
  namespace: string;
  workflowId: string;
}

/** How the namespaces were found, and how many runs were signalled (one history event each). */
export interface AccessRunsSearch extends AccessRunsLookup {
  signalled: number;
}

export interface EndedTemporaryAccess {
  ended: EndedAccess[];
  search: AccessRunsSearch;
}

/** Signals every running temporary-access run of the user; the runs that took the signal. */
export async function endTemporaryAccess(
  user: { id: string; email: string },
  by: string,
): Promise<EndedTemporaryAccess> {
  const { namespaces, lookup } = patched(BY_VISIBILITY_PATCH)
    ? await findTemporaryAccessNamespaces({ email: user.email, userId: user.id })
    : { namespaces: await listNamespaceNames(), lookup: everyNamespace };
  const ended: EndedAccess[] = [];
  // At most SIGNALS_IN_FLIGHT at once: a run may have only so many outgoing signals pending (2,000 by default).
  await forEachLimited(namespaces, SIGNALS_IN_FLIGHT, async (namespace) => {
    const workflowId = grantTemporaryAccessWorkflowId(namespace, user.email);
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
  return {
    ended: ended.sort((a, b) => a.namespace.localeCompare(b.namespace)),
    search: { ...lookup, signalled: namespaces.length },
  };
}

const everyNamespace: AccessRunsLookup = {
  by: 'every-namespace',
  why: 'the run started before offboardings looked their runs up',
};

const notFound = (err: unknown) =>
  err instanceof ApplicationFailure && /not.?found/i.test(`${err.type ?? ''} ${err.message}`);
