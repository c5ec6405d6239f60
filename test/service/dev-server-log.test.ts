// What the embedded dev server's own log lines become in ours: its errors stay errors, except the expected ones.
import { serverLogLine } from '../../src/service/dev-server';

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
