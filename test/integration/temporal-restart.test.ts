// The Temporal server itself is stopped in the middle of `r create` (while node2's `drbdadm adjust`
// is slow) and started again on the same port and database: the controller and the agents
// reconnect by themselves and the workflow finishes as if nothing had happened, with one LV per
// node and the data replicated. This file runs its own Temporal server (the run's shared one
// serves the other test files).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startTemporal, type TemporalService } from '../../scripts/stack.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { lvNames } from '../harness/checks.js';

const nodes = ['node1', 'node2', 'node3'];
let cluster: TestCluster;
let temporal: TemporalService;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(process.env.FERRY_TEST_RUN_DIR!, 'own-temporal-'));
  temporal = await startTemporal({ dataDir, headless: true });
  cluster = await startTestCluster({ nodes, offlineAfterMs: 30_000, temporalAddress: temporal.address });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await temporal?.stop();
});

describe('the Temporal server restarted in the middle of `r create`', () => {
  it('is reconnected to by controller and agents, and the resource is completed once', async () => {
    expect((await cluster.ferry(['rd', 'c', 'tr0'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'tr0', '32M'])).exitCode).toBe(0);
    expect((await cluster.sim(['fault', 'add', 'node2', 'drbdadm', 'adjust', '--delay-ms', '4000', '--times', '1'])).exitCode).toBe(0);
    const op = await cluster.client.resources.autoPlace({ resource: 'tr0', placeCount: 3, storagePool: 'pool1' });
    await cluster.eventually('the workflow is configuring the hosts', async () => ((await op.progress()) as { phase?: string } | null)?.phase === 'configuring hosts', 60_000);

    const port = Number(temporal.address.split(':').pop());
    await temporal.stop();
    await new Promise((r) => setTimeout(r, 2000));
    temporal = await startTemporal({ dataDir, port, headless: true });

    await cluster.eventually('the create finished', async () => (await op.describe()).status === 'COMPLETED', 120_000);
    const res = (await op.result()) as { nodes: string[] };
    expect([...res.nodes].sort()).toEqual(nodes);
    for (const n of nodes) expect(await lvNames(cluster, n)).toEqual(['tr0_00000']);
    const rs = await cluster.client.resources.list({ resources: ['tr0'] });
    expect(rs.map((r) => [r.node_name, r.volumes[0]!.state.disk_state]).sort()).toEqual(nodes.map((n) => [n, 'UpToDate']));
    expect((await cluster.sim(['io', 'write', '--node', 'node1', '--resource', 'tr0', '--pattern', '9', '--length', '1M'])).exitCode).toBe(0);
    expect((await cluster.sim(['io', 'verify', '--node', 'node3', '--resource', 'tr0', '--pattern', '9', '--length', '1M'])).exitCode).toBe(0);
    // and the cluster keeps working after it: another resource, end to end
    expect((await cluster.ferry(['rd', 'c', 'tr1'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'tr1', '16M'])).exitCode).toBe(0);
    const again = await cluster.ferry(['r', 'c', 'tr1', '--auto-place', '2']);
    expect({ code: again.exitCode, err: again.stderr }).toEqual({ code: 0, err: '' });
  }, 240_000);
});
