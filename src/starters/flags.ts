// Parsing a command's flags (declared in src/catalog/flags.ts terms): every problem collected, none read from the next
// flag; the flag that sets an input field; --help.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { FileValue, FlagSpec, FlagSpecs, FlagValues } from '../catalog/flags';
import type { InputProblem } from '../shared/validation';
import { DEFAULT_TASK_QUEUE } from '../shared/workflow-ids';

export type { FileValue, FlagSpec, FlagSpecs, FlagValues } from '../catalog/flags';

/** Flags every starter has. */
export const COMMON_FLAGS = {
  wait: { type: 'boolean', description: 'wait for the result, printing progress to stderr' },
  json: { type: 'boolean', description: 'print one JSON object to stdout (also on errors)' },
  'task-queue': {
    type: 'string',
    valueName: 'QUEUE',
    description: `task queue of the worker (default: $TASK_QUEUE or ${DEFAULT_TASK_QUEUE})`,
  },
  'workflow-id': {
    type: 'string',
    valueName: 'ID',
    description: 'override the business-key workflow id (e.g. to run again after a finished run)',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies FlagSpecs;

/** A problem with the command line; `flag` is `--name` (or empty for the command as a whole). */
export interface FlagProblem {
  flag: string;
  message: string;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(readonly problems: FlagProblem[]) {
    super(problems.map((p) => (p.flag ? `${p.flag}: ${p.message}` : p.message)).join('\n'));
  }
}

export const wantsHelp = (argv: readonly string[]) => argv.includes('--help') || argv.includes('-h');

const takesValue = (spec: FlagSpec | undefined) =>
  spec?.type === 'string' || spec?.type === 'number' || spec?.type === 'file';

/**
 * Parses `argv` against `specs` (plus the shared flags, default COMMON_FLAGS). Collects every problem instead of
 * stopping at the first, and never reads a flag's value from the next flag (`--name --wait` is "--name: needs a
 * value").
 */
export async function parseFlags<F extends FlagSpecs, C extends FlagSpecs = typeof COMMON_FLAGS>(
  specs: F,
  argv: readonly string[],
  common: C = COMMON_FLAGS as unknown as C,
): Promise<{ values: FlagValues<F> & FlagValues<C>; problems: FlagProblem[] }> {
  const all: FlagSpecs = { ...common, ...specs };
  const problems: FlagProblem[] = [];
  const raw = rawValues(all, withoutMissingValues(all, argv, problems), problems);
  const values = await typedValues(all, raw, problems);
  return { values: values as FlagValues<F> & FlagValues<C>, problems };
}

/** `argv` less the flags whose value is missing (parseArgs with strict: false would take the next flag as it). */
function withoutMissingValues(all: FlagSpecs, argv: readonly string[], problems: FlagProblem[]): string[] {
  const byShort = new Map<string, string>(
    Object.entries(all).flatMap(([name, s]) => (s.short ? [[`-${s.short}`, name] as const] : [])),
  );
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : byShort.get(arg); // `-f`, not `-fx`
    const next = argv[i + 1];
    if (name !== undefined && takesValue(all[name]) && (next === undefined || next.startsWith('-'))) {
      problems.push({ flag: arg, message: 'needs a value' });
      continue;
    }
    args.push(arg);
  }
  return args;
}

/** Each given flag's text (or true), reporting unknown flags, stray arguments and values given to booleans. */
function rawValues(all: FlagSpecs, args: string[], problems: FlagProblem[]): Map<string, string | true> {
  const options = Object.fromEntries(
    Object.entries(all).map(([name, s]) => [
      name,
      {
        type: takesValue(s) ? ('string' as const) : ('boolean' as const),
        ...(s.short ? { short: s.short } : {}),
      },
    ]),
  );
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const raw = new Map<string, string | true>();
  let previous: (typeof tokens)[number] | undefined;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      const hint =
        previous?.kind === 'option' && all[previous.name]?.type === 'optional-value' && !previous.inlineValue
          ? ` (to give ${previous.rawName} a value, write ${previous.rawName}=${token.value})`
          : '';
      problems.push({ flag: '', message: `unexpected argument "${token.value}"${hint}` });
    } else if (token.kind === 'option') {
      const spec = all[token.name];
      if (!spec) problems.push({ flag: token.rawName, message: 'unknown flag' });
      else if (spec.type === 'boolean' && token.value !== undefined)
        problems.push({ flag: token.rawName, message: 'takes no value' });
      else raw.set(token.name, token.value ?? true);
    }
    previous = token;
  }
  return raw;
}

/** The values as their flags' types: numbers parsed, files read (a missing file is a flag problem). */
async function typedValues(
  all: FlagSpecs,
  raw: Map<string, string | true>,
  problems: FlagProblem[],
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(all)) {
    const given = raw.get(name);
    const flag = `--${name}`;
    if (spec.type === 'boolean') values[name] = given === true;
    else if (spec.type === 'optional-value') values[name] = given;
    else if (spec.type === 'string') values[name] = given === true ? undefined : given;
    else if (typeof given !== 'string') continue;
    else if (spec.type === 'number') {
      const n = given.trim() === '' ? NaN : Number(given);
      if (Number.isFinite(n)) values[name] = n;
      else problems.push({ flag, message: `must be a number, got "${given}"` });
    } else {
      try {
        values[name] = { path: given, content: await readFile(given) } satisfies FileValue;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problems.push({ flag, message: `cannot read ${given}${code ? ` (${code})` : ''}` });
      }
    }
  }
  return values;
}

/** The flag that sets `field` (exact, else the closest enclosing one, else the first one inside it). */
export function flagForField(specs: FlagSpecs, field: string): string | undefined {
  const entries = Object.entries(specs).filter(([, s]) => s.field !== undefined);
  const exact = entries.find(([, s]) => s.field === field);
  if (exact) return `--${exact[0]}`;
  const enclosing = entries
    .filter(([, s]) => field.startsWith(`${s.field}.`))
    .sort(([, a], [, b]) => b.field!.length - a.field!.length)[0];
  if (enclosing) return `--${enclosing[0]}`;
  const inside = field ? entries.find(([, s]) => s.field!.startsWith(`${field}.`)) : undefined;
  return inside ? `--${inside[0]}` : undefined;
}

/** Schema problems, each named by the flag that sets its field. */
export function toFlagProblems(specs: FlagSpecs, problems: InputProblem[]): FlagProblem[] {
  return problems.map((p) => {
    const flag = flagForField(specs, p.field);
    if (flag) return { flag, message: p.message };
    return { flag: '', message: p.field ? `${p.field}: ${p.message}` : p.message };
  });
}

export interface HelpDefinition {
  name: string;
  summary: string;
  flags: FlagSpecs;
  examples?: string[];
  /** The shared flags this command has; default COMMON_FLAGS. */
  commonFlags?: FlagSpecs;
  /** The exit-code line, for commands whose codes differ from the starters'. */
  exitCodes?: string;
}

export function helpText(def: HelpDefinition): string {
  const show = (specs: FlagSpecs) =>
    Object.entries(specs)
      .filter(([, s]) => !s.hidden)
      .map(([name, s]) => {
        const value = 'valueName' in s && s.valueName ? s.valueName : 'VALUE';
        const long =
          s.type === 'boolean'
            ? `--${name}`
            : s.type === 'optional-value'
              ? `--${name}[=${value}]`
              : `--${name} ${value}`;
        return [s.short ? `-${s.short}, ${long}` : long, s.description] as const;
      });
  const rows = [...show(def.flags), ...show(def.commonFlags ?? COMMON_FLAGS)];
  const width = Math.max(...rows.map(([u]) => u.length)) + 2;
  const lines = [
    `Usage: npm run ${def.name} -- [flags]`,
    '',
    def.summary,
    '',
    'Flags:',
    ...rows.map(([u, d]) => `  ${u.padEnd(width)}${d}`),
    '',
    'Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,',
    'TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE; payload encryption: PAYLOAD_CODEC_KEY (as the worker).',
    '',
    def.exitCodes ??
      'Exit codes: 0 success, 1 workflow failed, 2 bad flags or configuration, 3 could not reach Temporal.',
  ];
  if (def.examples?.length) lines.push('', 'Examples:', ...def.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
