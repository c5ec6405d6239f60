// The shape every command but the workflow starters has: --help, its flags checked (every problem reported, nothing
// contacted), then its work.
import { ExitCode, output, reportUsage, type Output, type StarterIO } from './cli';
import {
  helpText,
  parseFlags,
  wantsHelp,
  type FlagProblem,
  type FlagSpecs,
  type FlagValues,
  type HelpDefinition,
} from './flags';

export interface CommandDefinition<F extends FlagSpecs, C extends FlagSpecs> extends HelpDefinition {
  flags: F;
  commonFlags: C;
}

export interface CommandRun<F extends FlagSpecs, C extends FlagSpecs> {
  /** Cross-flag checks; problems go to `problems`. An exit code stops the command (it has said why). */
  check?(
    values: FlagValues<F> & FlagValues<C>,
    problems: FlagProblem[],
    out: Output,
  ): void | ExitCode | Promise<void | ExitCode>;
  /** The exit code of bad flags; default 2. */
  usageExit?: ExitCode;
  run(values: FlagValues<F> & FlagValues<C>, out: Output): Promise<ExitCode>;
}

export async function runCommand<F extends FlagSpecs, C extends FlagSpecs>(
  def: CommandDefinition<F, C>,
  argv: readonly string[],
  io: StarterIO,
  command: CommandRun<F, C>,
): Promise<ExitCode> {
  const out = output(def.name, argv, io);
  if (wantsHelp(argv)) {
    io.stdout.write(helpText(def));
    return ExitCode.Ok;
  }
  const { values, problems } = await parseFlags(def.flags, argv, def.commonFlags);
  const stop = await command.check?.(values, problems, out);
  if (typeof stop === 'number') return stop;
  if (problems.length) {
    reportUsage(out, problems);
    return command.usageExit ?? ExitCode.Usage;
  }
  return command.run(values, out);
}

/** "must not be empty" for each of these flags given as ''. */
export function nonEmpty(
  values: Record<string, unknown>,
  flags: readonly string[],
  problems: FlagProblem[],
): void {
  for (const flag of flags) {
    if (values[flag] === '') problems.push({ flag: `--${flag}`, message: 'must not be empty' });
  }
}
