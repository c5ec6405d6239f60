// The schedule starter against a real dev server (the time-skipping server has no Schedules).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { main } from '../../src/starters/schedule-key-rotation';
import { createLocalEnv, envPerFile } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
envPerFile((made) => (env = made), createLocalEnv);

/** Runs the starter in-process with the test's client; returns exit code and the parsed --json line. */
async function run(...argv: string[]): Promise<{ code: number; out: Record<string, unknown>; err: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main([...argv, '--json'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    connect: async () => ({
      client: env.client,
      namespace: 'default',
      address: 'test',
      close: async () => undefined,
    }),
  });
  return {
    code,
    out: stdout ? (JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>) : {},
    err: stderr,
  };
}

const ID = ['--schedule-id', 'key-rotation-test', '--task-queue', 'nobody-polls'];
/** The settings of the updated schedule (lead days 10, or as given). */
const settings = (leadDays = '10') => [
  '--lead-days',
  leadDays,
  '--concurrency',
  '3',
  '--interval',
  '12h',
  '--overlap',
  'buffer-one',
];

test('create, re-run (unchanged), update, describe, trigger, pause, unpause, delete', async () => {
  expect(await run(...ID, '--lead-days', '10', '--concurrency', '3')).toMatchObject({
    code: 0,
    out: { outcome: 'created' },
  });
  expect((await run(...ID, '--lead-days', '10', '--concurrency', '3')).out).toMatchObject({
    outcome: 'unchanged',
  });

  const updated = await run(...ID, ...settings());
  expect(updated.out).toMatchObject({ outcome: 'updated' });
  expect((updated.out.changes as string[]).join('\n')).toMatch(/spec:.*43200000[\s\S]*overlap:.*BUFFER_ONE/);
  expect((await run(...ID, ...settings())).out).toMatchObject({
    outcome: 'unchanged',
  });

  const described = await run(...ID, '--describe');
  expect(described.out).toMatchObject({
    paused: false,
    overlap: 'BUFFER_ONE',
    taskQueue: 'nobody-polls',
    sweep: { leadDays: 10, concurrency: 3 },
    spec: { intervals: [{ every: 12 * 60 * 60_000 }] },
  });

  expect((await run(...ID, '--trigger-now')).out).toMatchObject({ outcome: 'triggered' });
  // The schedule starts the sweep asynchronously; poll the description (bounded, no timing assertion).
  let taken = 0;
  for (let i = 0; i < 50 && taken === 0; i++) {
    taken = (await run(...ID, '--describe')).out.actionsTaken as number;
    if (taken === 0) await new Promise((r) => setTimeout(r, 200));
  }
  expect(taken).toBe(1);
  const recent = (await run(...ID, '--describe')).out.recent as Array<{ workflowId: string }>;
  expect(recent[0]!.workflowId).toMatch(/^key-rotation-test\/sweep/);

  expect((await run(...ID, '--pause', '--note', 'maintenance')).out).toMatchObject({ outcome: 'paused' });
  expect((await run(...ID, '--describe')).out).toMatchObject({ paused: true, note: 'maintenance' });
  // Re-applying the same settings leaves a paused schedule paused.
  expect((await run(...ID, ...settings())).out).toMatchObject({
    outcome: 'unchanged',
  });
  expect((await run(...ID, ...settings('11'))).out).toMatchObject({
    outcome: 'updated',
  });
  expect((await run(...ID, '--describe')).out).toMatchObject({ paused: true, sweep: { leadDays: 11 } });
  expect((await run(...ID, '--unpause')).out).toMatchObject({ outcome: 'unpaused' });

  expect((await run(...ID, '--delete')).out).toMatchObject({ outcome: 'deleted' });
  const gone = await run(...ID, '--describe');
  expect(gone.code).toBe(1);
  expect(gone.err).toMatch(/no schedule key-rotation-test/);
  await env.client.workflow.getHandle(recent[0]!.workflowId).terminate('test done');
});

test('bad flags are named and nothing is created', async () => {
  const bad = await run(
    ...ID,
    '--interval',
    '5s',
    '--overlap',
    'sometimes',
    '--lead-days',
    '100',
    '--expiry-days',
    '30',
  );
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/--interval: must be a duration of at least 1m/);
  expect(bad.err).toMatch(/--overlap: must be one of skip/);
  expect(bad.err).toMatch(/--expiry-days: must be greater than leadDays/);
  expect((await run(...ID, '--pause', '--delete')).code).toBe(2);
  expect((await run(...ID, '--describe')).code).toBe(1);
});

test('--cron: create, the same cron is unchanged, another cron is an update showing old → new, delete', async () => {
  const CRON_ID = ['--schedule-id', 'key-rotation-cron-test', '--task-queue', 'nobody-polls'];
  /** The hours (UTC) of the next scheduled sweeps; all at minute 0. */
  const nextHours = async () => {
    const next = (await run(...CRON_ID, '--describe')).out.next as string[];
    expect(next.length).toBeGreaterThan(0);
    for (const t of next) expect(new Date(t).getUTCMinutes()).toBe(0);
    return [...new Set(next.map((t) => new Date(t).getUTCHours()))];
  };

  expect(await run(...CRON_ID, '--cron', '0 3 * * *')).toMatchObject({
    code: 0,
    out: { ok: true, outcome: 'created' },
  });
  expect(await nextHours()).toEqual([3]);
  expect(await run(...CRON_ID, '--cron', '0 3 * * *')).toMatchObject({
    code: 0,
    out: { outcome: 'unchanged' },
  });

  const updated = await run(...CRON_ID, '--cron', '0 4 * * *');
  expect(updated).toMatchObject({ code: 0, out: { outcome: 'updated' } });
  expect(updated.out.changes).toEqual([
    'spec: {"cronExpressions":["0 3 * * *"]} → {"cronExpressions":["0 4 * * *"]}',
  ]);
  // The new expression replaced the old one instead of being added to it.
  expect(await nextHours()).toEqual([4]);
  expect((await run(...CRON_ID, '--cron', '0 4 * * *')).out).toMatchObject({ outcome: 'unchanged' });

  expect(await run(...CRON_ID, '--delete')).toMatchObject({ code: 0, out: { outcome: 'deleted' } });
  const gone = await run(...CRON_ID, '--describe');
  expect(gone.code).toBe(1);
  expect(gone.err).toMatch(/no schedule key-rotation-cron-test/);
});
