// Workflows that exercise the compensation helper alone (bundled by compensation.test.ts).
import { ApplicationFailure, condition, isCancellation, sleep } from '@temporalio/workflow';
import { Compensation } from '../../src/workflows/compensation';

export interface UndoReport {
  undone: string[];
  failures: string[];
  /** What a second run undid: only the steps that failed in the first. */
  retried: string[];
  pendingAfter: boolean;
}

/** Registers `names` in order; those listed in `failing` throw the first time they are undone. */
export async function undoInOrder(names: string[], failing: string[]): Promise<UndoReport> {
  const undo = new Compensation();
  const undone: string[] = [];
  const failedOnce = new Set<string>();
  for (const name of names) {
    undo.add(name, async () => {
      await sleep('1s');
      if (failing.includes(name) && !failedOnce.has(name)) {
        failedOnce.add(name);
        throw new Error(`${name} could not be undone`);
      }
      undone.push(name);
    });
  }
  const failures = await undo.run();
  const firstPass = [...undone];
  await undo.run();
  return {
    undone: firstPass,
    failures: failures.map((f) => `${f.name}: ${(f.error as Error).message}`),
    retried: undone.slice(firstPass.length),
    pendingAfter: undo.pending,
  };
}

/** Registers two slow undo steps, waits until cancelled, then undoes them: timers still run in the cancelled run. */
export async function undoWhenCancelled(): Promise<string[]> {
  const undo = new Compensation();
  const undone: string[] = [];
  for (const name of ['first', 'second']) {
    undo.add(name, async () => {
      await sleep('1 minute');
      undone.push(name);
    });
  }
  try {
    await condition(() => false);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    const failures = await undo.run();
    if (failures.length > 0)
      throw ApplicationFailure.nonRetryable(`undo failed: ${failures.map((f) => f.name).join(', ')}`);
  }
  return undone;
}

/** Steps forgotten by clear() are never undone. */
export async function undoAfterClear(): Promise<{ undone: string[]; pending: boolean }> {
  const undo = new Compensation();
  const undone: string[] = [];
  undo.add('made', async () => void undone.push('made'));
  undo.clear();
  const pending = undo.pending;
  await undo.run();
  return { undone, pending };
}
