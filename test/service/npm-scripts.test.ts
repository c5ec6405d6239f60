// Signals sent to npm reach the script's process: `npm run emulator` stops on a SIGINT sent to npm alone (npm
// forwards it; through the tsx wrapper and a shell it went nowhere), `npm run demo` on Ctrl-C. `npm start` and
// `npm run worker` are checked the same way in start.test.ts and durability.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree } from '../../src/service/dev-server';
import { descendants, exitWithin, killTree, npmRun, survivors, waitForOutput } from '../helpers/processes';

test('npm run emulator stops when npm alone gets SIGINT, leaving no process and no port', async () => {
  const emulator = npmRun('emulator', ['--port', '0', '--api-key', 'npm-scripts-test-key'], {
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
    killTree(emulator);
  }
});

test('Ctrl-C stops npm run demo with its throw-away dev server and data folder', async () => {
  const demo = npmRun('demo', []);
  try {
    // Interrupted while its stack is still starting: the dev server runs, the worker is not up yet.
    let devServer: { pid: number; cmdline: string } | undefined;
    for (let i = 0; i < 600 && !devServer; i++) {
      devServer = descendants(demo.pid)
        .map((pid) => ({ pid, cmdline: cmdlineOf(pid) }))
        .find((p) => p.cmdline.includes('start-dev'));
      if (demo.child.exitCode !== null) throw new Error(`npm run demo exited early:\n${demo.output()}`);
      if (!devServer) await new Promise((r) => setTimeout(r, 50));
    }
    const dataDir = path.dirname(
      devServer!.cmdline.split(' ')[devServer!.cmdline.split(' ').indexOf('--db-filename') + 1]!,
    );
    const tree = descendants(demo.pid);
    process.kill(-demo.pid, 'SIGINT');
    const exit = await exitWithin(demo, 60_000);
    // Its output says why, when the exit is not the interruption's.
    if (exit === 'still running' || exit.code !== 130 || exit.signal !== null) {
      throw new Error(`npm run demo: ${JSON.stringify(exit)}, not exit 130:\n${demo.output()}`);
    }
    expect(demo.output()).toContain('Interrupted: stopping the stack');
    expect(await survivors(tree)).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  } finally {
    killTree(demo);
  }
});

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
