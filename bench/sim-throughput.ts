// Throughput of the simulated LVM-thin layer against plain file I/O on the same disk, in one run:
//   write SIZE to a thin LV (ferry-sim io write)      vs  dd of SIZE into a plain file
//   snapshot it (lvcreate -s)
//   thin_send of the snapshot to /dev/null            vs  cat of an equally sized written file to /dev/null
//   thin_recv of that stream into a new thin LV       vs  dd of the stream file into a plain file
// thin_send, cat and the start-up figures (node -e 0, thin_send --version) are taken side by side
// in each repetition; medians of wall time and of CPU time (user+sys of the child, from
// /proc/self/stat cutime+cstime, 10 ms resolution: a loaded host stretches wall time, not CPU time).
// thin_send runs as agents run it, through the node's tool server (its CPU is added to the child's),
// and as its own Node process (FERRY_SIM_TOOLS=process), side by side.
// Usage: node dist/bench/sim-throughput.js [--size 1G] [--runs 3] [--dir DIR] [--no-append]
// Appends the figures to bench/RESULTS.md unless --no-append.
import { spawn, spawnSync } from 'node:child_process';
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
const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${simBin}:${process.env.PATH ?? ''}`, FERRY_SIM_ROOT: root, FERRY_SIM_NODE: 'bench' };

/** CPU time (user+sys, ms) of this process's waited-for children so far. */
function childCpuMs(): number {
  const f = fs.readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields 16 and 17 (cutime, cstime) of proc(5); `rest` starts at field 3
  return ((Number(rest[13]) + Number(rest[14])) * 1000) / 100;
}

/** CPU time (user+sys, ms) of a running process. */
function pidCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / 100;
}

let serverPid: number | undefined;
let stopServer = (): void => undefined;
let lastCpu = 0;
function timed(cmd: string, args: string[], stdoutTo?: number, stdinFrom?: number): number {
  const c0 = childCpuMs() + pidCpuMs(serverPid);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: [stdinFrom ?? 'ignore', stdoutTo ?? 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  lastCpu = childCpuMs() + pidCpuMs(serverPid) - c0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  return ms;
}

/** Wall and CPU time of one run. */
function timedBoth(cmd: string, args: string[], stdoutTo?: number, stdinFrom?: number): [number, number] {
  const ms = timed(cmd, args, stdoutTo, stdinFrom);
  return [ms, lastCpu];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mibps = (ms: number): string => `${(size / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s`;

try {
  const devNull = fs.openSync('/dev/null', 'w');
  timed(process.execPath, [ferrySim, '--root', root, 'host', 'init', 'bench', '--size', `${Math.ceil((size * 2.2) / 1024 ** 2) + 64}M`]);
  // the node's tool server, as the agent launcher runs it
  const server = spawn(process.execPath, [ferrySim, '--root', root, 'tool-server'], { stdio: ['ignore', 'pipe', 'inherit'] });
  serverPid = server.pid;
  env.FERRY_SIM_TOOL_SERVER = await new Promise<string>((resolve, reject) => {
    let text = '';
    server.stdout!.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    server.once('exit', (code) => reject(new Error(`tool server exited ${code}`)));
  });
  server.stdout!.destroy();
  server.unref(); // the bench exits when done; the server goes with it (killed in finally)
  stopServer = () => server.kill();
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

  // the stream once, for thin_recv; and its plain-file counterpart
  const streamFile = path.join(base, 'stream.bin');
  const sfd = fs.openSync(streamFile, 'w');
  timed('thin_send', ['vg/snap'], sfd);
  fs.closeSync(sfd);

  const series: Record<string, number[]> = { send: [], sendCpu: [], sendProc: [], sendProcCpu: [], cat: [], catCpu: [], node: [], nodeCpu: [], tool: [], toolCpu: [], recv: [], recvCpu: [], dd: [] };
  const push = (k: string, [w, c]: [number, number]) => {
    series[k]!.push(w);
    series[`${k}Cpu`]?.push(c);
  };
  for (let i = 0; i < runs; i++) {
    push('send', timedBoth('thin_send', ['vg/snap'], devNull));
    push('cat', timedBoth('cat', [sparse], devNull));
    // as its own Node process (no tool server): the data read and written by Node
    env.FERRY_SIM_TOOLS = 'process';
    push('sendProc', timedBoth('thin_send', ['vg/snap'], devNull));
    delete env.FERRY_SIM_TOOLS;
    push('node', timedBoth(process.execPath, ['-e', '0']));
    push('tool', timedBoth('thin_send', ['--version']));
  }
  for (let i = 0; i < runs; i++) {
    timed('lvcreate', ['-V', `${size}b`, '-T', 'vg/thinpool', '-n', `copy${i}`]);
    const in0 = fs.openSync(streamFile, 'r');
    push('recv', timedBoth('thin_recv', [`vg/copy${i}`], undefined, in0));
    fs.closeSync(in0);
    timed('lvremove', ['-f', `vg/copy${i}`]);
    const plainCopy = path.join(base, 'plain-copy.img');
    series.dd!.push(timed('dd', [`if=${streamFile}`, `of=${plainCopy}`, 'bs=8M', 'status=none']));
    fs.rmSync(plainCopy, { force: true });
  }
  const m = (k: string) => median(series[k]!);
  const send = m('send');
  const cat = m('cat');
  const fmt = (k: string) => `${m(k).toFixed(0)} ms (cpu ${m(`${k}Cpu`).toFixed(0)} ms)`;
  const lines = [
    `size ${size} bytes, ${runs} runs (median), node ${process.version}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
    `write thin LV (ferry-sim io write):   ${writeLv.toFixed(0)} ms  ${mibps(writeLv)}`,
    `write plain file (dd bs=8M):          ${writePlain.toFixed(0)} ms  ${mibps(writePlain)}   ratio ${(writeLv / writePlain).toFixed(2)}`,
    `snapshot (lvcreate -s):               ${snap.toFixed(0)} ms`,
    `thin_send snapshot > /dev/null:       ${fmt('send')}  ${mibps(send)}   all: ${series.send!.map((x) => x.toFixed(0)).join(' ')}`,
    `thin_send as its own Node process:    ${fmt('sendProc')}  ${mibps(m('sendProc'))}   throughput / cat: ${(cat / m('sendProc')).toFixed(2)} (wall)`,
    `cat written sparse file > /dev/null:  ${fmt('cat')}  ${mibps(cat)}   all: ${series.cat!.map((x) => x.toFixed(0)).join(' ')}`,
    `  throughput thin_send (tool server) / cat: ${(cat / send).toFixed(2)} (wall), ${(m('catCpu') / Math.max(1, m('sendCpu'))).toFixed(2)} (cpu)   goal >= 0.8`,
    `node start-up (node -e 0):            ${fmt('node')}`,
    `simulated tool call through the server (thin_send --version): ${fmt('tool')}`,
    `thin_recv < stream into a thin LV:    ${fmt('recv')}  ${mibps(m('recv'))}`,
    `dd of the stream into a plain file:   ${m('dd').toFixed(0)} ms  ${mibps(m('dd'))}   ratio thin_recv/dd (time) ${(m('recv') / m('dd')).toFixed(2)}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (!process.argv.includes('--no-append')) {
    const results = path.join(repo, 'bench', 'RESULTS.md');
    if (!fs.existsSync(results)) fs.writeFileSync(results, '# Benchmark results\n\nFigures appended by the benchmarks in bench/, newest last, each with the command that produced it.\n');
    const cmd = `node dist/bench/sim-throughput.js ${process.argv.slice(2).filter((a) => a !== '--no-append').join(' ')}`.trim();
    // (the appended block carries the command; --no-append leaves RESULTS.md alone)
    fs.appendFileSync(results, `\n## sim-throughput ${new Date().toISOString()}\n\n\`${cmd}\`\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
  }
} finally {
  stopServer();
  fs.rmSync(base, { recursive: true, force: true });
}
