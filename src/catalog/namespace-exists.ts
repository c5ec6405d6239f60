// namespaceExists: a read-only check whether a namespace is there now (before a finished provisioning is reported).
import { namespaceExistsInput } from '../shared/validation';
import type { namespaceExists } from '../workflows/namespace-exists';
import { defineKind, workflowNamed } from './kind';

export const namespaceExistsKind = defineKind({
  workflow: workflowNamed<typeof namespaceExists>('namespaceExists'),
  title: 'Namespace check',
  schema: namespaceExistsInput,
  workflowId: (input) => `namespace-exists/${input.name}`,
  // Each check reads anew; concurrent ones join the running check.
  reusePolicy: 'ALLOW_DUPLICATE',
  steps: {},
});
