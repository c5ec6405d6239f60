// Workflow ids over Temporal's limit are refused before anything is sent, naming what made them too long.
import { MAX_WORKFLOW_ID_BYTES, workflowIdProblem } from '../../src/shared/workflow-ids';
import { offboardUserKind } from '../../src/catalog';
import { UsageError } from '../../src/starters/flags';
import { prepareStart } from '../../src/starters/starter';

test('the limit is in UTF-8 bytes, as Temporal counts it', () => {
  expect(workflowIdProblem('x'.repeat(MAX_WORKFLOW_ID_BYTES))).toBeUndefined();
  expect(workflowIdProblem('x'.repeat(MAX_WORKFLOW_ID_BYTES + 1))).toMatch(/1001 bytes/);
  // 334 characters, 1002 bytes.
  expect(workflowIdProblem('€'.repeat(334))).toMatch(/1002 bytes/);
  expect(workflowIdProblem('  ')).toMatch(/empty/);
});

async function usageProblems(argv: string[]) {
  try {
    await prepareStart(offboardUserKind, argv, {});
  } catch (err) {
    if (err instanceof UsageError) return err.problems;
    throw err;
  }
  throw new Error('expected a UsageError');
}

test('a starter names the flag whose value makes the id too long', async () => {
  const email = `${'a'.repeat(1150)}@example.com`;
  expect(await usageProblems(['--email', email])).toEqual([
    { flag: '--email', message: expect.stringMatching(/too long.*1176 bytes/) },
  ]);
  expect(await usageProblems(['--email', 'jo@example.com', '--workflow-id', 'w'.repeat(1001)])).toEqual([
    { flag: '--workflow-id', message: expect.stringMatching(/too long/) },
  ]);
  await expect(prepareStart(offboardUserKind, ['--email', 'jo@example.com'], {})).resolves.toMatchObject({
    workflowId: 'offboard-user/jo@example.com',
  });
});
