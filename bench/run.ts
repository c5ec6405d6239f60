// `npm run bench`: see bench/cli.ts for the flags and bench/RESULTS.md for a reading of the figures.
// Progress goes to stderr; the table to stdout; --json writes the same data as JSON.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseBenchArgs, USAGE, UsageError, type BenchOptions, type ScenarioName } from './cli';
import { bundleWorkflows, killChildren, startDevServer, type DevServer } from './infra';
import { compareWithBaseline, evaluateTargets, renderReport } from './report';
import { accountScenario } from './account';
import { baselineScenario } from './baseline';
import { fleetScenario, offboardScenario, provisionScenario, sweepScenario } from './scenarios';
import type { ScenarioContext, ScenarioResult } from './types';
import { waitsScenario } from './wait-designs/scenario';

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Whether the worker registers a workflow of this name (offboard and sweep were added later). */
function hasWorkflow(name: string): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const workflows = require('../src/workflows') as Record<string, unknown>;
    return typeof workflows[name] === 'function';
  } catch {
    return false;
  }
}

const REQUIRED_WORKFLOW: Partial<Record<ScenarioName, string>> = {
  offboard: 'offboardUser',
  sweep: 'rotateExpiringKeys',
};

export function machine() {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

async function runScenario(
  name: ScenarioName,
  ctx: ScenarioContext,
): Promise<ScenarioResult | ScenarioResult[]> {
  switch (name) {
    case 'provision':
      return provisionScenario(ctx);
    case 'throttled':
      return provisionScenario(ctx, true);
    case 'offboard':
      return offboardScenario(ctx);
    case 'sweep':
      return sweepScenario(ctx);
    case 'waits':
      return waitsScenario(ctx);
    case 'baseline':
      return baselineScenario(ctx);
    case 'fleet':
      return fleetScenario(ctx);
    case 'account':
      return accountScenario(ctx);
  }
}

async function main(opts: BenchOptions): Promise<number> {
  const runId = randomBytes(3).toString('hex').replace(/^\d/, 'r');
  // Workflow bundle, dev server and worker logs, secrets: removed after a clean run, kept after a crash.
  const outDir = await mkdtemp(path.join(os.tmpdir(), `bench-${runId}-`));
  log(`bench: run ${runId}, logs in ${outDir}`);

  const needsTemporal = opts.scenarios.some((s) => s !== 'baseline');
  let server: DevServer | undefined;
  let bundlePath: string | undefined;
  if (needsTemporal) {
    const t = Date.now();
    [server, bundlePath] = await Promise.all([
      startDevServer(path.join(outDir, 'dev-server.log')),
      bundleWorkflows(outDir),
    ]);
    log(`bench: dev server at ${server.address} and workflow bundle ready in ${(Date.now() - t) / 1000} s`);
  }
  const ctx: ScenarioContext = { opts, server, bundlePath, outDir, runId, log };

  const results: ScenarioResult[] = [];
  try {
    for (const name of opts.scenarios) {
      const required = REQUIRED_WORKFLOW[name];
      if (required && !hasWorkflow(required)) {
        log(`bench: ${name}: skipped: workflow not available`);
        results.push({ name, status: 'skipped', note: 'skipped: workflow not available', params: {} });
        continue;
      }
      log(`bench: ${name}: running`);
      const t = Date.now();
      try {
        const result = await runScenario(name, ctx);
        results.push(...[result].flat());
        log(`bench: ${name}: done in ${(Date.now() - t) / 1000} s`);
      } catch (err) {
        log(`bench: ${name}: crashed: ${(err as Error).stack ?? String(err)}`);
        results.push({ name, status: 'crashed', note: (err as Error).message, params: {} });
      }
    }
  } finally {
    await server?.stop();
  }

  const targets = evaluateTargets(results, opts.checkMs);
  const comparison = compareWithBaseline(results);
  process.stdout.write(`${renderReport(results, targets, comparison)}\n`);
  if (opts.json) {
    const data = {
      machine: machine(),
      finishedAt: new Date().toISOString(),
      options: opts,
      results,
      targets,
      comparison,
    };
    await mkdir(path.dirname(path.resolve(opts.json)), { recursive: true });
    await writeFile(opts.json, `${JSON.stringify(data, null, 2)}\n`);
    log(`bench: JSON written to ${opts.json}`);
  }
  // Targets are reported, not enforced: only a crashed scenario fails the run.
  const crashed = results.some((r) => r.status === 'crashed');
  if (crashed) log(`bench: logs kept in ${outDir}`);
  else await rm(outDir, { recursive: true, force: true });
  return crashed ? 1 : 0;
}

if (require.main === module) {
  let opts: BenchOptions | 'help';
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\nRun with --help for the options.\n`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`bench: ${signal}, stopping child processes`);
      void killChildren(2000).finally(() => process.exit(130));
    });
  }
  main(opts).then(
    async (code) => {
      await killChildren();
      process.exit(code);
    },
    async (err: unknown) => {
      log(`bench: ${(err as Error).stack ?? String(err)}`);
      await killChildren();
      process.exit(1);
    },
  );
}
