// `npm run demo`: starts a throw-away stack (dev server, emulator with short operations, worker, events endpoint)
// on free ports, then drives every workflow through signed events, and a desired-state file through plan and
// apply, and checks the outcome in the emulator.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../logger';
import { DIALECTS, type DialectName } from '../ops-api/dialects';
import { FileSecretSink } from '../secrets/file-sink';
import { webhookSignatureHeaders } from '../secrets/webhook-signature';
import { onShutdownSignals } from '../shutdown-signals';
import type { StarterIO } from '../starters/cli';
import { main as applyMain } from '../starters/apply';
import { main as offboardMain } from '../starters/offboard-user';
import { main as planMain } from '../starters/plan';
import { main as rotateMain } from '../starters/rotate-api-key';
import type { EventType } from './events';
import { startStack, StackError, StartInterrupted, STACK_FILES, type Stack } from './stack';

interface Accepted {
  workflowId: string;
  runId: string;
  statusUrl: string;
  uiUrl?: string;
}

interface RequestStatus {
  status: string;
  done: boolean;
  progress?: { step?: string };
  result?: Record<string, unknown>;
  error?: { message: string };
}

const out = (line = '') => process.stdout.write(`${line}\n`);

/** Signs and sends one event; returns the endpoint's answer. */
export async function sendEvent(
  eventsUrl: string,
  secret: string,
  event: { id: string; type: EventType; data: unknown },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(event);
  const res = await fetch(`${eventsUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...webhookSignatureHeaders(body, secret) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls a status URL until the run is done, reporting each new step. */
export async function waitForRequest(
  statusUrl: string,
  onStep: (step: string) => void = () => undefined,
  timeoutMs = 120_000,
): Promise<RequestStatus> {
  const deadline = Date.now() + timeoutMs;
  let lastStep = '';
  while (Date.now() < deadline) {
    const res = await fetch(statusUrl);
    if (res.ok) {
      const status = (await res.json()) as RequestStatus;
      const step = status.progress?.step;
      if (step && step !== lastStep) onStep((lastStep = step));
      if (status.done) return status;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${statusUrl} not done after ${timeoutMs / 1000} s`);
}

/** Who approves in the demo: a second person, with the starter's --approve, as anyone else would. */
export const DEMO_APPROVER = 'demo-approver@example.com';

async function step(
  stack: Stack,
  title: string,
  type: EventType,
  data: Record<string, unknown>,
  /** A second person's approval, when the approval policy asks for one: it waits for the run to ask. */
  approval?: {
    name: string;
    main: (argv: readonly string[], io: StarterIO) => Promise<number>;
    argv: string[];
  },
): Promise<Record<string, unknown>> {
  const started = Date.now();
  out(`▶ ${title}`);
  const sent = await sendEvent(stack.events!.url, stack.events!.secret, {
    id: `demo-${type}-${Date.now()}`,
    type,
    data,
  });
  if (sent.status !== 202 && sent.status !== 200) {
    throw new Error(`event rejected (${sent.status}): ${String(sent.body.message)}`);
  }
  const accepted = sent.body as unknown as Accepted;
  out(`  workflow ${accepted.workflowId}`);
  if (accepted.uiUrl) out(`  ${accepted.uiUrl}`);
  const approved = approval
    ? (async () => {
        const argv = [...approval.argv, '--approve', '--approver', DEMO_APPROVER];
        out(`  $ npm run ${approval.name} -- ${argv.join(' ')}`);
        return command(out, stack, approval.main, argv);
      })()
    : undefined;
  const final = await waitForRequest(accepted.statusUrl, (s) => out(`  · ${s}`));
  if (approved && (await approved).code !== 0)
    throw new Error(`the approval of ${accepted.workflowId} failed`);
  if (final.status !== 'COMPLETED')
    throw new Error(`${accepted.workflowId} ${final.status}: ${final.error?.message}`);
  out(`  ✔ done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return final.result ?? {};
}

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

/** Runs a desired-state command in-process against the stack, printing its output indented as it comes. */
async function command(
  print: (line: string) => void,
  stack: Stack,
  main: (argv: readonly string[], io: StarterIO) => Promise<number>,
  argv: string[],
  show: (line: string) => boolean = () => true,
): Promise<{ code: number; stdout: string; all: string }> {
  let stdout = '';
  let all = '';
  const lines = (indent: string, keep: (line: string) => boolean) => (text: string) => {
    all += text;
    for (const line of text.replace(/\n$/, '').split('\n')) if (keep(line)) print(line && `${indent}${line}`);
  };
  const printOut = lines('    ', show);
  const code = await main(argv, {
    stdout: { write: (text: string) => ((stdout += text), printOut(text)) },
    stderr: { write: lines('  · ', () => true) },
    env: { TASK_QUEUE: stack.taskQueue },
    connect: async () => ({
      client: stack.client,
      namespace: stack.namespace,
      address: stack.temporal.address,
      close: async () => undefined,
    }),
    pollIntervalMs: 250,
  });
  return { code, stdout, all };
}

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

class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

/** `--dialect openapi|cloud` (default: OPS_API_DIALECT, else openapi): how the worker talks to the emulator. */
export function demoDialect(argv: string[], env: NodeJS.ProcessEnv = process.env): DialectName {
  const { values } = parseArgs({ args: argv, options: { dialect: { type: 'string' } }, strict: true });
  const dialect = values.dialect ?? (env.OPS_API_DIALECT || 'openapi');
  if (!(DIALECTS as readonly string[]).includes(dialect)) {
    throw new DemoUsageError(`--dialect: must be one of ${DIALECTS.join(', ')}, not "${dialect}"`);
  }
  return dialect as DialectName;
}

export async function runDemo(dialect: DialectName = 'openapi'): Promise<boolean> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cloud-ops-demo-'));
  // Quiet unless asked: the demo prints its own progress.
  const logger = createLogger({ name: 'demo', level: process.env.LOG_LEVEL ?? 'warn' });
  // The demo is self-contained: external servers configured in the shell are ignored.
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|OPS_API_|SECRET_SINK|PAYLOAD_CODEC)/.test(k)),
    ),
    OPS_API_DIALECT: dialect,
  };
  out(
    `Starting a throw-away stack (Temporal dev server, Ops API emulator, worker speaking the ${dialect} dialect, events endpoint)...`,
  );
  // Ctrl-C stops the stack (its dev server lives in a temporary folder no later start would clean up).
  let started: Stack | undefined = undefined;
  const startUp = new AbortController();
  const interrupt = async () => {
    await started?.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  onShutdownSignals({
    stop: () => {
      out('Interrupted: stopping the stack...');
      startUp.abort();
      if (started) void interrupt();
    },
    force: () => {
      started?.forceKill();
      process.exit(130);
    },
  });
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      logger,
      env,
      temporalPort: 0,
      emulatorPort: 0,
      // Short operations so the demo takes seconds, not minutes; in the cloud dialect a new namespace still reads
      // PERMISSION_DENIED / NOT_FOUND for a moment, as on the real service (docs/real-service.md).
      emulatorOptions: {
        asyncOperationDurationMs: 1_500,
        checkDurationMs: 250,
        realismParams: { readAfterCreateLag: { lagMs: 3_000 } },
      },
      events: { host: '127.0.0.1', port: 0 },
      signal: startUp.signal,
    });
  } catch (err) {
    if (err instanceof StartInterrupted) await interrupt();
    throw err;
  }
  started = stack;
  const emulator = stack.opsApi.emulator!;
  out(`Temporal Web UI: ${stack.temporal.uiUrl}`);
  out();
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    out(`  ${ok ? '✔' : '✘'} ${what}`);
    if (!ok) failures.push(what);
  };
  try {
    const name = 'demo-payments';
    const provisioned = await step(
      stack,
      `Provision namespace ${name} with a service account and an API key`,
      'namespace.requested',
      {
        name,
        region: 'aws-us-east-1',
        retentionDays: 7,
        serviceAccount: { permission: 'write' },
        apiKey: { expiryDays: 30 },
        wait: { minPollSeconds: 0.25 },
      },
    );
    const namespace = String(provisioned.namespace);
    const serviceAccountId = String(provisioned.serviceAccountId);
    const firstKeyId = String(provisioned.apiKeyId);
    let state = emulator.snapshot();
    check(
      state.namespaces.some((n) => n.namespace === namespace && n.state === 'active'),
      `namespace ${namespace} is active`,
    );
    check(
      state.serviceAccounts.some((s) => s.id === serviceAccountId && s.state === 'active'),
      `service account ${serviceAccountId} is active (${provisioned.serviceAccountScope === 'namespace' ? 'scoped to the namespace' : 'account-wide'})`,
    );
    check(
      state.apiKeys.some((k) => k.id === firstKeyId && k.state === 'active'),
      `API key ${firstKeyId} is active`,
    );
    out();

    const rotated = await step(
      stack,
      `Rotate the service account's API key (3 s grace period, so a second person approves deleting the old key)`,
      'apikey.rotation.requested',
      {
        ownerType: 'service-account',
        ownerId: serviceAccountId,
        gracePeriod: '3s',
        expiryDays: 30,
      },
      {
        name: 'rotate-api-key',
        main: rotateMain,
        argv: ['--owner-type', 'service-account', '--owner-id', serviceAccountId],
      },
    );
    const newKeyId = String(rotated.newKeyId);
    state = emulator.snapshot();
    check(
      state.apiKeys.some((k) => k.id === newKeyId && k.state === 'active'),
      `new API key ${newKeyId} is active`,
    );
    check(!state.apiKeys.some((k) => k.id === firstKeyId), `old API key ${firstKeyId} is deleted`);
    out();

    const email = 'leaver@example.com';
    const seeded = await emulator.seed({
      users: [{ email, access: { accountAccess: { role: 'developer' } } }],
    });
    const userId = seeded.userIds[0]!;
    const userKey = await emulator.seed({
      apiKeys: [
        {
          displayName: 'leaver-laptop',
          ownerId: userId,
          ownerType: 'user',
          expiryTime: new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    });
    out(`Seeded user ${email} (${userId}) with API key ${userKey.apiKeys[0]!.keyId}`);
    await step(
      stack,
      `Offboard ${email}`,
      'user.offboarding.requested',
      { email },
      { name: 'offboard-user', main: offboardMain, argv: ['--email', email] },
    );
    state = emulator.snapshot();
    check(!state.users.some((u) => u.id === userId), `user ${userId} is deleted`);
    check(!state.apiKeys.some((k) => k.spec.ownerId === userId), `the user's API keys are deleted`);
    out();

    await desiredStateDemo(stack, check);
  } catch (err) {
    failures.push((err as Error).message);
    out(`  ✘ ${(err as Error).message}`);
  } finally {
    await stack.stop();
  }
  out();
  if (failures.length === 0) {
    out('Demo succeeded.');
    await rm(dataDir, { recursive: true, force: true });
  } else {
    out(`Demo FAILED: ${failures.join('; ')} (state kept in ${dataDir})`);
  }
  return failures.length === 0;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runDemo(demoDialect(process.argv.slice(2))))
    .then(
      (ok) => process.exit(ok ? 0 : 1),
      (err: unknown) => {
        const usage =
          err instanceof DemoUsageError ||
          (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
        console.error(`demo: ${err instanceof StackError || usage ? (err as Error).message : String(err)}`);
        process.exit(usage ? 2 : 1);
      },
    );
}
