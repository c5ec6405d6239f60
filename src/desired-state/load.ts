// Reading a desired-state file: YAML → the schema → cross-references, with every problem reported at once
// by its path in the file (and line), before anything talks to the Ops API.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { describeIssue } from '../shared/validation';
import { resolveCaFiles } from './ca-files';
import {
  desiredStateFileSchema,
  pathOf,
  referenceProblems,
  type DesiredState,
  type FileProblem,
} from './schema';

export class DesiredStateError extends Error {
  override readonly name = 'DesiredStateError';
  constructor(
    readonly file: string,
    readonly problems: FileProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems
          .map((p) => `  ${p.line ? `line ${p.line}: ` : ''}${p.path || '(file)'}: ${p.message}`)
          .join('\n'),
    );
  }
}

export interface LoadedState {
  file: string;
  /** The name of the desired state: its `name`, else the file name without extension. */
  name: string;
  state: DesiredState;
}

/**
 * Parses and checks a desired-state document (reading the CA files it names, relative to `file`); throws
 * DesiredStateError listing every problem.
 */
export function parseDesiredState(text: string, file: string): LoadedState {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (p: Array<string | number>) => lineAt(doc, lines, p);
  const problems: FileProblem[] = doc.errors.map((e) => ({
    path: '',
    message: e.message.split('\n')[0]!,
    ...(e.linePos?.[0] ? { line: e.linePos[0].line } : {}),
  }));
  if (problems.length > 0) throw new DesiredStateError(file, problems);
  const parsed = desiredStateFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new DesiredStateError(
      file,
      parsed.error.issues.map((issue) => {
        const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
        const where = keys.length === 1 ? [...p, keys[0]!] : p;
        return withLine(
          { path: pathOf(where), message: describeIssue(issue as z.core.$ZodIssue) },
          lineOf(where),
        );
      }),
    );
  }
  const resolved = resolveCaFiles(parsed.data, path.dirname(file));
  const refs = [...resolved.problems, ...referenceProblems(resolved.state)];
  if (refs.length > 0) {
    throw new DesiredStateError(
      file,
      refs.map((r) => withLine(r, lineOf(splitPath(r.path)))),
    );
  }
  const name = parsed.data.name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  return { file, name, state: resolved.state };
}

export async function loadDesiredState(file: string): Promise<LoadedState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DesiredStateError(file, [
      { path: '', message: `cannot read the file: ${(err as Error).message}` },
    ]);
  }
  return parseDesiredState(text, file);
}

function withLine(problem: FileProblem, line: number | undefined): FileProblem {
  return line ? { ...problem, line } : problem;
}

/** `serviceAccounts[1].access.orders` → ['serviceAccounts', 1, 'access', 'orders']. */
function splitPath(p: string): Array<string | number> {
  return [...p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** The line of the deepest node of `p` that exists in the document. */
function lineAt(doc: Document, lines: LineCounter, p: Array<string | number>): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as { range?: number[] } | null)?.range?.[0];
  for (const key of p) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      offset = (node as { range?: number[] } | undefined)?.range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}
