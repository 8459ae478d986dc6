// Autoplacer latency: p50/p99 of placeReplicas() for 3 replicas in a catalog of 1,000 nodes and
// 10,000 resource definitions with 3 replicas each (30,000 placed resources). Goal: p99 < 5 ms.
//
//   npx tsc -p tsconfig.json && node dist/bench/autoplacer.js [--iterations N]
//
// Prints a markdown block for bench/RESULTS.md. The catalog is generated from a fixed seed, so
// runs are comparable.
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import {
  placeReplicas,
  prepareCluster,
  type PlacedResource,
  type PlacementCluster,
  type PlacementNode,
  type PlacementRequest,
  type PlacementStoragePool,
} from '../core/autoplacer.js';

const GiB = 2 ** 30;
const NODES = 1000;
const RESOURCES = 10_000;
const REPLICAS = 3;

/** mulberry32: small deterministic PRNG */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildCatalog(): PlacementCluster {
  const rand = rng(42);
  const nodes: PlacementNode[] = [];
  const storagePools: PlacementStoragePool[] = [];
  for (let i = 0; i < NODES; i++) {
    const name = `node${String(i).padStart(4, '0')}`;
    const offline = rand() < 0.02;
    const evacuating = !offline && rand() < 0.01;
    nodes.push({
      name,
      online: !offline,
      flags: evacuating ? ['EVACUATE'] : [],
      props: { 'Aux/rack': `rack${i % 40}`, 'Aux/zone': `zone${i % 4}` },
    });
    storagePools.push({
      node: name,
      name: 'pool1',
      provider: 'LVM_THIN',
      totalBytes: 4096 * GiB,
      freeBytes: Math.floor((200 + rand() * 3800) * GiB),
    });
    if (i % 5 === 0) {
      storagePools.push({ node: name, name: 'pool_ssd', provider: 'LVM_THIN', totalBytes: 1024 * GiB, freeBytes: Math.floor(rand() * 1024 * GiB) });
    }
    storagePools.push({ node: name, name: 'DfltDisklessStorPool', provider: 'DISKLESS' });
  }
  const resources: PlacedResource[] = [];
  for (let r = 0; r < RESOURCES; r++) {
    const rsc = r % 3 === 0 ? `web-${r}` : `db${r}`;
    const used = new Set<number>();
    while (used.size < REPLICAS) used.add(Math.floor(rand() * NODES));
    for (const n of used) {
      resources.push({
        resource: rsc,
        node: nodes[n]!.name,
        storagePool: 'pool1',
        sizeBytes: Math.floor((1 + rand() * 99) * GiB),
      });
    }
  }
  return { nodes, storagePools, resources, controllerProps: { 'Autoplacer/Weights/MinRscCount': '0.5' } };
}

interface Scenario {
  name: string;
  request: PlacementRequest;
}

const scenarios: Scenario[] = [
  { name: 'place 3', request: { resource: 'new0', sizeBytes: 100 * GiB, placeCount: 3 } },
  {
    name: 'place 3, replicas-on-different rack',
    request: { resource: 'new0', sizeBytes: 100 * GiB, placeCount: 3, replicasOnDifferent: ['rack'] },
  },
  {
    name: 'place 3, replicas-on-same zone + do-not-place-with-regex ^web-1[0-9]$',
    request: { resource: 'new0', sizeBytes: 100 * GiB, placeCount: 3, replicasOnSame: ['zone'], doNotPlaceWithRegex: '^web-1[0-9]$' },
  },
  { name: '+1 to db1 (3 replicas exist)', request: { resource: 'db1', sizeBytes: 50 * GiB, additional: 1, replicasOnDifferent: ['rack'] } },
];

function percentile(sorted: number[], p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

interface Figures {
  p50: number;
  p99: number;
  /** the same from the process CPU time (user + system), which leaves out time spent waiting for a CPU on a loaded host */
  cpuP50: number;
  cpuP99: number;
}

function measure(iterations: number, fn: () => unknown): Figures {
  for (let i = 0; i < Math.min(200, iterations); i++) fn();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), cpuP50: percentile(cpu, 50), cpuP99: percentile(cpu, 99) };
}

function main(): void {
  const itArg = process.argv.indexOf('--iterations');
  const iterations = itArg > 0 ? Number(process.argv[itArg + 1]) : 2000;
  const catalog = buildCatalog();
  const t0 = performance.now();
  const prepared = prepareCluster(catalog);
  const prepareMs = performance.now() - t0;
  const rows: string[] = [];
  for (const s of scenarios) {
    const sample = placeReplicas(s.request, prepared);
    const prep = measure(iterations, () => placeReplicas(s.request, prepared));
    const raw = measure(Math.max(50, Math.floor(iterations / 10)), () => placeReplicas(s.request, catalog));
    const f = (n: number): string => n.toFixed(2);
    rows.push(
      `| ${s.name} | ${f(prep.p50)} | ${f(prep.p99)} | ${f(prep.cpuP50)} | ${f(prep.cpuP99)} | ${f(raw.p50)} | ${f(raw.p99)} | ${sample.diskful.map((d) => d.node).join(', ')} |`,
    );
  }
  const out = [
    `### autoplacer: ${NODES} nodes, ${RESOURCES} resource definitions x ${REPLICAS} replicas (${catalog.resources.length} placed resources), ${catalog.storagePools.length} storage pools`,
    '',
    `Command: \`npx tsc -p tsconfig.json && node dist/bench/autoplacer.js --iterations ${iterations}\``,
    `Date: ${new Date().toISOString()}; node ${process.version}; ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}; goal p99 < 5 ms`,
    `Load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (other work shares the host; CPU columns leave out waiting for a CPU)`,
    `p50/p99/CPU columns: placeReplicas on a prepareCluster() snapshot (indexes built once: ${prepareMs.toFixed(1)} ms); unprepared: the raw catalog each call, indexes included`,
    '',
    '| scenario | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms | unprepared p50 ms | unprepared p99 ms | chosen |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(out + '\n');
}

main();
