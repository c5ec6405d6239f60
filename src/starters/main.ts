// A starter file's entry point: its signal flags signal the running run (./signals.ts); otherwise it starts (or
// attaches to) one (./starter.ts).
import type { AnyKind } from '../catalog';
import { requesterOf } from './approval';
import { defaultIO, exitWith, type ExitCode, type StarterIO } from './cli';
import { parseFlags } from './flags';
import { signalRunning } from './signals';
import { flagsOf, runStarter, signalsOf, starterOf } from './starter';

/** The starter's `main(argv, io)`. */
export function starterMain(kind: AnyKind) {
  const starter = starterOf(kind);
  const signals = signalsOf(starter);
  return async (argv: readonly string[], io: StarterIO = defaultIO()): Promise<ExitCode> => {
    const named = (flag: string) => argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
    if (!signals.some(([flag]) => named(flag))) return runStarter(kind, argv, io);
    const { values } = await parseFlags(flagsOf(starter), argv);
    // The first one given, in the order the kind lists them (a bad value is left to the starter to report).
    const given = signals.find(([flag]) => values[flag] !== undefined && values[flag] !== false)?.[1];
    if (!given) return runStarter(kind, argv, io);
    // Every decision names who takes it: the run checks it against its requester and approvers.
    const by = requesterOf(values.approver as string | undefined, io.env);
    const request = {
      name: given.signal,
      args: [given.arg(values, by)],
      done: given.done,
      atStep: given.atStep,
    };
    return signalRunning(kind, argv, request, io);
  };
}

/** `export const main = starterEntry(kind, module)`: run by `npm run <name>`, imported by tests and the demo. */
export function starterEntry(kind: AnyKind, entry: NodeJS.Module) {
  const main = starterMain(kind);
  if (require.main === entry) exitWith(starterOf(kind).name, () => main(process.argv.slice(2)));
  return main;
}
