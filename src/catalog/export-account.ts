// exportAccount: the account as it is, in the desired-state file format (`npm run export`).
import type { exportAccount } from '../workflows/export-account';
import { defineKind, workflowNamed } from './kind';

export const exportAccountId = () => 'export-account';

export const exportAccountKind = defineKind({
  workflow: workflowNamed<typeof exportAccount>('exportAccount'),
  title: 'Export',
  workflowId: () => exportAccountId(),
  // A read: each export reads anew, a running one is joined.
  reusePolicy: 'ALLOW_DUPLICATE',
  // No status query: it is one read.
  steps: {},
});
