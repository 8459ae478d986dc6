// The Temporal floor under issue 5's create-resource goal: how many `r create --auto-place 3` per
// second this machine's Temporal dev server can run when everything behind the activities costs
// nothing. The workflow (bench/temporal-floor-workflows.ts) has the lean create's shape: search
// attributes, local activities for the catalog steps, one activity per node on the node's own task
// queue. All workers live in this one process (no controller, agents, catalog or simulated hosts).
// If this floor is below 20 ops/s, the real create cannot reach 20 ops/s on this machine.
//
//   npm run build && node dist/bench/temporal-floor.js [--count 300] [--concurrency 20]
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Connection, WorkflowClient } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startTemporal } from '../scripts/stack.js';
import { cpuTreeSeconds, pct } from './cluster.js';
import type { FloorActivities } from './temporal-floor-workflows.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '20' } } });
const COUNT = Number(values.count);
const CONC = Number(values.concurrency);
const NODES = ['node1', 'node2', 'node3'];

const activities: FloorActivities = {
  async floorLock() {},
  async floorPlace() {
    return NODES;
  },
  async floorDeploy() {
    return [{ volumeNumber: 0, diskState: 'UpToDate' }];
  },
  async floorRecord() {},
  async floorUnlock() {},
};

async function main(): Promise<void> {
  const load0 = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const dir = mkdtempSync(join(os.tmpdir(), 'ferry-bench-floor-'));
  const temporal = await startTemporal({ dataDir: join(dir, 'temporal'), headless: true });
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const native = await NativeConnection.connect({ address: temporal.address });
  const conn = await Connection.connect({ address: temporal.address });
  const client = new WorkflowClient({ connection: conn, namespace: 'default' });
  const prefix = 'floor';
  const workers = [
    await Worker.create({ connection: native, namespace: 'default', taskQueue: prefix, workflowsPath: fileURLToPath(new URL('./temporal-floor-workflows.js', import.meta.url)), activities }),
    ...(await Promise.all(NODES.map((n) => Worker.create({ connection: native, namespace: 'default', taskQueue: `${prefix}-${n}`, activities })))),
  ];
  const running = workers.map((w) => w.run());
  const run = async (i: number): Promise<number> => {
    const s = Date.now();
    await client.execute('floorCreate', { taskQueue: prefix, workflowId: `floor-${i}`, args: [{ resource: `r${i}`, queuePrefix: prefix }] });
    return Date.now() - s;
  };
  try {
    for (let i = 0; i < 10; i++) await run(-1 - i); // warm-up: bundle loaded, JIT, caches
    const cpu0 = { temporal: cpuTreeSeconds(temporal.process.pid), workers: process.cpuUsage() };
    const latencies: number[] = [];
    let next = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CONC }, async () => {
      while (next < COUNT) latencies.push(await run(next++));
    }));
    const wall = (Date.now() - t0) / 1000;
    const tCpu = cpuTreeSeconds(temporal.process.pid) - cpu0.temporal;
    const u = process.cpuUsage(cpu0.workers);
    const wCpu = (u.user + u.system) / 1e6;
    const lines = [
      `\`node dist/bench/temporal-floor.js --count ${COUNT} --concurrency ${CONC}\``,
      '',
      '```',
      `${COUNT} x floorCreate (the lean r create's Temporal work, activities that return at once), ${CONC} in flight`,
      `node ${process.version}, ${os.cpus().length} CPUs, load at start ${load0}`,
      `throughput:        ${(COUNT / wall).toFixed(2)} workflows/s  (${wall.toFixed(1)} s wall; issue 5's goal for the real create: >= 20)`,
      `latency (client):  p50 ${pct(latencies, 50)} ms  p99 ${pct(latencies, 99)} ms`,
      `CPU seconds:       temporal ${tCpu.toFixed(1)}, workers (this process) ${wCpu.toFixed(1)}; per workflow ${(tCpu / COUNT * 1000).toFixed(0)} + ${(wCpu / COUNT * 1000).toFixed(0)} = ${((tCpu + wCpu) / COUNT * 1000).toFixed(0)} ms (${((tCpu + wCpu) / wall / os.cpus().length * 100).toFixed(0)}% of the machine)`,
      '```',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.allSettled(running);
    await native.close();
    await conn.close();
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
