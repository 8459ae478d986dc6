// `npm run chaos -- [--trials N] [--seed S] [--nodes 3] [--ops 6] [--fault-rate 0.8] [--parallel 1] [--mutant evacuation-no-resync-wait]`
//
// Seeded random trials of mixed operations on a simulated cluster under faults, with the
// invariants checked after each (bench/chaos/). Prints the figures and appends them to
// bench/RESULTS.md; exits 1 on any violation, printing the seed that reproduces it.
//
// --mutant NAME runs the same suite against a deliberately broken copy of the build (see
// bench/chaos/mutants.ts): the proof that the suite catches a real bug. Product code has no switch
// for it: the copy's workflow bundle is made from edited JavaScript.
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../scripts/stack.js';
import { formatSummary, runChaos } from './chaos/suite.js';
import { buildMutant, MUTANTS } from './chaos/mutants.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function intOption(args: string[], name: string, dflt: number, min: number, max: number): number {
  const v = option(args, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} '${v}' must be an integer ${min}..${max}`);
  return n;
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const args = process.argv.slice(2);
const known = new Set(['--trials', '--seed', '--nodes', '--ops', '--fault-rate', '--parallel', '--mutant', '--results', '--title', '--command']);
for (const a of args) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a} (known: ${[...known].join(' ')})`);
const trials = intOption(args, '--trials', 20, 1, 100_000);
const seed = intOption(args, '--seed', Date.now() % 1_000_000, 0, 2 ** 31 - 1);
const nodes = intOption(args, '--nodes', 3, 3, 6);
const operations = intOption(args, '--ops', 6, 1, 1000);
const faultRate = Number(option(args, '--fault-rate') ?? '0.8');
const parallel = intOption(args, '--parallel', 1, 1, 16);
if (!(faultRate >= 0 && faultRate <= 1)) throw new Error('--fault-rate must be 0..1');
const results = option(args, '--results') ?? join(REPO_ROOT, 'bench', 'RESULTS.md');
const mutant = option(args, '--mutant');

if (mutant !== undefined) {
  if (!(mutant in MUTANTS)) throw new Error(`--mutant '${mutant}': known mutants are ${Object.keys(MUTANTS).join(', ')}`);
  const dir = await buildMutant(mutant as keyof typeof MUTANTS);
  const without = (names: string[]) => args.filter((a, i) => !names.includes(a) && !names.includes(args[i - 1] ?? ''));
  const rest = without(['--mutant', '--seed', '--results', '--title', '--command']);
  // the copy runs the suite with its own controller, agents and bundle; figures go to our RESULTS.md
  const r = await execa(process.execPath, [join(dir, 'dist', 'bench', 'chaos.js'), ...rest, '--seed', String(seed), '--results', results, '--command', `npm run chaos -- --mutant ${mutant} ${rest.join(' ')} --seed ${seed}`.replace(/ +/g, ' '), '--title', `Chaos suite against the mutant '${mutant}' (${MUTANTS[mutant as keyof typeof MUTANTS].description})`], { stdio: 'inherit', reject: false });
  process.exitCode = r.exitCode ?? 1;
} else {
  const load = loadavg();
  const summary = await runChaos({ trials, seed, nodes, operations, faultRate, parallel, log: (l) => process.stdout.write(`${l}\n`) });
  const command = option(args, '--command') ?? `npm run chaos -- --trials ${trials} --seed ${seed} --nodes ${nodes} --ops ${operations} --fault-rate ${faultRate}${parallel > 1 ? ` --parallel ${parallel}` : ''}`;
  const text = formatSummary(summary, { title: option(args, '--title') ?? `Chaos suite (${new Date().toISOString().slice(0, 16)}Z)`, command, loadAverage: load });
  process.stdout.write(`\n${text}\n`);
  appendFileSync(results, `\n${text}`);
  if (summary.violations.length) {
    // the same seed with the same options runs the same trial
    process.stdout.write(`${summary.violations.length} violation(s); reproduce one with: npm run chaos -- --trials 1 --seed ${summary.violations[0]!.seed} --nodes ${nodes} --ops ${operations}\n`);
    process.exitCode = 1;
  }
}
