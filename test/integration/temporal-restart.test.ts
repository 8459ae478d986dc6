// The Temporal server itself is stopped in the middle of `r create` (while node2's `drbdadm adjust`
// is slow) and started again on the same port and database: the controller and the agents
// reconnect by themselves and the workflow finishes as if nothing had happened, with one LV per
// node and the data replicated. An agent and a controller started while it is down wait for it.
// This file runs its own Temporal server (the run's shared one
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

  it('is waited for by an agent and a controller that start while it is down', async () => {
    const port = Number(temporal.address.split(':').pop());
    await temporal.stop();
    // node3's agent crashes and comes back, the controller restarts: both while Temporal is away
    await cluster.stopAgent('node3', 'SIGKILL');
    const agent = cluster.startAgent('node3');
    const controllerBack = cluster.restartController();
    await new Promise((r) => setTimeout(r, 4000));
    const agentExit = await Promise.race([agent.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 1000))]);
    expect(agentExit).toBe('running');
    temporal = await startTemporal({ dataDir, port, headless: true });
    await controllerBack;

    await cluster.eventually('all nodes are ONLINE again', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 90_000);
    expect((await cluster.ferry(['rd', 'c', 'tr2'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'tr2', '16M'])).exitCode).toBe(0);
    const created = await cluster.ferry(['r', 'c', 'tr2', '--auto-place', '3']);
    expect({ code: created.exitCode, err: created.stderr }).toEqual({ code: 0, err: '' });
    for (const n of nodes) expect(await lvNames(cluster, n)).toContain('tr2_00000');
  }, 240_000);
});
