// The one compensation (saga) helper of the workflows that undo what they made. Workflow code: deterministic.
import { CancellationScope } from '@temporalio/workflow';

/** An undo step that failed: its name and what it threw. */
export interface CompensationFailure {
  name: string;
  error: unknown;
}

/**
 * A run's undo stack. `add` registers, as the run makes something, how to undo it; `run` undoes newest first in a
 * non-cancellable scope (compensation finishes even while the workflow is being cancelled), goes on past a step
 * that fails and returns the failures. A step that failed stays registered (what it undoes is still there), so a
 * later `run` tries it again; `clear` forgets every step, once the run may only move forward.
 */
export class Compensation {
  private steps: Array<{ name: string; undo: () => Promise<void> }> = [];

  add(name: string, undo: () => Promise<void>): void {
    this.steps.push({ name, undo });
  }

  /** Whether anything is registered to undo. */
  get pending(): boolean {
    return this.steps.length > 0;
  }

  clear(): void {
    this.steps = [];
  }

  async run(): Promise<CompensationFailure[]> {
    const newestFirst = [...this.steps].reverse();
    const failures: CompensationFailure[] = [];
    const stillOwed: typeof this.steps = [];
    await CancellationScope.nonCancellable(async () => {
      for (const step of newestFirst) {
        try {
          await step.undo();
        } catch (error) {
          failures.push({ name: step.name, error });
          stillOwed.unshift(step);
        }
      }
    });
    this.steps = stillOwed;
    return failures;
  }
}
