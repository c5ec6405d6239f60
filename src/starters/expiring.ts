// npm run expiring -- --within 30d [--json]
// What expires soon: every API key and accepted CA certificate expiring within the window, read through the Ops API
// in a listExpiring run, with its owner and what the product does about it as the expiry watch's schedule is set up.
import type { Client } from '@temporalio/client';
import { EXPIRY_WATCH_SCHEDULE_ID, listExpiringKind, watchExpiryKind, workflowIds } from '../catalog';
import {
  describeAction,
  policyOf,
  watchExpiryInput,
  type ExpiringItem,
  type RotationPolicy,
} from '../shared/expiry';
import { validate } from '../shared/validation';
import type { ExpiringItems } from '../activities/expiry';
import type { listExpiring } from '../workflows/list-expiring';
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
import { nonEmpty, runCommand } from './command';
import { DESIRED_STATE_COMMON_FLAGS, startOrJoin } from './desired-state';

const flags = {
  within: {
    type: 'string',
    valueName: 'DAYS',
    description:
      'how far ahead to look: 30d, 2w or a number of days (default 30d); expired items are always in',
  },
  'schedule-id': {
    type: 'string',
    valueName: 'ID',
    description: `the expiry watch's schedule, whose settings say what is rotated (default ${EXPIRY_WATCH_SCHEDULE_ID})`,
  },
} as const;

export const expiringCommand = {
  name: 'expiring',
  summary:
    'Lists every API key (of users and service accounts) and every CA certificate a namespace accepts that ' +
    'expires within --within, soonest first, with its owner and what the product does about it: rotates it ' +
    '(as the expiry watch is scheduled) or reports it. Read through the Ops API in a listExpiring workflow run; ' +
    'changes nothing; never prints a token.',
  flags,
  commonFlags: DESIRED_STATE_COMMON_FLAGS,
  examples: ['npm run expiring -- --within 30d', 'npm run expiring -- --within 2w --json'],
};

const MAX_WITHIN_DAYS = 3650;

/** `30d`, `2w`, `30` → days; undefined for anything else. */
export function withinDays(text: string): number | undefined {
  const m = /^(\d{1,5})([dw]?)$/.exec(text.trim());
  if (!m) return undefined;
  const days = Number(m[1]) * (m[2] === 'w' ? 7 : 1);
  return days <= MAX_WITHIN_DAYS ? days : undefined;
}

type Values = { within?: string | undefined; 'schedule-id'?: string | undefined; 'task-queue'?: string };

export function main(argv: readonly string[], io: StarterIO = defaultIO()): Promise<ExitCode> {
  return runCommand(expiringCommand, argv, io, {
    check(values, problems) {
      nonEmpty(values, ['schedule-id', 'task-queue'], problems);
      if (values.within !== undefined && withinDays(values.within) === undefined)
        problems.push({
          flag: '--within',
          message: `must be a number of days such as 30d, 2w or 45 (at most ${MAX_WITHIN_DAYS} days), not '${values.within}'`,
        });
    },
    run: (values, out) => withClient(io, out, (client) => list(client, values, io, out)),
  });
}

/** What the scheduled watch rotates, from its schedule; undefined (nothing rotates) when there is none. */
async function scheduledPolicy(client: Client, scheduleId: string): Promise<RotationPolicy | undefined> {
  const described = await client.schedule
    .getHandle(scheduleId)
    .describe()
    .catch((err: unknown) => {
      if ((err as Error).name === 'ScheduleNotFoundError') return undefined;
      throw err;
    });
  const action = described?.action;
  if (action?.type !== 'startWorkflow' || action.workflowType !== watchExpiryKind.workflowType)
    return undefined;
  const checked = validate(watchExpiryInput, action.args?.[0] ?? {});
  return checked.ok ? policyOf(checked.value) : undefined;
}

async function list(client: Client, values: Values, io: StarterIO, out: Output): Promise<ExitCode> {
  const scheduleId = values['schedule-id'] ?? EXPIRY_WATCH_SCHEDULE_ID;
  const workflowId = workflowIds.listExpiring();
  try {
    const rotation = await scheduledPolicy(client, scheduleId);
    if (!rotation)
      out.say(
        `no expiry watch is scheduled as ${scheduleId}: nothing is rotated on its own (npm run schedule-expiry-watch)`,
      );
    const input = { withinDays: withinDays(values.within ?? '30d')!, ...(rotation ? { rotation } : {}) };
    const started = await startOrJoin<typeof listExpiring>(
      client,
      listExpiringKind.workflowType,
      {
        workflowId,
        taskQueue: taskQueueOf(values, io.env),
        args: [input],
        workflowIdReusePolicy: listExpiringKind.reusePolicy,
      },
      out,
      true,
    );
    const found = await started.handle.result();
    const items = found.items.map((i) => ({ ...i, does: describeAction(i, rotation) }));
    out.report(
      { ok: true, workflowId, runId: started.runId, scheduleId, rotation: rotation ?? null, ...found, items },
      table(found, rotation),
    );
    return ExitCode.Ok;
  } catch (err) {
    return reportFailure(out, err, `${workflowId} failed`, { workflowId });
  }
}

const KIND_LABEL: Record<ExpiringItem['kind'], string> = { 'api-key': 'API key', 'ca-certificate': 'CA' };

/** A fingerprint's first bytes: enough to tell certificates apart on a screen (--json has it whole). */
const shortId = (item: ExpiringItem) =>
  item.kind === 'ca-certificate' ? `${item.id.slice(0, 23)}…` : item.id;

function table(found: ExpiringItems, rotation: RotationPolicy | undefined): string {
  const lines: string[] = [];
  if (found.items.length === 0) lines.push(`Nothing expires within ${found.withinDays} days.`);
  else {
    const rows = [
      ['DAYS LEFT', 'EXPIRES', 'KIND', 'NAME', 'ID', 'OWNER', 'WHAT HAPPENS'],
      ...found.items.map((i) => [
        i.daysLeft < 0 ? 'expired' : String(i.daysLeft),
        i.expiresAt.slice(0, 10),
        KIND_LABEL[i.kind],
        i.name,
        shortId(i),
        `${i.owner.type} ${i.owner.name}`,
        describeAction(i, rotation),
      ]),
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    lines.push(
      ...rows.map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd(),
      ),
    );
  }
  if (found.omitted > 0) lines.push(`… and ${found.omitted} more (the soonest are shown)`);
  for (const u of found.unreadable) lines.push(`namespace ${u.namespace}: CA bundle unreadable: ${u.reason}`);
  return lines.join('\n');
}

if (require.main === module) exitWith(expiringCommand.name, () => main(process.argv.slice(2)));
