// End-to-end create-resource throughput: `r create --auto-place 3` through the REST API, the
// createResource workflow, the agents' activities and the simulated hosts, on a dev server with
// three simulated nodes. Goal (issue 5): >= 20 ops/s on this 2-core machine.
//
//   npm run build && node dist/bench/create-resource.js [--count 60] [--concurrency 10] [--size 4M]
//
// Measures, for `count` resource definitions made beforehand (rd + vd, not timed):
//   - wall time from the first `r create` to the last result, with `concurrency` in flight -> ops/s
//   - per workflow (from its history): total, time in activities by type (scheduled -> completed,
//     i.e. queueing included) and the rest (workflow tasks, timers, locks)
//   - CPU seconds used meanwhile by Temporal, the controller, the agents and the tool servers
// Set FERRY_SIM_TOOLS=process to run every host command as its own Node process (as before the
// tool server) for a side-by-side figure.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Connection, WorkflowClient } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { pct, startBenchCluster } from './cluster.js';
import { parseSize } from '../core/validation.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '10' }, size: { type: 'string', default: '4M' } } });
const COUNT = Number(values.count);
const CONC = Number(values.concurrency);
const parsedSize = parseSize(values.size!);
if (!parsedSize.ok) throw new Error(parsedSize.message);
const SIZE = parsedSize.bytes;
const nodes = ['node1', 'node2', 'node3'];

function ms(t: temporal.api.history.v1.IHistoryEvent): number {
  const s = t.eventTime!;
  return Number(s.seconds ?? 0) * 1000 + Math.round((s.nanos ?? 0) / 1e6);
}

async function main(): Promise<void> {
  const load0 = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const bc = await startBenchCluster({ nodes });
  const { cluster } = bc;
  const client = cluster.client;
  try {
    for (const n of nodes) await (await client.storagePools.createLvmThin({ node: n, name: 'pool1', vg: 'vg', thinPool: 'thinpool' })).result();
    const names = Array.from({ length: COUNT + 3 }, (_, i) => `bench${String(i).padStart(4, '0')}`);
    // definitions first (not timed), a few at a time
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(names.slice(i, i + 8).map(async (rd) => {
        await (await client.resourceDefinitions.create({ name: rd })).result();
        await (await client.volumeDefinitions.create({ resource: rd, sizeBytes: SIZE })).result();
      }));
    }
    // warm-up: three resources (workers, caches, JIT)
    for (const rd of names.slice(0, 3)) await (await client.resources.autoPlace({ resource: rd, placeCount: 3, storagePool: 'pool1' })).result();
    const timed = names.slice(3);
    const cpu0 = bc.cpu();
    const ids: string[] = [];
    const latencies: number[] = [];
    const t0 = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: CONC }, async () => {
      while (next < timed.length) {
        const rd = timed[next++]!;
        const s = Date.now();
        const op = await client.resources.autoPlace({ resource: rd, placeCount: 3, storagePool: 'pool1' });
        ids.push(op.workflowId);
        await op.result();
        latencies.push(Date.now() - s);
      }
    }));
    const wall = (Date.now() - t0) / 1000;
    const cpu1 = bc.cpu();
    // the same resources are UpToDate on three nodes
    const rs = await client.resources.list({ resources: timed });
    const upToDate = rs.filter((r) => r.volumes.length > 0 && r.volumes.every((v) => v.state.disk_state === 'UpToDate')).length;

    // breakdown from the workflows' histories
    const conn = await Connection.connect({ address: bc.temporal.address });
    const wf = new WorkflowClient({ connection: conn, namespace: cluster.env.namespace });
    const byType = new Map<string, number[]>();
    const totals: number[] = [];
    const inActivities: number[] = [];
    for (const id of ids) {
      const h = await wf.getHandle(id).fetchHistory();
      const ev = h.events ?? [];
      const first = ev[0]!;
      const last = ev[ev.length - 1]!;
      totals.push(ms(last) - ms(first));
      const scheduled = new Map<number, { type: string; at: number }>();
      // union of activity intervals, so parallel activities are not counted twice
      const intervals: [number, number][] = [];
      for (const e of ev) {
        if (e.activityTaskScheduledEventAttributes) scheduled.set(Number(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at: ms(e) });
        const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
        if (done) {
          const s = scheduled.get(Number(done.scheduledEventId));
          if (s) {
            const d = ms(e) - s.at;
            byType.set(s.type, [...(byType.get(s.type) ?? []), d]);
            intervals.push([s.at, ms(e)]);
          }
        }
      }
      intervals.sort((a, b) => a[0] - b[0]);
      let covered = 0;
      let end = -Infinity;
      for (const [a, b] of intervals) {
        if (b <= end) continue;
        covered += b - Math.max(a, end);
        end = b;
      }
      inActivities.push(covered);
    }
    await conn.close();

    const cpu = Object.fromEntries(Object.entries(cpu1).map(([k, v]) => [k, v - cpu0[k as keyof typeof cpu0]]));
    const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
    const mode = process.env.FERRY_SIM_TOOLS === 'process' ? 'each host command its own Node process (FERRY_SIM_TOOLS=process)' : 'host commands through the tool server';
    const lines = [
      `## create-resource throughput ${new Date().toISOString()}`,
      '',
      `\`${process.env.FERRY_SIM_TOOLS === 'process' ? 'FERRY_SIM_TOOLS=process ' : ''}node dist/bench/create-resource.js --count ${COUNT} --concurrency ${CONC} --size ${values.size}\``,
      '',
      '```',
      `${COUNT} x r create --auto-place 3 (${values.size} volumes), ${CONC} in flight; ${mode}`,
      `node ${process.version}, ${os.cpus().length} CPUs, load at start ${load0}`,
      `throughput:             ${(COUNT / wall).toFixed(2)} ops/s  (${wall.toFixed(1)} s wall; goal >= 20)`,
      `UpToDate replicas:      ${upToDate} of ${COUNT * 3}`,
      `latency (client):       p50 ${pct(latencies, 50)} ms  p99 ${pct(latencies, 99)} ms`,
      `workflow (history):     p50 ${pct(totals, 50)} ms, of which in activities p50 ${pct(inActivities, 50)} ms`,
      'activities (scheduled -> completed, queueing included), p50 / p99 ms, calls:',
      ...[...byType.entries()].sort((a, b) => pct(b[1], 50) - pct(a[1], 50)).map(([t, d]) => `  ${t.padEnd(28)} ${String(pct(d, 50)).padStart(6)} ${String(pct(d, 99)).padStart(6)}  ${d.length}`),
      `CPU seconds during the run: ${Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}; total ${cpuTotal.toFixed(1)} = ${(cpuTotal / COUNT * 1000).toFixed(0)} ms per resource (${(cpuTotal / wall / os.cpus().length * 100).toFixed(0)}% of the machine)`,
      '```',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await bc.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
