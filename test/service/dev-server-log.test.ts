// What the embedded dev server's own log lines become in ours: its errors stay errors, except the expected ones.
import { serverLogLine, whyItStopped } from '../../src/service/dev-server';

const notHealthy = JSON.stringify({
  level: 'error',
  msg: 'service failures',
  operation: 'GetSystemInfo',
  error: 'Frontend is not healthy yet',
});
const realError = JSON.stringify({ level: 'error', msg: 'persistence failure', error: 'database is locked' });

test('"frontend not healthy yet" while starting is noise; after start-up, and any other error, it is an error', () => {
  expect(serverLogLine(notHealthy, { stopping: false, ready: false }).level).toBe('debug');
  expect(serverLogLine(notHealthy, { stopping: false, ready: true }).level).toBe('error');
  expect(serverLogLine(realError, { stopping: false, ready: false })).toMatchObject({
    level: 'error',
    msg: 'persistence failure',
  });
  expect(serverLogLine(realError, { stopping: true, ready: true }).level).toBe('debug');
  expect(serverLogLine('Temporal server is running', { stopping: false, ready: false }).level).toBe('info');
});

test('why the server stopped: the panic line of a crash, not its stack; else the last lines', () => {
  const crash = [
    'panic: listen tcp 127.0.0.1:41237: bind: address already in use',
    '',
    'goroutine 1 [running]:',
    'github.com/temporalio/cli/internal/temporalcli.(*TemporalServerStartDevCommand).run(...)',
    '\t/home/runner/work/cli/cli/internal/temporalcli/commands.go:392 +0x205',
    'main.main()',
  ];
  expect(whyItStopped(crash)).toBe('panic: listen tcp 127.0.0.1:41237: bind: address already in use');
  expect(whyItStopped([realError])).toBe(realError);
  expect(whyItStopped(['one', 'two', 'three', 'four'])).toBe('two | three | four');
});
