// Throughput of the simulated LVM-thin layer against plain file I/O on the same disk, in one run:
//   write SIZE to a thin LV (ferry-sim io write)      vs  dd of SIZE into a plain file
//   snapshot it (lvcreate -s)
//   thin_send of the snapshot to /dev/null            vs  cat of an equally sized written file to /dev/null
// Usage: node dist/bench/sim-throughput.js [--size 1G] [--runs 3] [--dir DIR] [--no-append]
// Appends the figures to bench/RESULTS.md unless --no-append.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const simBin = path.join(repo, 'sim', 'bin');
const ferrySim = path.join(repo, 'bin', 'ferry-sim.js');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

function bytes(text: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(text);
  if (!m) throw new Error(`bad size ${text}`);
  return Number(m[1]) * 1024 ** ({ '': 0, K: 1, M: 2, G: 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G']);
}

const size = bytes(arg('size', '1G'));
const runs = Number(arg('runs', '3'));
const base = fs.mkdtempSync(path.join(arg('dir', os.tmpdir()), 'ferry-bench-'));
const root = path.join(base, 'cluster');
const env = { ...process.env, PATH: `${simBin}:${process.env.PATH ?? ''}`, FERRY_SIM_ROOT: root, FERRY_SIM_NODE: 'bench' };

function timed(cmd: string, args: string[], stdoutTo?: number): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', stdoutTo ?? 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mibps = (ms: number): string => `${(size / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s`;

try {
  const devNull = fs.openSync('/dev/null', 'w');
  timed(process.execPath, [ferrySim, '--root', root, 'host', 'init', 'bench', '--size', `${Math.ceil((size * 2.2) / 1024 ** 2) + 64}M`]);
  timed('lvcreate', ['-V', `${size}b`, '-T', 'vg/thinpool', '-n', 'vol']);

  const writeLv = timed(process.execPath, [ferrySim, '--root', root, 'io', 'write', '--node', 'bench', '--vg', 'vg', '--lv', 'vol', '--pattern', 'bench']);
  const plain = path.join(base, 'plain.img');
  const writePlain = timed('dd', ['if=/dev/zero', `of=${plain}`, 'bs=8M', `count=${Math.ceil(size / (8 * 1024 * 1024))}`, 'status=none']);
  const snap = timed('lvcreate', ['-s', 'vg/vol', '-n', 'snap', '-K', '-ay']);
  // an equally sized sparse-but-written file for cat: sparse file, then every byte written
  const sparse = path.join(base, 'sparse.img');
  fs.closeSync(fs.openSync(sparse, 'w'));
  fs.truncateSync(sparse, size);
  timed('dd', [`if=${plain}`, `of=${sparse}`, 'bs=8M', 'conv=notrunc', 'status=none']);

  const sends: number[] = [];
  const cats: number[] = [];
  for (let i = 0; i < runs; i++) {
    sends.push(timed('thin_send', ['vg/snap'], devNull));
    cats.push(timed('cat', [sparse], devNull));
  }
  const nodeStart = median([0, 1, 2].map(() => timed(process.execPath, ['-e', '0'])));
  const send = median(sends);
  const cat = median(cats);
  const lines = [
    `size ${size} bytes, ${runs} runs (median), node ${process.version}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}`,
    `write thin LV (ferry-sim io write):   ${writeLv.toFixed(0)} ms  ${mibps(writeLv)}`,
    `write plain file (dd bs=8M):          ${writePlain.toFixed(0)} ms  ${mibps(writePlain)}   ratio ${(writeLv / writePlain).toFixed(2)}`,
    `snapshot (lvcreate -s):               ${snap.toFixed(0)} ms`,
    `thin_send snapshot > /dev/null:       ${send.toFixed(0)} ms  ${mibps(send)}`,
    `cat written sparse file > /dev/null:  ${cat.toFixed(0)} ms  ${mibps(cat)}   ratio thin_send/cat ${(send / cat).toFixed(2)}`,
    `node start-up (node -e 0):            ${nodeStart.toFixed(0)} ms (included in every simulated tool run)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (!process.argv.includes('--no-append')) {
    const results = path.join(repo, 'bench', 'RESULTS.md');
    if (!fs.existsSync(results)) fs.writeFileSync(results, '# Benchmark results\n\nFigures appended by the benchmarks in bench/, newest last, each with the command that produced it.\n');
    const cmd = `node dist/bench/sim-throughput.js ${process.argv.slice(2).filter((a) => a !== '--no-append').join(' ')}`.trim();
    fs.appendFileSync(results, `\n## sim-throughput ${new Date().toISOString()}\n\n\`${cmd}\`\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
