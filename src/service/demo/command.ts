// A starter's `main` run in-process against the demo's stack, its output printed indented as it comes.
import type { StarterIO } from '../../starters/cli';
import type { Stack } from '../stack';

export type StarterMain = (argv: readonly string[], io: StarterIO) => Promise<number>;

/** Runs a command in-process against the stack, printing its output indented as it comes. */
export async function command(
  print: (line: string) => void,
  stack: Stack,
  main: StarterMain,
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
