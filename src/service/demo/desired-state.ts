// The demo's desired-state part: a small file planned, applied and planned again, then checked in the emulator.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FileSecretSink } from '../../secrets/file-sink';
import { main as applyMain } from '../../starters/apply';
import { main as planMain } from '../../starters/plan';
import { STACK_FILES, type Stack } from '../stack';
import { command } from './command';

export type Check = (ok: boolean, what: string) => void;
const out = (line = '') => process.stdout.write(`${line}\n`);

/** The desired state the demo plans and applies: a namespace, a service account with a key, a user. */
const DEMO_DESIRED_STATE = `name: demo
namespaces:
  - name: demo-orders
    region: aws-us-east-1
    retentionDays: 7
serviceAccounts:
  - name: demo-orders-ci
    access: { demo-orders: write }
    apiKeys:
      - displayName: deploy
        expiryDays: 30
users:
  - email: orders-dev@example.com
    role: developer
    access: { demo-orders: read }
`;

/** Plan, apply, plan again of a small desired-state file; then the emulator's state is checked. */
export async function desiredStateDemo(
  stack: Stack,
  check: (ok: boolean, what: string) => void,
  print: (line: string) => void = out,
): Promise<void> {
  const file = path.join(stack.dataDir, 'demo-desired-state.yaml');
  await writeFile(file, DEMO_DESIRED_STATE);
  const started = Date.now();
  print(`▶ Desired state as code: plan, apply, plan again (${file})`);
  print(`  $ npm run plan -- -f ${file}`);
  const planned = await command(print, stack, planMain, ['-f', file]);
  check(planned.code === 2, `plan exits 2: there are changes (exit ${planned.code})`);
  // Nothing destructive: the approval policy lets it through without an approver.
  print(`  $ npm run apply -- -f ${file}`);
  // The plan was just shown: print what apply did.
  let inPlan = false;
  const applied = await command(print, stack, applyMain, ['-f', file], (line) => {
    if (line.startsWith('Plan for ')) inPlan = true;
    else if (inPlan && line.startsWith('Plan: ')) return !(inPlan = false);
    return !inPlan && line.trim() !== '';
  });
  check(applied.code === 0, `apply exits 0 (exit ${applied.code})`);
  print(`  $ npm run plan -- -f ${file}`);
  const again = await command(print, stack, planMain, ['-f', file], (line) => line.startsWith('No changes'));
  check(
    again.code === 0 && again.stdout.includes('No changes'),
    `plan again exits 0: no changes (exit ${again.code})`,
  );

  const state = stack.opsApi.emulator!.snapshot();
  const namespace = state.namespaces.find((n) => n.spec.name === 'demo-orders');
  check(
    namespace?.state === 'active' && namespace.spec.apiKeyAuth?.enabled === true,
    `namespace ${namespace?.namespace ?? 'demo-orders'} is active, API-key auth on`,
  );
  const account = state.serviceAccounts.find((s) => s.spec.name === 'demo-orders-ci');
  check(
    account?.state === 'active' &&
      account.spec.access?.namespaceAccesses?.[namespace?.namespace ?? '']?.permission === 'write',
    `service account demo-orders-ci (${account?.id}) is active with write on it`,
  );
  const key = state.apiKeys.find((k) => k.spec.ownerId === account?.id && k.spec.displayName === 'deploy');
  const secrets = new FileSecretSink({ dir: path.join(stack.dataDir, STACK_FILES.secrets) });
  const stored = key ? await secrets.read(`api-keys/${key.id}`) : undefined;
  check(
    key?.state === 'active' &&
      stored !== undefined &&
      ![planned, applied, again].some((r) => r.all.includes(stored.secret)),
    `its API key deploy (${key?.id}) is active, its token only in the secret sink`,
  );
  const user = state.users.find((u) => u.spec.email === 'orders-dev@example.com');
  check(
    user?.spec.access?.accountAccess?.role === 'developer' &&
      user.spec.access.namespaceAccesses?.[namespace?.namespace ?? '']?.permission === 'read',
    `user orders-dev@example.com (${user?.id}) is a developer with read on it`,
  );
  print(`  ✔ done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
