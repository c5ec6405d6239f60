// What workflow code itself needs of workflow ids (the catalog, src/catalog/, holds every kind's business key): the
// id of a rotation, which the sweep and the reconcile start as children, that of temporary access, which the
// offboarding signals, and the limit every id must keep.

export const DEFAULT_TASK_QUEUE = 'cloud-ops';

/** One rotation per owner at a time: the id is the owner's. */
export const rotateApiKeyWorkflowId = (ownerType: string, ownerId: string) =>
  `rotate-api-key/${ownerType}/${ownerId}`;

/** Temporal's default limit on workflow ids (dynamic config `limit.maxIDLength`), in UTF-8 bytes. */
export const MAX_WORKFLOW_ID_BYTES = 1000;

/**
 * Why `id` cannot be a workflow id, or undefined when it can. Checked before starting, so a business key that is
 * too long is a bad request naming its field rather than a server error a sender would retry forever.
 */
export function workflowIdProblem(id: string): string | undefined {
  if (id.trim() === '') return 'makes an empty workflow id';
  const bytes = utf8Length(id);
  if (bytes > MAX_WORKFLOW_ID_BYTES) {
    return `is too long: it makes a workflow id of ${bytes} bytes and Temporal allows at most ${MAX_WORKFLOW_ID_BYTES}`;
  }
  return undefined;
}

// Workflow code cannot use Buffer.
function utf8Length(s: string): number {
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * One temporary-access request per namespace and principal (a user by lower-cased email, a service account by
 * name) at a time: a repeated request joins the running one, and the offboarding finds a user's runs by it.
 */
export const grantTemporaryAccessWorkflowId = (namespace: string, principal: string) =>
  `grant-temporary-access/${namespace.trim()}/${principal.includes('@') ? principal.trim().toLowerCase() : principal.trim()}`;
