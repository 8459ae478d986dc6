// The chaos suite's short mode (`npm run chaos` runs the long one): two seeded trials of mixed
// operations on a simulated cluster with its own Temporal and S3 servers, faults at random points
// (agents and the controller killed, Temporal and S3 restarted, host commands failing, a pool
// nearly full, a network cut), then the invariants: nothing stuck, data on every replica and every
// restore, replica counts met, `ferry doctor` clean, backups verify. Any violation fails the test
// with the seed that reproduces it.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { runChaos } from '../../bench/chaos/suite.js';

const saved = { runDir: process.env.FERRY_TEST_RUN_DIR, temporal: process.env.FERRY_TEST_TEMPORAL_ADDRESS };
afterAll(() => {
  // the suite points the harness at its own servers; the next test file in this worker must not see them
  process.env.FERRY_TEST_RUN_DIR = saved.runDir;
  process.env.FERRY_TEST_TEMPORAL_ADDRESS = saved.temporal;
});

describe('the chaos suite, short mode', () => {
  it('runs two trials under faults with zero invariant violations', async () => {
    const seed = Number(process.env.FERRY_CHAOS_SEED ?? 4242);
    const lines: string[] = [];
    const s = await runChaos({
      trials: 2, seed, nodes: 3, operations: 4, faultRate: 1,
      runDir: mkdtempSync(join(saved.runDir!, 'chaos-')),
      log: (l) => lines.push(l),
    });
    const injected = Object.values(s.faults).reduce((a, b) => a + b, 0);
    const ran = Object.values(s.operations).flatMap((o) => Object.values(o)).reduce((a, b) => a + b, 0);
    process.stdout.write(`chaos short mode: seed ${seed}, ${s.trials.length} trials, ${ran} operations, ${injected} faults, ${s.violations.length} violations, ${Math.round(s.durationMs / 1000)} s\n`);
    expect(s.trials).toHaveLength(2);
    expect(ran).toBeGreaterThanOrEqual(8);
    expect(injected).toBeGreaterThanOrEqual(4);
    expect({ violations: s.violations, log: s.violations.length ? lines : [] }).toEqual({ violations: [], log: [] });
  }, 420_000);
});
