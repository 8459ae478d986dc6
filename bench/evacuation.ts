// Evacuating a node, against the ideal of its resync rate (issue #6):
//   rated     N resources of SIZE MiB on node1+node2, each filled with DATA MiB, a resync rate limit
//             (controller property DrbdOptions/PeerDevice/c-max-rate, the sim's DRBD honours it per
//             resync); `ferry node evacuate node2` with --max-concurrent P. Ideal: every resync
//             back to back in P slots = ceil(N / P) x DATA / RATE. Goal: total <= 1.2 x ideal.
//   overhead  M resources of 4 MiB with no data and no rate limit on node1+node3, node3 evacuated
//             the same way: what is left is orchestration (workflow, activities, catalog, host
//             commands). Per resource = total x P / M (each slot runs one resource at a time).
//             Goal: < 200 ms.
// Set-up (Temporal dev server, controller, 4 simulated nodes, the resources and their data) is not
// timed. The sim's DRBD moves only allocated blocks, so resources are filled with data first.
//
//   npm run build && node dist/bench/evacuation.js [--count N=200] [--size MiB=64] [--data MiB=SIZE]
//       [--rate 16M] [--max-concurrent 4] [--overhead-count M=N] [--phase both|rated|overhead]
import { loadavg } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import type { TestCluster } from '../test/harness/cluster.js';
import { startBenchCluster } from './cluster.js';

const MiB = 1024 * 1024;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

/** Bytes per second of a rate like `16M` (KiB/s units as drbd.conf: k, M, G suffixes). */
function rateBytes(r: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(r);
  if (!m) throw new Error(`--rate '${r}': give a number with k/M/G (e.g. 16M)`);
  const mult = { '': 1024, k: 1024, K: 1024, m: MiB, M: MiB, g: 1024 * MiB, G: 1024 * MiB }[m[2]!]!;
  return Number(m[1]) * mult;
}

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  const q = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, q.length) }, async () => {
    for (let x = q.shift(); x !== undefined; x = q.shift()) await fn(x);
  }));
}

async function mustOk(what: string, p: Promise<{ exitCode?: number; stderr: unknown; stdout: unknown }>): Promise<void> {
  const r = await p;
  if (r.exitCode !== 0) throw new Error(`${what}: exit ${r.exitCode}: ${String(r.stderr)} ${String(r.stdout)}`);
}

/** Creates `names` (one volume of `sizeMiB`) on `nodes`, 6 at a time, then writes `dataMiB` into each. */
async function createResources(c: TestCluster, names: string[], nodes: string[], sizeMiB: number, dataMiB: number): Promise<void> {
  await pool(names, 6, async (name) => {
    await (await c.client.resourceDefinitions.create({ name })).result();
    await (await c.client.volumeDefinitions.create({ resource: name, sizeBytes: sizeMiB * MiB })).result();
    await (await c.client.resources.create({ resource: name, nodes, storagePool: 'pool1' })).result();
  });
  if (dataMiB > 0) {
    await pool(names, 2, (name) => mustOk(`io write ${name}`, c.sim(['io', 'write', '--node', nodes[0]!, '--resource', name, '--pattern', '7', '--length', `${dataMiB}M`])));
  }
}

async function evacuate(c: TestCluster, node: string, maxConcurrent: number): Promise<{ ms: number; moved: number }> {
  const t0 = process.hrtime.bigint();
  const a = await c.client.evacuation.evacuate({ nodes: [node], maxConcurrent });
  const results = await Promise.all(a.operations.map((op) => op.result()));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, moved: results.reduce((n, r) => n + r.moved.length, 0) };
}

/**
 * Where the time of a workflow went, from its history: per activity type, how many, the mean time
 * from scheduled to started (queue wait, e.g. a node's worker busy) and from started to completed.
 */
async function breakdown(address: string, namespace: string, workflowId: string): Promise<string> {
  const conn = await Connection.connect({ address });
  try {
    // every run of the workflow (it continues as new when its history grows)
    const client = new Client({ connection: conn, namespace });
    const runs = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs.push((await client.workflow.getHandle(workflowId, w.runId).fetchHistory()).events ?? []);
    }
    const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : 0);
    const byType = new Map<string, { n: number; wait: number; run: number }>();
    for (const x of runs.flatMap((events) => {
      const sched = new Map<string, { type: string; at: number; started?: number }>();
      return events.map((ev) => ({ ev, sched }));
    })) {
      const { ev: e, sched } = x;
      const at = ms(e.eventTime);
      if (e.activityTaskScheduledEventAttributes) sched.set(String(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
      const st = e.activityTaskStartedEventAttributes;
      if (st) sched.get(String(st.scheduledEventId))!.started = at;
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const a = sched.get(String(done.scheduledEventId))!;
        const b = byType.get(a.type) ?? { n: 0, wait: 0, run: 0 };
        b.n += 1;
        b.wait += (a.started ?? at) - a.at;
        b.run += at - (a.started ?? a.at);
        byType.set(a.type, b);
      }
    }
    return [...byType].sort((x, y) => y[1].run + y[1].wait - (x[1].run + x[1].wait))
      .map(([t, b]) => `${t} x${b.n} wait ${(b.wait / b.n).toFixed(0)} run ${(b.run / b.n).toFixed(0)} ms`).join('; ');
  } finally {
    await conn.close();
  }
}

/** Mean wall time of one simulated host command (a Node process start), as the agent runs it. */
async function hostCommandMs(c: TestCluster, runs = 10): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await c.host('node1', 'drbdsetup', ['status', '--json']);
  return Number(process.hrtime.bigint() - t0) / 1e6 / runs;
}

async function main(): Promise<void> {
  const count = Number(arg('count', '200'));
  const sizeMiB = Number(arg('size', '64'));
  const dataMiB = Number(arg('data', String(sizeMiB)));
  const rate = arg('rate', '16M');
  const p = Number(arg('max-concurrent', '4'));
  const overheadCount = Number(arg('overhead-count', String(count)));
  const phase = arg('phase', 'both');
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  const started = new Date().toISOString();

  const bc = await startBenchCluster({ nodes: ['node1', 'node2', 'node3', 'node4'] });
  const temporal = bc.temporal;
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    process.stderr.write(`${l}\n`);
  };
  /** CPU seconds each kind of process used while `fn` ran, per resource moved. */
  const cpuDuring = async <T>(n: number, fn: () => Promise<T>): Promise<{ result: T; line: string }> => {
    const a = bc.cpu();
    const result = await fn();
    const b = bc.cpu();
    const parts = (['temporal', 'controller', 'agents', 'toolServers'] as const).map((k) => ({ k, s: b[k] - a[k] }));
    const total = parts.reduce((x, p) => x + p.s, 0);
    return { result, line: `CPU seconds during the evacuation: ${parts.map((p) => `${p.k} ${p.s.toFixed(1)}`).join(', ')}; total ${total.toFixed(1)} = ${((total * 1000) / n).toFixed(0)} ms per resource` };
  };
  try {
    const c = bc.cluster;
    for (const n of ['node1', 'node2', 'node3', 'node4']) await (await c.client.storagePools.createLvmThin({ node: n, name: 'pool1', vg: 'vg', thinPool: 'thinpool' })).result();
    const cmdMs = await hostCommandMs(c);
    say(`one simulated host command (drbdsetup status --json, a Node process): ${cmdMs.toFixed(0)} ms`);

    if (phase === 'both' || phase === 'rated') {
      const names = Array.from({ length: count }, (_, i) => `ev${String(i).padStart(4, '0')}`);
      const t0 = Date.now();
      await createResources(c, names, ['node1', 'node2'], sizeMiB, dataMiB);
      say(`set-up: ${count} resources of ${sizeMiB} MiB with ${dataMiB} MiB of data on node1+node2 in ${((Date.now() - t0) / 1000).toFixed(0)} s (not timed)`);
      await (await c.client.evacuation.setProperties({ changes: { 'DrbdOptions/PeerDevice/c-max-rate': rate } })).result();
      const { result: r, line: cpuLine } = await cpuDuring(count, () => evacuate(c, 'node2', p));
      say(cpuLine);
      if (r.moved !== count) throw new Error(`moved ${r.moved} of ${count}`);
      const idealMs = (Math.ceil(count / p) * dataMiB * MiB * 1000) / rateBytes(rate);
      const ratio = r.ms / idealMs;
      const overheadMs = ((r.ms - idealMs) * p) / count;
      say(`activities of evacuate/node2 (mean per call): ${await breakdown(temporal.address, c.env.namespace, 'evacuate/node2')}`);
      say(`rated: evacuate node2, ${count} x ${dataMiB} MiB at ${rate}/s per resync, max-concurrent ${p}: ${(r.ms / 1000).toFixed(1)} s; ideal ceil(${count}/${p}) x ${dataMiB} MiB / ${rate}/s = ${(idealMs / 1000).toFixed(1)} s; ratio ${ratio.toFixed(2)} (goal <= 1.2); time above ideal per resource ${((r.ms - idealMs) / count).toFixed(0)} ms, per resource and slot ${overheadMs.toFixed(0)} ms`);
      await (await c.client.evacuation.setProperties({ changes: { 'DrbdOptions/PeerDevice/c-max-rate': null } })).result();
      await (await c.client.evacuation.restore('node2')).result();
      // out of the way of the next phase (not timed)
      await pool(names, 6, async (name) => {
        await (await c.client.resourceDefinitions.delete(name)).result();
      });
    }
    if (phase === 'both' || phase === 'overhead') {
      const names = Array.from({ length: overheadCount }, (_, i) => `ov${String(i).padStart(4, '0')}`);
      const t0 = Date.now();
      await createResources(c, names, ['node1', 'node3'], 4, 0);
      say(`set-up: ${overheadCount} resources of 4 MiB, no data, on node1+node3 in ${((Date.now() - t0) / 1000).toFixed(0)} s (not timed)`);
      const { result: r, line: cpuLine } = await cpuDuring(overheadCount, () => evacuate(c, 'node3', p));
      say(cpuLine);
      if (r.moved !== overheadCount) throw new Error(`moved ${r.moved} of ${overheadCount}`);
      const perRsc = (r.ms * p) / overheadCount;
      say(`activities of evacuate/node3 (mean per call): ${await breakdown(temporal.address, c.env.namespace, 'evacuate/node3')}`);
      say(`overhead: evacuate node3, ${overheadCount} resources, nothing to resync, max-concurrent ${p}: ${(r.ms / 1000).toFixed(1)} s = ${(r.ms / overheadCount).toFixed(0)} ms of wall time per resource, ${perRsc.toFixed(0)} ms per resource in its slot (goal < 200 ms)`);
    }
  } finally {
    await bc.stop().catch(() => undefined);
  }
  process.stdout.write(`date ${started}; load average at start ${load}; ${process.argv.slice(2).join(' ') || '(defaults)'}\n${lines.map((l) => `- ${l}`).join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
