// What the portal's suites share: visitors behind the proxy, unique names, forms and decisions sent as from a page.
import { Visitor, type Answer, type PortalStack } from '../helpers/portal';

let seq = 0;
/** A name no other test of this process uses. */
export const unique = (prefix: string) => `${prefix}-${process.pid % 10000}-${++seq}`;

/** Someone behind the single sign-on proxy (the portal stacks trust 127.0.0.1). */
export const viaProxy = (portal: PortalStack, email: string) =>
  new Visitor(portal.base, { headers: { 'x-forwarded-email': email } });

export async function exists(portal: PortalStack, workflowId: string): Promise<boolean> {
  return portal.stack.client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      () => false,
    );
}

/** Sends `/new/<form>` with `fields` and the page's CSRF token; for a request that started, the run it moved to. */
export async function sendForm(
  visitor: Visitor,
  form: 'namespace' | 'rotation' | 'ca-rotation' | 'offboarding' | 'access',
  fields: Record<string, string>,
): Promise<Answer & { runId?: string }> {
  const answer = await visitor.post(`/new/${form}`, { _csrf: await visitor.csrf(`/new/${form}`), ...fields });
  const runId = /run=([0-9a-f-]+)/.exec(String(answer.headers.location ?? ''))?.[1];
  return runId ? { ...answer, runId } : answer;
}

/** Posts a decision as the buttons of the Approvals page do. */
export async function sendDecision(
  visitor: Visitor,
  decision: { workflowId: string; runId: string; action: string; comment?: string },
): Promise<Answer> {
  return visitor.post('/decisions', { _csrf: await visitor.csrf('/approvals'), ...decision });
}
