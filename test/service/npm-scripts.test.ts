// Signals sent to npm reach the script's process: `npm run emulator` stops on a SIGINT sent to npm alone (npm
// forwards it; through the tsx wrapper and a shell it went nowhere). `npm start` and `npm run worker` are checked
// the same way in start.test.ts and durability.test.ts.
import os from 'node:os';
import { assertPortFree } from '../../src/service/dev-server';
import { descendants, exitWithin, killGroup, npmRun, survivors, waitForOutput } from '../helpers/processes';

test('npm run emulator stops when npm alone gets SIGINT, leaving no process and no port', async () => {
  const emulator = npmRun('emulator', ['--port', '0', '--api-key', 'npm-scripts-test-key'], {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    LOG_FORMAT: 'json',
  });
  try {
    const [, port] = await waitForOutput(emulator, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const tree = descendants(emulator.pid);
    expect(tree.length).toBeGreaterThanOrEqual(1);
    process.kill(emulator.pid, 'SIGINT');
    expect(await exitWithin(emulator, 10_000)).toEqual({ code: 0, signal: null });
    expect(await survivors(tree)).toEqual([]);
    await assertPortFree('127.0.0.1', Number(port), 'the emulator', 'test');
  } finally {
    killGroup(emulator.pid);
  }
});
