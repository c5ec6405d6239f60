// One Ctrl-C reaches a process twice within milliseconds (the terminal's SIGINT and npm's forwarded copy): that
// is one stop; a signal after the repeat window forces.
import { EventEmitter } from 'node:events';
import { onShutdownSignals, REPEAT_WINDOW_MS } from '../src/shutdown-signals';

test('a repeat within the window is the same signal; a later one forces; SIGTERM counts like SIGINT', () => {
  const source = new EventEmitter();
  let t = 1_000;
  const calls: string[] = [];
  const remove = onShutdownSignals(
    { stop: (s) => calls.push(`stop ${s}`), force: (s) => calls.push(`force ${s}`) },
    { now: () => t, source },
  );
  source.emit('SIGINT', 'SIGINT');
  t += 40; // npm's forwarded copy of the same key press.
  source.emit('SIGINT', 'SIGINT');
  expect(calls).toEqual(['stop SIGINT']);
  t += REPEAT_WINDOW_MS;
  source.emit('SIGTERM', 'SIGTERM');
  expect(calls).toEqual(['stop SIGINT', 'force SIGTERM']);
  remove();
  expect(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM')).toBe(0);
});
