// `npm run bundle-workflows [-- <file>]`: the workflow code bundled once, for WORKFLOW_BUNDLE (docs/worker.md).
import path from 'node:path';
import { writeWorkflowBundle } from '../src/worker';

const file = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
writeWorkflowBundle(file).then(
  (bytes) =>
    console.log(`Wrote ${file} (${(bytes / 1e6).toFixed(1)} MB): start workers with WORKFLOW_BUNDLE=${file}`),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
