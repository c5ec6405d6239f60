// The demo's desired-state step against a stack like the demo's: plan, apply, plan again, each check passing;
// and a check that fails is reported as failed (run again, the first plan finds nothing to do).
import { desiredStateDemo } from '../../src/service/demo';
import type { Stack } from '../../src/service/stack';
import { startTestStack } from '../helpers/service';

let stack: Stack | undefined;

beforeAll(async () => {
  stack = await startTestStack('demo-desired-state', {
    emulatorOptions: { asyncOperationDurationMs: 200, checkDurationMs: 100 },
    events: false,
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function runStep() {
  const checks: Array<[boolean, string]> = [];
  const printed: string[] = [];
  await desiredStateDemo(
    stack!,
    (ok, what) => void checks.push([ok, what]),
    (line) => void printed.push(line),
  );
  return { checks, printed: printed.join('\n') };
}

test('plan (changes), apply, plan (no changes), and the emulator holds what the file says', async () => {
  const { checks, printed } = await runStep();
  expect(checks.filter(([ok]) => !ok)).toEqual([]);
  expect(checks.map(([, what]) => what)).toEqual([
    'plan exits 2: there are changes (exit 2)',
    'apply exits 0 (exit 0)',
    'plan again exits 0: no changes (exit 0)',
    'namespace demo-orders.a1b2c is active, API-key auth on',
    expect.stringMatching(/^service account demo-orders-ci \(\w+\) is active with write on it$/),
    expect.stringMatching(/^its API key deploy \(\w+\) is active, its token only in the secret sink$/),
    expect.stringMatching(/^user orders-dev@example.com \(\w+\) is a developer with read on it$/),
  ]);
  expect(printed).toContain('    Plan: 4 to create.');
  expect(printed).toMatch(/ {6}✔ create API key demo-orders-ci\/deploy/);
  expect(printed).toContain('    No changes: the account matches the file.');

  // Once applied, the first plan of the step finds nothing: that check fails, and says so.
  const again = await runStep();
  expect(again.checks.filter(([ok]) => !ok).map(([, what]) => what)).toEqual([
    'plan exits 2: there are changes (exit 0)',
  ]);
});
