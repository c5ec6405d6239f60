// What the desired-state suites share.
import { DesiredStateError, parseDesiredState } from '../../src/desired-state/load';

/** The problems a refused file is reported with (the test fails if the file is accepted). */
export function problemsOf(text: string): Array<{ path: string; line?: number; message: string }> {
  try {
    parseDesiredState(text, 'bad.yaml');
  } catch (err) {
    if (err instanceof DesiredStateError) return err.problems;
    throw err;
  }
  throw new Error('expected the file to be refused');
}
