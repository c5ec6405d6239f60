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
