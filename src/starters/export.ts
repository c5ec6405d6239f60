// npm run export -- -o cloud-ops.yaml [--name N] [--force]
// The account as it is, as a desired-state file (API keys by name, never a token), read in an exportAccount
// run: `plan` on the result prints no changes.
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { exportAccountKind } from '../catalog';
import { exportYaml } from '../desired-state/export';
import { DESIRED_STATE_SCHEMA_FILE } from '../desired-state/json-schema';
import type { DesiredStateInput } from '../desired-state/schema';
import { namespaceName } from '../shared/validation';
import type { exportAccount } from '../workflows/export-account';
import {
  defaultIO,
  ExitCode,
  exitWith,
  reportFailure,
  taskQueueOf,
  withClient,
  type Output,
  type StarterIO,
} from './cli';
import { runCommand } from './command';
import { DESIRED_STATE_COMMON_FLAGS, startOrJoin } from './desired-state';

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

type Values = {
  output?: string | undefined;
  name?: string | undefined;
  force: boolean;
  'task-queue'?: string | undefined;
};

/** `1 user`, `2 users`. */
const many = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

export function main(argv: readonly string[], io: StarterIO = defaultIO()): Promise<ExitCode> {
  return runCommand(exportCommand, argv, io, {
    async check(values, problems) {
      const file = values.output;
      if (file === '') problems.push({ flag: '-o/--output', message: 'must not be empty' });
      if (values.name !== undefined && !namespaceName.safeParse(values.name).success)
        problems.push({
          flag: '--name',
          message: 'must look like a namespace name: a-z, 0-9 and -, 2-39 characters',
        });
      if (values.force && file === undefined)
        problems.push({ flag: '--force', message: 'needs -o/--output' });
      if (values['task-queue'] === '') problems.push({ flag: '--task-queue', message: 'must not be empty' });
      if (file && !values.force && (await exists(file)))
        problems.push({ flag: '-o/--output', message: `${file} exists; pass --force to overwrite it` });
    },
    run: (values, out) => withClient(io, out, (client) => exportTo(client, values, io, out)),
  });
}

async function exportTo(client: Client, values: Values, io: StarterIO, out: Output): Promise<ExitCode> {
  const input = values.name ? { name: values.name } : {};
  const workflowId = exportAccountKind.workflowId(input);
  try {
    const started = await startOrJoin<typeof exportAccount>(
      client,
      exportAccountKind.workflowType,
      {
        workflowId,
        taskQueue: taskQueueOf(values, io.env),
        args: [input],
        workflowIdReusePolicy: exportAccountKind.reusePolicy,
      },
      out,
      true,
    );
    out.say(`reading the account through ${workflowId} (run ${started.runId})`);
    const state = await started.handle.result();
    return await write(state, values, { workflowId, runId: started.runId }, io, out);
  } catch (err) {
    return reportFailure(out, err, `${workflowId} failed`, { workflowId });
  }
}

/** The YAML to the file (or stdout), and what it holds. */
async function write(
  state: DesiredStateInput,
  values: Values,
  ids: { workflowId: string; runId: string },
  io: StarterIO,
  out: Output,
): Promise<ExitCode> {
  const file = values.output;
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
  if (!file) {
    if (out.json) out.emit({ ok: true, ...ids, counts, desired: state });
    else io.stdout.write(yaml);
    return ExitCode.Ok;
  }
  try {
    // 'wx' keeps a file that appeared meanwhile, as the check above promised.
    await writeFile(file, yaml, { flag: values.force ? 'w' : 'wx' });
  } catch (err) {
    const message = `cannot write ${file}: ${(err as Error).message}`;
    out.say(message);
    out.emit({ ok: false, workflowId: ids.workflowId, error: { kind: 'file', message } });
    return ExitCode.WorkflowFailed;
  }
  const what =
    `${many(counts.namespaces, 'namespace')}, ${many(counts.serviceAccounts, 'service account')} ` +
    `(${many(counts.apiKeys, 'API key')}), ${many(counts.users, 'user')}`;
  out.say(`wrote ${file}: ${what}`);
  out.emit({ ok: true, ...ids, file, counts, desired: state });
  return ExitCode.Ok;
}

if (require.main === module) exitWith(exportCommand.name, () => main(process.argv.slice(2)));
