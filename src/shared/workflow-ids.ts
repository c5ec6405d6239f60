// Workflow ids come from business keys, so a repeated request finds the existing run instead of
// starting another. Shared by starters, the events endpoint and parent workflows.
export const workflowIds = {
  provisionNamespace: (name: string) => `provision-namespace/${name}`,
  updateNamespace: (name: string) => `update-namespace/${name}`,
  decommissionNamespace: (name: string) => `decommission-namespace/${name}`,
};

export const DEFAULT_TASK_QUEUE = 'cloud-ops';

// API key rotation and user offboarding. One rotation per owner at a time: the id is the owner's.
export const accessWorkflowIds = {
  rotateApiKey: (ownerType: string, ownerId: string) => `rotate-api-key/${ownerType}/${ownerId}`,
  /** A manually started sweep; scheduled ones get the schedule's id plus a timestamp. */
  rotateExpiringKeys: () => 'rotate-expiring-keys',
  offboardUser: (emailOrId: string) =>
    `offboard-user/${emailOrId.includes('@') ? emailOrId.trim().toLowerCase() : emailOrId.trim()}`,
};

export const KEY_ROTATION_SCHEDULE_ID = 'rotate-expiring-keys';

// Desired state as code: one apply per desired state at a time; plans and exports do not block it.
export const desiredStateWorkflowIds = {
  apply: (name: string) => `reconcile/${name}`,
  plan: (name: string) => `reconcile-plan/${name}`,
  export: () => 'export-account',
  /** The drift-detection schedule of a desired state. */
  schedule: (name: string) => `reconcile-schedule/${name}`,
};

/**
 * What a start does when the business key already has a closed run (a running one is always joined).
 * A namespace request is answered once: a finished run is reported, a failed one may be retried. Updates,
 * decommissions, rotations and offboardings recur, so they start afresh (all are idempotent). Starters and
 * the events endpoint both use this, so a CLI start and an event behave alike.
 */
export const workflowIdReusePolicies = {
  provisionNamespace: 'ALLOW_DUPLICATE_FAILED_ONLY',
  updateNamespace: 'ALLOW_DUPLICATE',
  decommissionNamespace: 'ALLOW_DUPLICATE',
  rotateApiKey: 'ALLOW_DUPLICATE',
  rotateExpiringKeys: 'ALLOW_DUPLICATE',
  offboardUser: 'ALLOW_DUPLICATE',
  reconcile: 'ALLOW_DUPLICATE',
  exportAccount: 'ALLOW_DUPLICATE',
} as const;

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
