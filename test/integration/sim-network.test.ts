// A simulated host cut off the network (`ferry-sim net cut`): its DRBD links drop, and its agent's
// own links to Temporal and to the controller (the agent runs behind the node's net proxy) are
// refused, so the node turns OFFLINE; `ferry-sim net heal` brings both back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readAgentPid } from '../../sim/launcher.js';
import { agentMetricsUrl, metricValue, scrapeMetrics } from '../harness/checks.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const nodes = ['node1', 'node2', 'node3'];
const OFFLINE_AFTER_MS = 3000;
let cluster: TestCluster;

async function states(): Promise<Record<string, string>> {
  return Object.fromEntries((await cluster.client.nodes.list()).map((n) => [n.name, n.connection_status]));
}

/** drbdsetup status on `node`: connection state per peer for resource `res`. */
async function drbdConnections(node: string, res: string): Promise<Record<string, string>> {
  const r = await cluster.host(node, 'drbdsetup', ['status', res, '--json']);
  if (r.exitCode !== 0) throw new Error(`drbdsetup status on ${node}: ${String(r.stderr)}`);
  const [st] = JSON.parse(String(r.stdout)) as { connections: { name: string; 'connection-state': string }[] }[];
  return Object.fromEntries(st!.connections.map((c) => [c.name, c['connection-state']]));
}

/** ferry_drbd_out_of_sync_bytes of web0's volume 0 towards `peer`, scraped from `node`'s agent. */
async function outOfSync(node: string, peer: string): Promise<number> {
  const text = await scrapeMetrics(agentMetricsUrl(cluster, node));
  const v = metricValue(text, 'ferry_drbd_out_of_sync_bytes', { resource: 'web0', volume: '0', peer });
  if (v === undefined) throw new Error(`no ferry_drbd_out_of_sync_bytes for web0/0 -> ${peer} on ${node}`);
  return v;
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: OFFLINE_AFTER_MS });
  await cluster.eventually('all nodes are ONLINE', async () => Object.values(await states()).every((s) => s === 'ONLINE'), 60_000);
  for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
  expect((await cluster.ferry(['rd', 'c', 'web0'])).exitCode).toBe(0);
  expect((await cluster.ferry(['vd', 'c', 'web0', '16M'])).exitCode).toBe(0);
  const rc = await cluster.ferry(['r', 'c', 'web0', '--auto-place', '3']);
  expect({ code: rc.exitCode, err: rc.stderr }).toEqual({ code: 0, err: '' });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('a node cut off the network', () => {
  it('turns OFFLINE within the offline window while its agent keeps running, and its DRBD peers see it disconnected', async () => {
    expect(await drbdConnections('node1', 'web0')).toEqual({ node2: 'Connected', node3: 'Connected' });
    const agentBefore = readAgentPid(cluster.env.simRoot, 'node3');
    expect(agentBefore).not.toBeNull();

    const cut = await cluster.sim(['net', 'cut', 'node3']);
    expect({ code: cut.exitCode, out: cut.stdout }).toEqual({ code: 0, out: 'node node3 is cut off' });
    const t0 = Date.now();
    await cluster.eventually('node3 is OFFLINE', async () => (await states()).node3 === 'OFFLINE', OFFLINE_AFTER_MS + 5000);
    // no later than the offline window plus a heartbeat and the controller's sweep
    expect(Date.now() - t0).toBeLessThan(OFFLINE_AFTER_MS + 5000);
    const s = await states();
    expect([s.node1, s.node2]).toEqual(['ONLINE', 'ONLINE']);
    expect((await cluster.ferry(['node', 'list'])).stdout).toMatch(/┊ node3\s+┊ SATELLITE ┊ [^┊]+┊ OFFLINE\s+┊/);

    for (const peer of ['node1', 'node2']) expect((await drbdConnections(peer, 'web0')).node3).toBe('Connecting');
    expect(await drbdConnections('node3', 'web0')).toEqual({ node1: 'Connecting', node2: 'Connecting' });
    // the agent did not die: it is only unreachable (a crashed agent is another story, nodes.test.ts)
    expect(readAgentPid(cluster.env.simRoot, 'node3')?.pid).toBe(agentBefore!.pid);
    // it stays OFFLINE while cut, well past the window
    await new Promise((r) => setTimeout(r, OFFLINE_AFTER_MS));
    expect((await states()).node3).toBe('OFFLINE');
  });

  it('leaves what node1 writes meanwhile out of sync with node3 only, as node1\'s agent metrics show', async () => {
    const w = await cluster.sim(['io', 'write', '--node', 'node1', '--resource', 'web0', '--pattern', '5', '--length', '1M']);
    expect(w.exitCode).toBe(0);
    expect(await outOfSync('node1', 'node3')).toBeGreaterThanOrEqual(1024 * 1024);
    expect(await outOfSync('node1', 'node2')).toBe(0);
  });

  it('cannot run work from its task queue while cut: a storage pool on node3 waits until the heal', async () => {
    // the controller's workflow needs `lvs` on node3, run by node3's agent from its own task queue
    const op = await cluster.client.storagePools.createLvmThin({ node: 'node3', name: 'pool2', vg: 'vg', thinPool: 'thinpool' });
    await new Promise((r) => setTimeout(r, 4000));
    expect((await cluster.client.storagePools.list({ nodes: ['node3'] })).map((p) => p.storage_pool_name)).not.toContain('pool2');

    const heal = await cluster.sim(['net', 'heal', 'node3']);
    expect(heal.exitCode).toBe(0);
    await op.result();
    expect((await cluster.client.storagePools.list({ nodes: ['node3'] })).map((p) => p.storage_pool_name)).toContain('pool2');
  });

  it('is ONLINE again after `ferry-sim net heal`, and DRBD reconnects', async () => {
    await cluster.eventually('node3 is ONLINE again', async () => (await states()).node3 === 'ONLINE', 30_000);
    await cluster.eventually('node1 and node3 are Connected again', async () => (await drbdConnections('node1', 'web0')).node3 === 'Connected');
    expect(await drbdConnections('node3', 'web0')).toEqual({ node1: 'Connected', node2: 'Connected' });
    // node3 resynced what it missed
    await cluster.eventually('node1 has nothing left to resync to node3', async () => (await outOfSync('node1', 'node3')) === 0, 60_000);
  });
});
