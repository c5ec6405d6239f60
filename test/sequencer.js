// The order jest starts test files in. With timings cached from an earlier run, jest's own: failed first, then the
// longest. Without them (a fresh clone, as CI runs), jest would go by file size, and a small file that takes a minute
// (killed workers waiting for Temporal to notice) could start last and finish alone: these start first instead.
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default; // jest's own, part of jest

const SLOW_FIRST = [
  'test/fleet/workers.test.ts',
  'test/service/durability.test.ts',
  'test/service/replicas.test.ts',
  'test/bench/account.test.ts',
  'test/starters/starters.test.ts',
  'test/workflows/reconcile.test.ts',
  'test/workflows/provision-namespace.test.ts',
  'test/service/start.test.ts',
  'test/portal/browser.test.ts',
  'test/bench/bench.test.ts',
  'test/starters/desired-state.test.ts',
  'test/workflows/pattern-access.test.ts',
  'test/service/banner.test.ts',
  'test/workflows/offboard-user.test.ts',
  'test/workflows/exactly-once.test.ts',
  'test/portal/portal.test.ts',
];

class SlowFirst extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    if (ordered.every((test) => test.duration !== undefined)) return ordered;
    const rank = (test) => {
      const i = SLOW_FIRST.indexOf(path.relative(test.context.config.rootDir, test.path));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return ordered
      .map((test, i) => ({ test, i }))
      .sort((a, b) => rank(a.test) - rank(b.test) || a.i - b.i)
      .map(({ test }) => test);
  }
}

module.exports = SlowFirst;
