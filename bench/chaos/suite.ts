// The chaos suite: N trials (bench/chaos/trial.ts) on one Temporal and one S3 server of its own
// (one pair per lane with --parallel), trial i with seed `seed + i`; the figures, and a Markdown section for bench/RESULTS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChaosServices } from './services.js';
import { runTrial, type TrialResult } from './trial.js';

export interface ChaosOptions {
  trials: number;
  seed: number;
  nodes: number;
  operations: number;
  faultRate: number;
  /** Trials run side by side, each lane on servers of its own (default 1). */
  parallel?: number;
  /** Where the servers and clusters live (default: a new directory under the OS temp dir). */
  runDir?: string;
  log: (line: string) => void;
}

export interface ChaosSummary {
  options: Omit<ChaosOptions, 'log' | 'runDir'>;
  trials: TrialResult[];
  durationMs: number;
  faults: Record<string, number>;
  operations: Record<string, Record<string, number>>;
  violations: { seed: number; violation: string }[];
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const started = Date.now();
  const own = opts.runDir === undefined;
  const runDir = opts.runDir ?? mkdtempSync(join(tmpdir(), 'ferry-chaos-'));
  // startTestCluster puts each trial's cluster under the run directory
  process.env.FERRY_TEST_RUN_DIR = runDir;
  const lanes = Math.max(1, Math.min(opts.parallel ?? 1, opts.trials));
  const trials: TrialResult[] = [];
  let next = 0;
  // a lane is a Temporal and an S3 server of its own running one trial after another: a trial
  // restarts them, and that must not hit the trials of another lane
  const lane = async (k: number): Promise<void> => {
    const services = await startChaosServices(lanes === 1 ? runDir : join(runDir, `lane${k}`));
    try {
      while (next < opts.trials) {
        const i = next++;
        const seed = opts.seed + i;
        const tag = lanes === 1 ? '' : ` [lane ${k}]`;
        opts.log(`trial ${i + 1}/${opts.trials} seed ${seed}${tag}`);
        const r = await runTrial(services, { seed, nodes: opts.nodes, operations: opts.operations, faultRate: opts.faultRate, log: opts.log });
        trials.push(r);
        opts.log(`trial ${i + 1}${tag}: ${Math.round(r.durationMs / 1000)} s, ${r.violations.length} violation(s)${r.violations.length ? ` — reproduce: npm run chaos -- --trials 1 --seed ${seed} --nodes ${opts.nodes} --ops ${opts.operations}` : ''}`);
        for (const v of r.violations) opts.log(`  VIOLATION (seed ${seed}): ${v}`);
      }
    } finally {
      await services.stop();
    }
  };
  try {
    const ended = await Promise.allSettled(Array.from({ length: lanes }, (_, k) => lane(k)));
    const failed = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    if (own) rmSync(runDir, { recursive: true, force: true });
  }
  trials.sort((a, b) => a.seed - b.seed);
  const faults: Record<string, number> = {};
  const operations: Record<string, Record<string, number>> = {};
  for (const t of trials) {
    for (const [k, n] of Object.entries(t.faults)) faults[k] = (faults[k] ?? 0) + n;
    for (const [k, outcomes] of Object.entries(t.operations)) {
      const o = (operations[k] ??= {});
      for (const [outcome, n] of Object.entries(outcomes)) o[outcome] = (o[outcome] ?? 0) + n;
    }
  }
  const { log: _log, runDir: _dir, ...options } = opts;
  return { options, trials, durationMs: Date.now() - started, faults, operations, violations: trials.flatMap((t) => t.violations.map((violation) => ({ seed: t.seed, violation }))) };
}

/** The figures as text (stdout) and as a bench/RESULTS.md section. */
export function formatSummary(s: ChaosSummary, extra: { title: string; command: string; loadAverage: number[] }): string {
  const perTrial = s.trials.map((t) => t.durationMs / 1000);
  const mean = perTrial.reduce((a, b) => a + b, 0) / Math.max(1, perTrial.length);
  const lines = [
    `## ${extra.title}`,
    '',
    `Command: \`${extra.command}\``,
    `Load average at the start: ${extra.loadAverage.map((x) => x.toFixed(2)).join(' ')} (2 cores, shared)`,
    '',
    `- trials: ${s.trials.length} (seeds ${s.options.seed}..${s.options.seed + s.trials.length - 1})${(s.options.parallel ?? 1) > 1 ? `, ${s.options.parallel} side by side` : ''}, ${s.options.nodes} nodes, ${s.options.operations} operations per trial, fault rate ${s.options.faultRate}`,
    `- duration: ${Math.round(s.durationMs / 1000)} s in all; one trial ${mean.toFixed(0)} s on average (min ${Math.min(...perTrial).toFixed(0)}, max ${Math.max(...perTrial).toFixed(0)})`,
    `- faults injected: ${Object.entries(s.faults).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'} (${Object.values(s.faults).reduce((a, b) => a + b, 0)} in all)`,
    `- operations: ${Object.entries(s.operations).sort().map(([k, o]) => `${k} ${Object.entries(o).sort().map(([x, n]) => `${n} ${x}`).join('/')}`).join('; ')}`,
    `- violations: ${s.violations.length}`,
    ...s.violations.map((v) => `  - seed ${v.seed}: ${v.violation.split('\n')[0]}`),
    '',
  ];
  return lines.join('\n');
}
