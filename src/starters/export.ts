// npm run export -- -o cloud-ops.yaml [--name N] [--force]
// The account as it is, as a desired-state file (API keys by name, never a token), read in an exportAccount
// run: `plan` on the result prints no changes.
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportYaml } from '../desired-state/export';
import { DESIRED_STATE_SCHEMA_FILE } from '../desired-state/json-schema';
import { namespaceName } from '../shared/validation';
import { desiredStateWorkflowIds, workflowIdReusePolicies, DEFAULT_TASK_QUEUE } from '../shared/workflow-ids';
import { exportAccount } from '../workflows';
import { ExitCode, exitWith, failureChain, helpText, parseFlags, type StarterIO } from './cli';
import {
  connectOrReport,
  defaultIO,
  DESIRED_STATE_COMMON_FLAGS,
  output,
  reportUsage,
  startOrJoin,
} from './desired-state';

const flags = {
  output: {
    type: 'string',
    short: 'o',
    valueName: 'FILE',
    description: 'write the YAML here (default: stdout); an existing file is kept unless --force',
  },
  name: {
    type: 'string',
    valueName: 'NAME',
    description: "the desired state's name, written into the file (default: the file's name)",
  },
  force: { type: 'boolean', description: 'overwrite the output file' },
} as const;

export const exportCommand = {
  name: 'export',
  summary:
    'Writes the account as it is as a desired-state file: namespaces, service accounts with their namespace ' +
    'access and API keys (by name, never a token), users with their role and access. Read through the Ops API ' +
    'in an exportAccount workflow run. `npm run plan` on the result prints no changes.',
  flags,
  commonFlags: DESIRED_STATE_COMMON_FLAGS,
  examples: ['npm run export -- -o cloud-ops.yaml', 'npm run export -- --name prod > prod.yaml'],
};

/** `1 user`, `2 users`. */
const many = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

export async function main(argv: readonly string[], io: StarterIO = defaultIO()): Promise<ExitCode> {
  const out = output(exportCommand.name, argv, io);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(helpText(exportCommand));
    return ExitCode.Ok;
  }
  const { values, problems } = await parseFlags(flags, argv, DESIRED_STATE_COMMON_FLAGS);
  const file = values.output;
  if (file === '') problems.push({ flag: '-o/--output', message: 'must not be empty' });
  if (values.name !== undefined && !namespaceName.safeParse(values.name).success)
    problems.push({
      flag: '--name',
      message: 'must look like a namespace name: a-z, 0-9 and -, 2-39 characters',
    });
  if (values.force && file === undefined) problems.push({ flag: '--force', message: 'needs -o/--output' });
  if (values['task-queue'] === '') problems.push({ flag: '--task-queue', message: 'must not be empty' });
  if (file && !values.force && (await exists(file)))
    problems.push({ flag: '-o/--output', message: `${file} exists; pass --force to overwrite it` });
  if (problems.length) {
    reportUsage(out, io, problems);
    return ExitCode.Usage;
  }

  const connected = await connectOrReport(io, out);
  if (typeof connected === 'number') return connected;
  const workflowId = desiredStateWorkflowIds.export();
  const taskQueue = values['task-queue'] ?? (io.env.TASK_QUEUE || DEFAULT_TASK_QUEUE);
  try {
    const started = await startOrJoin(
      connected.client,
      exportAccount,
      {
        workflowId,
        taskQueue,
        args: [values.name ? { name: values.name } : {}],
        workflowIdReusePolicy: workflowIdReusePolicies.exportAccount,
      },
      out,
      true,
    );
    out.say(`reading the account through ${workflowId} (run ${started.runId})`);
    const state = await started.handle.result();
    // The editor's schema, relative to where the file goes.
    const schema = file
      ? path
          .relative(path.dirname(path.resolve(file)), DESIRED_STATE_SCHEMA_FILE)
          .split(path.sep)
          .join('/')
      : undefined;
    const yaml = exportYaml(state, schema && !schema.startsWith('.') ? `./${schema}` : schema);
    const counts = {
      namespaces: state.namespaces?.length ?? 0,
      serviceAccounts: state.serviceAccounts?.length ?? 0,
      apiKeys: (state.serviceAccounts ?? []).reduce((n, sa) => n + (sa.apiKeys?.length ?? 0), 0),
      users: state.users?.length ?? 0,
    };
    if (file) {
      try {
        // 'wx' keeps a file that appeared meanwhile, as the check above promised.
        await writeFile(file, yaml, { flag: values.force ? 'w' : 'wx' });
      } catch (err) {
        const message = `cannot write ${file}: ${(err as Error).message}`;
        out.say(message);
        out.emit({ ok: false, workflowId, error: { kind: 'file', message } });
        return ExitCode.WorkflowFailed;
      }
      const what =
        `${many(counts.namespaces, 'namespace')}, ${many(counts.serviceAccounts, 'service account')} ` +
        `(${many(counts.apiKeys, 'API key')}), ${many(counts.users, 'user')}`;
      out.say(`wrote ${file}: ${what}`);
      out.emit({ ok: true, workflowId, runId: started.runId, file, counts, desired: state });
    } else if (out.json) {
      out.emit({ ok: true, workflowId, runId: started.runId, counts, desired: state });
    } else {
      io.stdout.write(yaml);
    }
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof Error && err.name === 'WorkflowFailedError') {
      const [head, ...causes] = failureChain(err);
      out.say(`${workflowId} failed: ${head?.message ?? err.message}`);
      for (const c of causes) io.stderr.write(`  caused by${c.type ? ` ${c.type}` : ''}: ${c.message}\n`);
      out.emit({ ok: false, workflowId, error: { kind: 'workflow', message: head?.message, causes } });
      return ExitCode.WorkflowFailed;
    }
    const message = err instanceof Error ? err.message : String(err);
    out.say(`Temporal call failed: ${message}`);
    out.emit({ ok: false, workflowId, error: { kind: 'temporal', message } });
    return ExitCode.Temporal;
  } finally {
    await connected.close().catch(() => undefined);
  }
}

if (require.main === module) exitWith(exportCommand.name, () => main(process.argv.slice(2)));
