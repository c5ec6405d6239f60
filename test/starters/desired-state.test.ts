// The desired-state commands (plan, apply, export, schedule-reconcile) against a dev server (approvals and
// Schedules need real time), a worker with the real activities and the emulator: flags and exit codes, a bad
// file refused before anything connects, approval from a second invocation, export → plan, drift on a schedule.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { ConfigError } from '../../src/config';
import { verifyWebhookSignature } from '../../src/secrets/webhook-signature';
import type { ExitCode, StarterIO } from '../../src/starters/cli';
import { main as applyMain } from '../../src/starters/apply';
import { main as exportMain } from '../../src/starters/export';
import { main as planMain } from '../../src/starters/plan';
import { main as scheduleMain } from '../../src/starters/schedule-reconcile';
import { mutations, stackPerTest, type OpsStack } from '../helpers/stack';
import { createLocalEnv } from '../helpers/temporal';
import { hermeticEnv, jsonOut, runMain, runStarter } from './run-starter';

let env: TestWorkflowEnvironment;
let stack: OpsStack;
let tmp: string;
/** Times a command asked for a Temporal connection in the current test. */
let connects: number;

// Operations finish at once: the waits are the workflows' own (1 s polls at most).
stackPerTest(
  { asyncOperationDurationMs: 0, checkDurationMs: 100 },
  (made) => ({ env, stack } = made),
  createLocalEnv,
);
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'desired-state-cli-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  connects = 0;
});

interface CliRun {
  code: ExitCode | number;
  stdout: string;
  stderr: string;
}

/** A command's `main` in-process, with the dev server's client and the stack's task queue. */
function cli(
  main: (argv: readonly string[], io?: StarterIO) => Promise<number>,
  onStdout?: (stdout: string) => void,
) {
  return (...argv: string[]): Promise<CliRun> =>
    runMain(main, argv, {
      client: env.client,
      env: { TASK_QUEUE: stack.taskQueue, USER: 'tester' },
      onConnect: () => connects++,
      ...(onStdout ? { onStdout } : {}),
    });
}
const plan = cli(planMain);
const apply = cli(applyMain);
const exportCli = cli(exportMain);
const schedule = cli(scheduleMain);

const json = (run: CliRun) => {
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown> & { result?: Record<string, unknown> };
};

async function file(name: string, text: string): Promise<string> {
  const p = path.join(tmp, name);
  await writeFile(p, text);
  return p;
}

const SMALL = `
namespaces:
  - name: shop
    region: aws-us-east-1
    retentionDays: 7
serviceAccounts:
  - name: shop-ci
    access: { shop: write }
    apiKeys:
      - displayName: deploy
        expiryDays: 30
users:
  - email: dev@example.com
    role: developer
    access: { shop: read }
`;

const names = () => ({
  namespaces: stack.emulator.snapshot().namespaces.map((n) => n.spec.name),
  serviceAccounts: stack.emulator.snapshot().serviceAccounts.map((s) => s.spec.name),
  users: stack.emulator.snapshot().users.map((u) => u.spec.email),
  apiKeys: stack.emulator.snapshot().apiKeys.map((k) => k.spec.displayName),
});

/** Waits (bounded) until `read()` holds. */
async function until(what: string, read: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await read()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never: ${what}`);
}

test('--help for each command, with -f/--file and its own exit codes', async () => {
  const [p, a, e, s] = await Promise.all([plan('--help'), apply('-h'), exportCli('--help'), schedule('-h')]);
  for (const r of [p, a, e, s]) {
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run (plan|apply|export|schedule-reconcile) -- \[flags\]/);
  }
  expect(p.stdout).toContain('-f, --file FILE');
  expect(p.stdout).toMatch(/0 no changes, 2 changes .* 1 error/);
  expect(p.stdout).not.toContain('--wait');
  expect(a.stdout).toContain('--approve');
  expect(a.stdout).toContain('--auto-approve');
  expect(e.stdout).toContain('-o, --output FILE');
  expect(s.stdout).toContain('--every DURATION');
  expect(s.stdout).toContain('--auto-apply');
  expect(connects).toBe(0);
});

test('a bad file: every problem with path and line, exit 1, nothing connects or starts', async () => {
  const bad = await file(
    'bad.yaml',
    [
      'namespaces:',
      '  - name: Shop',
      '    region: mars',
      '    retentionDays: 7',
      'serviceAccounts:',
      '  - name: ci',
      '    colour: blue',
    ].join('\n'),
  );
  for (const run of [plan, apply, schedule]) {
    const r = await run('-f', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml: 3 problems/);
    expect(r.stderr).toMatch(/line 2: namespaces\[0\]\.name: must be/);
    expect(r.stderr).toMatch(/line 3: namespaces\[0\]\.region: must be a region id/);
    expect(r.stderr).toMatch(/line 7: serviceAccounts\[0\]\.colour: unknown field/);
  }
  const asJson = json(await plan('-f', bad, '--json'));
  expect(asJson).toMatchObject({ ok: false, error: { kind: 'file' } });
  expect((asJson.error as { problems: unknown[] }).problems).toHaveLength(3);
  // A missing file is a file problem too; a missing flag is a usage problem (exit 1 for plan: 2 means changes).
  expect((await plan('-f', path.join(tmp, 'nope.yaml'))).stderr).toMatch(/cannot read the file/);
  expect(await plan()).toMatchObject({ code: 1, stderr: expect.stringMatching(/-f\/--file: is required/) });
  // -f never takes the next flag as its value; --file=PATH is the same flag.
  expect(await plan('-f', '--json')).toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/^plan: -f: needs a value$/m),
  });
  expect((await plan(`--file=${bad}`)).stderr).toMatch(/line 3: namespaces\[0\]\.region/);
  expect(await apply('-f', bad, '--concurrency', '0')).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/--concurrency: must be a whole number from 1 to 20/),
  });
  expect(connects).toBe(0);
  expect(stack.emulator.requestLog).toEqual([]);

  // And as a process: the exit code is the process's.
  const child = await runStarter(
    'plan',
    ['-f', bad],
    hermeticEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1', TASK_QUEUE: stack.taskQueue }),
  );
  expect(child.code).toBe(1);
  expect(child.stderr).toMatch(/line 3: namespaces\[0\]\.region/);
  expect(child.stderr).not.toMatch(/connect/);
});

test('plan exits 2 with changes, apply makes them (token never printed), plan again exits 0', async () => {
  const f = await file('shop.yaml', SMALL);
  await stack.runWorker(async () => {
    const planned = await plan('-f', f);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain('Plan for shop');
    expect(planned.stdout).toMatch(/\+ namespace shop\n {6}region: aws-us-east-1/);
    expect(planned.stdout).toContain('+ API key shop-ci/deploy');
    expect(planned.stdout).toContain('Plan: 4 to create.');
    expect(planned.stderr).toContain('reconcile-plan/shop');
    expect(mutations(stack.emulator)).toEqual([]);

    const applied = await apply('-f', f);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Plan for shop');
    expect(applied.stdout).toMatch(/✔ create namespace shop/);
    expect(applied.stdout).toMatch(/✔ create API key shop-ci\/deploy: \S+, token in file:api-keys\//);
    expect(applied.stdout).toContain('Apply complete: 4 done, 0 skipped, 0 failed.');
    expect(names()).toEqual({
      namespaces: ['shop'],
      serviceAccounts: ['shop-ci'],
      users: ['dev@example.com'],
      apiKeys: ['deploy'],
    });
    const key = stack.emulator.snapshot().apiKeys[0]!;
    const token = (await stack.secrets.read(`api-keys/${key.id}`))!.secret;
    expect(applied.stdout + applied.stderr + planned.stdout).not.toContain(token);

    const again = await plan('-f', f, '--json');
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ ok: true, name: 'shop', outcome: 'no-changes', drift: false });
    expect((await plan('-f', f)).stdout).toContain('No changes: the account matches the file.');
    // Applying again changes nothing.
    stack.emulator.clearRequestLog();
    const noop = await apply('-f', f, '--json');
    expect(noop.code).toBe(0);
    expect(json(noop)).toMatchObject({ ok: true, outcome: 'no-changes', workflowId: 'reconcile/shop' });
    expect(mutations(stack.emulator)).toEqual([]);
    // Said once, by the plan it shows.
    const told = (await apply('-f', f)).stdout;
    expect(told.split('No changes: the account matches the file.')).toHaveLength(2);
  });
});

test('a file that cannot be applied: plan exits 1 naming the problem', async () => {
  const f = await file('elsewhere.yaml', SMALL.replace('aws-us-east-1', 'aws-mars-north-1'));
  await stack.runWorker(async () => {
    const r = await plan('-f', f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/! namespace shop: region "aws-mars-north-1" is not one of/);
    const applied = await apply('-f', f);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(/reconcile\/elsewhere failed: the file cannot be applied/);
  });
  expect(mutations(stack.emulator)).toEqual([]);
});

/** The shop, plus a sandbox namespace the file prunes: applying it waits for approval. */
async function pruningSetUp(name: string): Promise<string> {
  await stack.emulator.seed({ namespaces: [{ name: 'sandbox', region: 'aws-us-east-1', retentionDays: 1 }] });
  return file(`${name}.yaml`, `${SMALL}prune:\n  namespaces: ['sand*']\n`);
}

test('apply waits for approval; --approve from a second invocation approves the plan it showed', async () => {
  const f = await pruningSetUp('approved');
  await stack.runWorker(async () => {
    // Nothing waits yet: refused, nothing sent.
    const early = await apply('-f', f, '--approve', '--approver', 'lead');
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/no apply of approved is running .*: nothing to approve/);

    // The first invocation prints the plan and how to decide, and keeps waiting; approved once it says so (an
    // approval that lands before its next poll would end the wait before it is printed).
    let printed = '';
    const waiting = cli(applyMain, (stdout) => (printed = stdout))('-f', f, '--requested-by', 'dev');
    await until('the apply says it waits for approval', async () => /Waiting for approval/.test(printed));
    const approval = await apply('-f', f, '--approve', '--approver', 'lead', '--json');
    expect(approval.code).toBe(0);
    expect(json(approval)).toMatchObject({
      ok: true,
      workflowId: 'reconcile/approved',
      signal: 'approve',
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const first = await waiting;
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/- namespace sandbox \(not in the file, and prune.namespaces owns it\)/);
    expect(first.stdout).toMatch(/Waiting for approval .* of 1 destructive change requested by dev:/);
    expect(first.stdout).toMatch(/ {4}delete namespace sandbox/);
    expect(first.stdout).toContain(`npm run apply -- -f ${f} --approve --approver <name>`);
    expect(first.stdout).toMatch(/✔ delete namespace sandbox/);
    expect(first.stdout).toMatch(
      /Apply complete: 5 done, 0 skipped, 0 failed\. Destructive changes approved by lead/,
    );
  });
  expect(names().namespaces).toEqual(['shop']);
});

test('--reject: the apply changes nothing and exits 1; another apply of the name meanwhile is refused', async () => {
  const f = await pruningSetUp('rejected');
  await stack.runWorker(async () => {
    const waiting = apply('-f', f);
    // Once it runs (not before: the other apply would then be the one that starts).
    await until('the apply runs', () =>
      env.client.workflow
        .getHandle('reconcile/rejected')
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch(() => false),
    );
    expect((await apply('-f', f, '--requested-by', 'someone-else')).code).toBe(2);
    // --auto-approve cannot lower what the approval policy asks: a usage error, nothing started.
    const lowered = await apply('-f', f, '--auto-approve', '--json');
    expect(lowered.code).toBe(2);
    expect(json(lowered)).toMatchObject({
      ok: false,
      error: {
        kind: 'usage',
        problems: [{ flag: '--auto-approve', message: expect.stringMatching(/approval policy requires/) }],
      },
    });
    const other = await apply('-f', f, '--approval-timeout', '2h', '--json');
    expect(other.code).toBe(2);
    expect(json(other)).toMatchObject({
      ok: false,
      workflowId: 'reconcile/rejected',
      started: false,
      error: {
        kind: 'conflict',
        message: expect.stringMatching(/is already running .* with different input/),
      },
    });
    await until('the apply waits for approval', async () => {
      const r = await apply('-f', f, '--reject', '--approver', 'lead', '--reason', 'freeze week');
      return r.code === 0;
    });
    const first = await waiting;
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/Rejected by lead at .* \(freeze week\): nothing was changed\./);
    // Nothing waits any more.
    expect((await apply('-f', f, '--reject')).code).toBe(1);
  });
  expect(names().namespaces).toEqual(['sandbox']);
  expect(mutations(stack.emulator)).toEqual([]);
});

test('export → plan prints no changes, through the CLIs as processes; export keeps an existing file', async () => {
  const f = await file('source.yaml', SMALL);
  await stack.runWorker(async () => {
    expect((await apply('-f', f)).code).toBe(0);
    await stack.emulator.seed({ users: [{ email: 'hand-made@example.com' }] });
    const childEnv = hermeticEnv({
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: stack.taskQueue,
    });
    const out = path.join(tmp, 'exported.yaml');
    const exported = await runStarter('export', ['-o', out], childEnv);
    expect(exported).toMatchObject({ code: 0 });
    expect(exported.stderr).toMatch(
      /wrote .*exported\.yaml: 1 namespace, 1 service account \(1 API key\), 2 users/,
    );
    const text = await readFile(out, 'utf8');
    expect(text.split('\n')[0]).toMatch(
      /^# yaml-language-server: \$schema=\.\.?\/.*desired-state\.schema\.json$/,
    );
    expect(text).toContain('hand-made@example.com');
    expect(text).not.toMatch(/tmprl_/);

    const planned = await runStarter('plan', ['-f', out], childEnv);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('No changes: the account matches the file.');

    const kept = await runStarter('export', ['-o', out, '--json'], childEnv);
    expect(kept.code).toBe(2);
    expect(jsonOut(kept)).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(kept.stderr).toMatch(/exported\.yaml exists; pass --force/);
    expect(await readFile(out, 'utf8')).toBe(text);
  });
  // In-process: --force overwrites, stdout without -o, --name is written into the file.
  await stack.runWorker(async () => {
    const forced = await exportCli('-o', path.join(tmp, 'exported.yaml'), '--force', '--name', 'prod');
    expect(forced.code).toBe(0);
    expect(await readFile(path.join(tmp, 'exported.yaml'), 'utf8')).toMatch(/^name: prod$/m);
    const toStdout = await exportCli();
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toMatch(/^# yaml-language-server: \$schema=\.\/desired-state\.schema\.json\n/);
  });
});

test('Temporal unreachable: exit 3 from each command; bad client configuration: a usage error', async () => {
  const f = await file('unreachable.yaml', SMALL);
  const unreachable = async () => {
    connects++;
    throw new Error('could not connect to Temporal at 127.0.0.1:1 within 10 s');
  };
  const run = (main: (argv: readonly string[], io?: StarterIO) => Promise<number>, ...argv: string[]) => {
    let stderr = '';
    return main(argv, {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
      connect: unreachable,
    }).then((code) => ({ code, stderr }));
  };
  for (const [main, argv] of [
    [planMain, ['-f', f]],
    [applyMain, ['-f', f]],
    [applyMain, ['-f', f, '--approve', '--approver', 'lead']],
    [exportMain, []],
    [scheduleMain, ['-f', f]],
  ] as const) {
    const r = await run(main, ...argv);
    expect(r).toMatchObject({ code: 3, stderr: expect.stringMatching(/could not connect to Temporal/) });
  }
  expect(connects).toBe(5);
  const badConfig = async (): Promise<never> => {
    throw new ConfigError('invalid Temporal client configuration: bad TLS file');
  };
  for (const [main, code] of [
    [planMain, 1],
    [applyMain, 2],
  ] as const) {
    let stderr = '';
    const got = await main(['-f', f], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
      connect: badConfig,
    });
    expect(got).toBe(code);
    expect(stderr).toMatch(/invalid Temporal client configuration/);
  }
});

describe('schedule-reconcile', () => {
  const SECRET = 'drift-webhook-secret-0123456789';
  let server: Server;
  let received: Array<{ body: string; valid: boolean }>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const valid = verifyWebhookSignature(
          body,
          req.headers['x-signature-timestamp'],
          req.headers['x-signature-256'],
          SECRET,
        );
        received.push({ body, valid });
        res.writeHead(valid ? 200 : 401).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });
  beforeEach(() => {
    received = [];
  });

  /** A worker whose scheduled plans post drift to the local server. */
  const withDriftWebhook = <T>(fn: () => Promise<T>) =>
    stack.runWorker(fn, {
      activities: createActivities({
        client: stack.client,
        secrets: stack.secrets,
        driftWebhook: {
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/drift`,
          secret: SECRET,
        },
      }),
    });

  test('create, unchanged, update after an edit, describe; a scheduled plan with drift posts a signed summary; delete', async () => {
    const f = await file('drifting.yaml', SMALL);
    const created = await schedule('-f', f, '--every', '6h', '--json');
    expect(created.code).toBe(0);
    expect(json(created)).toMatchObject({ outcome: 'created', scheduleId: 'reconcile-schedule/drifting' });
    expect(json(await schedule('-f', f, '--every', '6h', '--json'))).toMatchObject({ outcome: 'unchanged' });

    await writeFile(f, SMALL.replace('retentionDays: 7', 'retentionDays: 14'));
    const updated = json(await schedule('-f', f, '--every', '6h', '--json'));
    expect(updated).toMatchObject({ outcome: 'updated' });
    expect(updated.changes).toEqual([
      expect.stringMatching(/^desired state: the file changed \(sha256 \w{12} → \w{12}\)$/),
    ]);
    expect(json(await schedule('-f', f, '--every', '6h', '--json'))).toMatchObject({ outcome: 'unchanged' });
    const toApply = json(await schedule('-f', f, '--every', '6h', '--auto-apply', '--json'));
    // An apply records the approval policy's answer: destructive changes wait for an approver.
    expect(toApply.changes).toEqual([
      'mode: "plan" → "apply"',
      'notifyDrift: true → null',
      'approval: null → {"requestedBy":"schedule reconcile-schedule/drifting","approvers":"*","required":true,"reasons":["an apply with destructive changes needs an approval"]}',
    ]);
    expect(json(await schedule('-f', f, '--every', '6h', '--json'))).toMatchObject({ outcome: 'updated' });

    const described = json(await schedule('-f', f, '--describe', '--json'));
    expect(described).toMatchObject({
      scheduleId: 'reconcile-schedule/drifting',
      paused: false,
      taskQueue: stack.taskQueue,
      spec: { intervals: [{ every: 6 * 60 * 60_000 }] },
      reconcile: {
        name: 'drifting',
        mode: 'plan',
        notifyDrift: true,
        requestedBy: 'schedule reconcile-schedule/drifting',
        desired: { namespaces: ['shop'], serviceAccounts: ['shop-ci'], users: ['dev@example.com'] },
      },
    });

    // The account is empty: a scheduled plan finds drift and posts it, signed.
    await withDriftWebhook(async () => {
      expect(json(await schedule('-f', f, '--trigger-now', '--json'))).toMatchObject({
        outcome: 'triggered',
      });
      await until('the drift webhook was called', () => received.length > 0);
      let recent: Array<{ workflowId: string }> = [];
      await until('the scheduled run is listed', async () => {
        recent = json(await schedule('-f', f, '--describe', '--json')).recent as typeof recent;
        return recent.length > 0;
      });
      const result = await env.client.workflow.getHandle(recent[0]!.workflowId).result();
      expect(recent[0]!.workflowId).toMatch(/^reconcile-schedule\/drifting\/plan/);
      expect(result).toMatchObject({ mode: 'plan', outcome: 'planned', drift: true, notified: 'sent' });
      // --describe tells what each recent run found.
      expect(json(await schedule('-f', f, '--describe', '--json')).recent).toEqual([
        expect.objectContaining({
          workflowId: recent[0]!.workflowId,
          status: 'COMPLETED',
          outcome: 'planned',
          drift: true,
          changes: 4,
          notified: 'sent',
        }),
      ]);
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.valid).toBe(true);
    const body = JSON.parse(received[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'desired-state.drift',
      name: 'drifting',
      summary: { create: 4 },
      changes: expect.arrayContaining([
        expect.objectContaining({
          kind: 'namespace',
          name: 'shop',
          action: 'create',
          fields: expect.arrayContaining(['retentionDays']),
        }),
      ]),
    });
    expect(mutations(stack.emulator)).toEqual([]);

    expect(json(await schedule('-f', f, '--delete', '--json'))).toMatchObject({ outcome: 'deleted' });
    const gone = await schedule('--schedule-id', 'reconcile-schedule/drifting', '--describe');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no schedule reconcile-schedule\/drifting/);
  });

  test('--auto-apply: a scheduled apply waits for approval, and apply --approve finds it', async () => {
    const f = await pruningSetUp('nightly');
    expect((await schedule('-f', f, '--every', '1d', '--auto-apply')).code).toBe(0);
    await withDriftWebhook(async () => {
      expect((await schedule('-f', f, '--trigger-now')).code).toBe(0);
      let approved: CliRun | undefined;
      await until('the scheduled apply waits for approval', async () => {
        const r = await apply('-f', f, '--approve', '--approver', 'lead');
        if (r.code === 0) approved = r;
        return r.code === 0;
      });
      expect(approved!.stdout).toMatch(
        /reconcile-schedule\/nightly\/apply\S* \(run \S+\) waits for a decision/,
      );
      await until('the namespace is pruned', () => !names().namespaces.includes('sandbox'));
    });
    expect(names().namespaces).toEqual(['shop']);
    expect(received).toEqual([]); // an apply reports in its result, not to the drift webhook
    expect((await schedule('-f', f, '--delete')).code).toBe(0);
  });

  test('flags: --auto-approve needs --auto-apply, --every needs a duration, an action without the file needs --schedule-id', async () => {
    const f = await file('flags.yaml', SMALL);
    const bad = await schedule('-f', f, '--every', 'soon', '--auto-approve');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--every: must be a duration of at least 1m/);
    expect(bad.stderr).toMatch(/--auto-approve: needs --auto-apply/);
    expect((await schedule('--describe')).stderr).toMatch(/-f\/--file: is required \(or --schedule-id\)/);
    expect(connects).toBe(0);
  });
});
