// SIGINT/SIGTERM handling shared by `npm start`, `npm run worker` and `npm run emulator`: the first signal stops
// in order, a later one forces exit.

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * A terminal's Ctrl-C reaches every process of the foreground group, and npm forwards the SIGINT it got to its
 * child as well, so one key press arrives twice within milliseconds. Repeats this close count as one.
 */
export const REPEAT_WINDOW_MS = 1_000;

export interface ShutdownHandlers {
  /** The first signal. */
  stop(signal: NodeJS.Signals): void;
  /** A signal more than REPEAT_WINDOW_MS after the first. */
  force(signal: NodeJS.Signals): void;
}

/** Where signals arrive; `process`, or an EventEmitter in tests. */
interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Installs the handlers; returns a function that removes them. */
export function onShutdownSignals(
  handlers: ShutdownHandlers,
  { now = Date.now, source = process as SignalSource } = {},
): () => void {
  let first: number | undefined;
  const listener = (signal: NodeJS.Signals) => {
    const t = now();
    if (first === undefined) {
      first = t;
      handlers.stop(signal);
    } else if (t - first > REPEAT_WINDOW_MS) {
      handlers.force(signal);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) source.on(signal, listener);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) source.off(signal, listener);
  };
}
