// Records workflow histories made by a given ferry build, as fixtures for the replay test
// (test/integration/workflow-replay.test.ts): run it from this tree against an older build to
// check that today's workflows still replay what that build's workflows recorded.
//
//   git worktree add --detach /tmp/old <commit> && (cd /tmp/old && ln -s "$PWD/node_modules" . && npm run build)
//   npm run build && node dist/scripts/capture-histories.js /tmp/old test/fixtures/histories
//
// It starts the old build's simulated 4-node cluster (its controller and agents run its workflows),
// runs r create --auto-place 2, r create on two nodes, a snapshot, an evacuation of node2 and an
// r delete, and writes each completed workflow of the changed types as a binary History (.pb).
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import protoPkg from '@temporalio/proto';
import type { BenchCluster } from '../bench/cluster.js';

const { temporal } = protoPkg;
const [base, out] = process.argv.slice(2);
if (!base || !out) throw new Error('usage: capture-histories OLD_BUILD_DIR OUT_DIR');
const types = new Set(['createResource', 'evacuateNode', 'deleteResource']);

const { startBenchCluster } = (await import(resolve(base, 'dist', 'bench', 'cluster.js'))) as { startBenchCluster: (o: { nodes: string[] }) => Promise<BenchCluster> };
const bc = await startBenchCluster({ nodes: ['node1', 'node2', 'node3', 'node4'] });
const c = bc.cluster.client;
try {
  for (const n of ['node1', 'node2', 'node3', 'node4']) await (await c.storagePools.createLvmThin({ node: n, name: 'pool1', vg: 'vg', thinPool: 'thinpool' })).result();
  for (const r of ['rp0', 'rp1']) {
    await (await c.resourceDefinitions.create({ name: r })).result();
    await (await c.volumeDefinitions.create({ resource: r, sizeBytes: 4 * 2 ** 20 })).result();
  }
  await (await c.resources.autoPlace({ resource: 'rp0', placeCount: 2, storagePool: 'pool1' })).result();
  await (await c.resources.create({ resource: 'rp1', nodes: ['node1', 'node2'], storagePool: 'pool1' })).result();
  await (await c.snapshots.create({ resource: 'rp1', snapshot: 's1' })).result();
  const evacuation = await c.evacuation.evacuate({ nodes: ['node2'], maxConcurrent: 2 });
  await Promise.all(evacuation.operations.map((op) => op.result()));
  const placed = await c.resources.list({ resources: ['rp1'] });
  await (await c.resources.delete({ resource: 'rp1', node: placed[0]!.node_name })).result();
  const conn = await Connection.connect({ address: bc.temporal.address });
  const client = new Client({ connection: conn, namespace: bc.cluster.env.namespace });
  for await (const w of client.workflow.list()) {
    if (!types.has(w.type) || w.status.name !== 'COMPLETED') continue;
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const file = join(out, `${w.type}-${w.workflowId.replace(/[^A-Za-z0-9_-]+/g, '_')}.pb`);
    writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    process.stdout.write(`${file}\n`);
  }
  await conn.close();
} finally {
  await bc.stop();
}
