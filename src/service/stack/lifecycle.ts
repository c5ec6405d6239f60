// What the stack's phases share while starting and stopping: the undo of each part, the start-up's interruption,
// and the one promise that settles when a part stops on its own.
import type { Logger } from '../../logger';
import { StartInterrupted } from './types';

export class Lifecycle {
  readonly failed: Promise<Error>;
  #fail: (err: Error) => void = () => undefined;
  #stopping = false;
  readonly #undo: Array<() => Promise<unknown>> = [];

  constructor(private readonly signal: AbortSignal | undefined) {
    this.failed = new Promise<Error>((resolve) => (this.#fail = resolve));
  }

  /** Throws StartInterrupted once start-up was aborted (before each phase, and where a step takes seconds). */
  check(): void {
    if (this.signal?.aborted) throw new StartInterrupted();
  }

  /** A part that has started: `stop` undoes it (in reverse start order). */
  started(stop: () => Promise<unknown>): void {
    this.#undo.push(stop);
  }

  /** A part stopped on its own: reported through `failed`, unless the stack is being stopped. */
  fail(err: Error): void {
    if (!this.#stopping) this.#fail(err);
  }

  /** From now on a part that stops is being stopped, not failing. */
  stopping(): void {
    this.#stopping = true;
  }

  /** Stops every part in reverse start order; a part that fails to stop does not keep the others running. */
  async stopAll(logger?: Logger): Promise<void> {
    this.stopping();
    for (const stop of this.#undo.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger?.warn({ err }, 'error while stopping'));
    }
  }
}
