// The operator's story of nodes that go away: node3's network is cut, auto-evict evicts it and
// re-places what needs re-placing; the network comes back and `ferry node restore node3` lets it
// in again and removes from its host the resources that were moved away (no orphaned LVs), the
// data intact on the replicas that carry it now. Then node4 dies for good: `ferry node lost`
// refuses an unknown, malformed or still online node, and forgets node4 with its replicas while
// the replicas elsewhere keep their data, cancelling the evacuation of node4 that was running.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { lvNames, ok, placement as clusterPlacement, verifyEverywhere as checkEverywhere } from '../harness/checks.js';

// auto-evict looks every second; one "minute" of AutoEvictAfterTime lasts 1 s
process.env.FERRY_AUTO_EVICT_CHECK_MS = '1000';
process.env.FERRY_AUTO_EVICT_MINUTE_MS = '1000';

const nodes = ['node1', 'node2', 'node3', 'node4'];
let cluster: TestCluster;
const placement = () => clusterPlacement(cluster);
const lvsOn = (node: string) => lvNames(cluster, node);
const verifyEverywhere = (resource: string, pattern: string, length: string) => checkEverywhere(cluster, resource, pattern, length);

const flagsOf = async (n: string) => (await cluster.client.nodes.get(n)).flags;
const statusOf = async (n: string) => (await cluster.client.nodes.get(n)).connection_status;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 3000 });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 120_000);
  for (const n of nodes) ok(await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']));
  // r0 has three replicas (one more than the default group's place count of 2), r1 two, r2 is on node4
  for (const [rsc, on] of [['r0', 'node1 node2 node3'], ['r1', 'node2 node3'], ['r2', 'node1 node4']] as const) {
    ok(await cluster.ferry(['rd', 'c', rsc]));
    ok(await cluster.ferry(['vd', 'c', rsc, '8M']));
    ok(await cluster.ferry(['r', 'c', ...on.split(' '), rsc, '--storage-pool', 'pool1']));
  }
  for (const [rsc, seed, on] of [['r0', '30', 'node1'], ['r1', '31', 'node2'], ['r2', '32', 'node1']] as const) {
    const w = await cluster.sim(['io', 'write', '--node', on, '--resource', rsc, '--pattern', seed, '--length', '2M']);
    expect({ code: w.exitCode, err: w.stderr }).toEqual({ code: 0, err: '' });
  }
  // node4 will die for good later: auto-evict must leave it to the operator's `node lost`
  ok(await cluster.ferry(['node', 'set-property', 'node4', 'DrbdOptions/AutoEvictAllowEviction', 'false']));
}, 400_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('an evicted node restored', () => {
  it('is cleaned of the resources moved away while it was cut off, the data staying intact elsewhere', async () => {
    ok(await cluster.ferry(['controller', 'set-property', 'DrbdOptions/AutoEvictAfterTime', '3']));
    ok(await cluster.sim(['net', 'cut', 'node3']));
    await cluster.eventually('node3 is EVICTED', async () => (await flagsOf('node3')).includes('EVICTED'), 60_000);
    const evict = cluster.client.operation<{ moved: { resource: string; target: string }[]; dropped: string[] }>('evict/node3');
    const res = await evict.result();
    // r0 keeps two replicas without node3 (the place count): node3's replica is only dropped;
    // r1 would keep one: it gets a new replica from the survivor
    expect(res.dropped).toEqual(['r0']);
    expect(res.moved.map((m) => m.resource)).toEqual(['r1']);
    const after = await placement();
    expect(after.r0).toEqual(['node1', 'node2']);
    expect(after.r1).toHaveLength(2);
    expect(after.r1).not.toContain('node3');
    // the cut-off host still has its old LVs: nobody could ask it to remove them
    expect(await lvsOn('node3')).toEqual(['r0_00000', 'r1_00000']);

    // an evicted node cannot be deleted (the guide): restored, or declared lost
    const del = await cluster.ferry(['node', 'delete', 'node3']);
    expect(del.exitCode).not.toBe(0);
    expect(del.stderr).toMatch(/node 'node3' is EVICTED and cannot be deleted: ferry node restore node3 \(once it is ONLINE\) or ferry node lost node3/);
    // restore is refused while node3 cannot be reached, and changes nothing
    const early = await cluster.ferry(['node', 'restore', 'node3']);
    expect(early.exitCode).not.toBe(0);
    expect(early.stderr).toMatch(/node 'node3' is EVICTED and not ONLINE: start its agent \(or heal its network\) first/);
    expect(await flagsOf('node3')).toEqual(['EVICTED']);

    ok(await cluster.sim(['net', 'heal', 'node3']));
    await cluster.eventually('node3 reports again', async () => (await statusOf('node3')) === 'ONLINE', 60_000);
    expect(await flagsOf('node3')).toEqual(['EVICTED']);
    const r = await cluster.ferry(['node', 'restore', 'node3']);
    ok(r);
    expect(r.stdout).toMatch(/SUCCESS: Node 'node3' restored .*Removed from its host what was moved away while it was evicted: r0, r1 \(2 LVs\)/);
    expect(await flagsOf('node3')).toEqual([]);
    expect(await lvsOn('node3')).toEqual([]);
    // what moved stays moved, with its data
    expect(await placement()).toEqual(after);
    await verifyEverywhere('r0', '30', '2M');
    await verifyEverywhere('r1', '31', '2M');
    ok(await cluster.ferry(['controller', 'set-property', 'DrbdOptions/AutoEvictAfterTime', '600']));
  });
});

describe('ferry node lost', () => {
  it('refuses an unknown node, a malformed name and a node that is still online, changing nothing', async () => {
    const before = await placement();
    const unknown = await cluster.ferry(['node', 'lost', 'node9']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/node 'node9' not found/);
    const bad = await cluster.ferry(['node', 'lost', 'bad name']);
    expect(bad.exitCode).toBe(2);
    const online = await cluster.ferry(['node', 'lost', 'node1']);
    expect(online.exitCode).not.toBe(0);
    expect(online.stderr).toMatch(/node 'node1' is still online; 'node lost' is for a node that is gone for good\. Use ferry node evacuate node1 and then ferry node delete node1/);
    expect(await placement()).toEqual(before);
    expect((await cluster.client.nodes.list()).map((n) => n.name).sort()).toEqual(nodes);
  });

  it('forgets a dead node with its replicas, stopping its running evacuation first; the replicas elsewhere keep their data and lose their peer', async () => {
    const before = await placement();
    expect(before.r2).toEqual(['node1', 'node4']);
    // an evacuation of node4 is running, blocked: no other node may take any of its resources (with
    // node1 a target, a resource of node4 elsewhere, e.g. r1 on node2+node4 after an earlier re-placement
    // under load, would move there before the cancel, and rightly stay moved)
    for (const n of ['node1', 'node2', 'node3']) ok(await cluster.ferry(['node', 'set-property', n, 'AutoplaceTarget', 'false']));
    const evacuation = (await cluster.client.evacuation.evacuate({ nodes: ['node4'] })).operations[0]!;
    expect(evacuation.workflowId).toBe('evacuate/node4');
    await cluster.eventually('the evacuation of node4 is blocked', async () => ((await evacuation.progress()) as { phase?: string } | null)?.phase?.startsWith('blocked') ?? false, 60_000);
    await cluster.stopAgent('node4', 'SIGKILL');
    await cluster.eventually('node4 is OFFLINE', async () => (await statusOf('node4')) === 'OFFLINE', 30_000);
    const r = await cluster.ferry(['node', 'lost', 'node4']);
    ok(r);
    expect(r.stdout).toMatch(/SUCCESS/);
    // node lost cancelled the evacuation and waited for it to end
    expect((await evacuation.describe()).status).toBe('CANCELLED');
    for (const n of ['node1', 'node2', 'node3']) ok(await cluster.ferry(['node', 'set-property', n, 'AutoplaceTarget']));
    expect((await cluster.client.nodes.list()).map((n) => n.name).sort()).toEqual(['node1', 'node2', 'node3']);
    const after = await placement();
    for (const rsc of Object.keys(before)) expect({ rsc, nodes: after[rsc] }).toEqual({ rsc, nodes: before[rsc]!.filter((n) => n !== 'node4') });
    await verifyEverywhere('r2', '32', '2M');
    // node1's DRBD no longer has node4 as a peer of r2
    const st = await cluster.host('node1', 'drbdsetup', ['status', '--json', 'r2']);
    expect(st.exitCode).toBe(0);
    const peers = (JSON.parse(String(st.stdout)) as { connections: { name: string }[] }[])[0]!.connections.map((c) => c.name);
    expect(peers).not.toContain('node4');
    // and the pools went with the node
    const sp = await cluster.ferry(['sp', 'l', '-m']);
    expect(String(sp.stdout)).not.toMatch(/node4/);
  });
});
