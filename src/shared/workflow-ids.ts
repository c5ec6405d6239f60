// Workflow ids come from business keys, so a repeated request finds the existing run instead of
// starting another. Shared by starters, the events endpoint and parent workflows.
export const workflowIds = {
  provisionNamespace: (name: string) => `provision-namespace/${name}`,
  updateNamespace: (name: string) => `update-namespace/${name}`,
  decommissionNamespace: (name: string) => `decommission-namespace/${name}`,
};

export const DEFAULT_TASK_QUEUE = 'cloud-ops';
