// The operator's story of taking nodes out of a 4-node cluster: `ferry node evacuate` (dry run,
// refusals, issued twice at once, a target agent and the controller killed mid-evacuation, a
// resource with no place to go that continues once a node is added), `node restore`,
// `resource toggle-disk --migrate-from`, and auto-evict of a node whose agent is gone. Data
// written through DRBD before the moves is verified on every replica after them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { FERRY_BIN } from '../../sim/launcher.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { lvNames, ok, placement as clusterPlacement, replayOf, verifyEverywhere as checkEverywhere } from '../harness/checks.js';

// resyncs of new replicas slow enough to be caught mid-way (the sim's rate for every process of
// this test file), auto-evict looking every second and a "minute" of AutoEvictAfterTime of 1 s
process.env.FERRY_SIM_DRBD_RATE = '4M';
process.env.FERRY_AUTO_EVICT_CHECK_MS = '1000';
process.env.FERRY_AUTO_EVICT_MINUTE_MS = '1000';

const nodes = ['node1', 'node2', 'node3', 'node4'];
let cluster: TestCluster;
const placement = () => clusterPlacement(cluster);
const lvsOn = (node: string) => lvNames(cluster, node);
const verifyEverywhere = (resource: string, pattern: string, length: string) => checkEverywhere(cluster, resource, pattern, length);

async function nodeFlags(node: string): Promise<string[]> {
  return (await cluster.client.nodes.get(node)).flags;
}

/** Every LV on every host belongs to a replica the catalog has there (no orphans, none missing). */
async function noOrphanLvs() {
  const disk = new Map<string, Set<string>>();
  for (const r of await cluster.client.resources.list()) {
    if (!r.flags.includes('DISKLESS')) (disk.get(r.node_name) ?? disk.set(r.node_name, new Set()).get(r.node_name)!).add(`${r.name}_00000`);
  }
  for (const n of (await cluster.client.nodes.list()).map((x) => x.name)) {
    const lvs = await lvsOn(n);
    expect({ n, lvs }).toEqual({ n, lvs: [...(disk.get(n) ?? [])].sort() });
  }
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 3000 });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 120_000);
  for (const n of nodes) ok(await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']));
  // three small resources on node1-3 and a bigger one on node2-3, each with data written through DRBD
  for (const [rsc, size, on] of [['r0', '8M', 'node1 node2 node3'], ['r1', '8M', 'node1 node2 node3'], ['r2', '8M', 'node1 node2 node3'], ['big', '16M', 'node2 node3']] as const) {
    ok(await cluster.ferry(['rd', 'c', rsc]));
    ok(await cluster.ferry(['vd', 'c', rsc, size]));
    ok(await cluster.ferry(['r', 'c', ...on.split(' '), rsc, '--storage-pool', 'pool1']));
  }
  for (const [rsc, len, seed] of [['r0', '1M', '10'], ['r1', '1M', '11'], ['r2', '1M', '12'], ['big', '12M', '13']] as const) {
    const w = await cluster.sim(['io', 'write', '--node', 'node3', '--resource', rsc, '--pattern', seed, '--length', len]);
    expect({ code: w.exitCode, err: w.stderr }).toEqual({ code: 0, err: '' });
  }
}, 400_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('ferry node evacuate', () => {
  it('--dry-run prints the plan and changes nothing', async () => {
    const before = await placement();
    const r = await cluster.ferry(['node', 'evacuate', 'node2', '--dry-run']);
    ok(r);
    expect(r.stdout).toMatch(/DRY RUN: nothing changed/);
    for (const rsc of ['r0', 'r1', 'r2', 'big']) expect(r.stdout).toMatch(new RegExp(`┊ node2\\s+┊ ${rsc}\\s+┊ MOVE\\s+┊ node\\d`));
    expect(await placement()).toEqual(before);
    expect(await nodeFlags('node2')).toEqual([]);
  });

  it('refuses an unknown node, and a node holding the only copy of a resource that cannot go elsewhere, before any change', async () => {
    const unknown = await cluster.ferry(['node', 'evacuate', 'node9']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/node 'node9' not found/);
    expect((await cluster.ferry(['node', 'evacuate', 'bad name'])).exitCode).toBe(2);
    // a single-replica resource in a pool only node1 has
    ok(await cluster.ferry(['sp', 'c', 'lvmthin', 'node1', 'solo', 'vg/thinpool']));
    ok(await cluster.ferry(['rd', 'c', 'solo']));
    ok(await cluster.ferry(['vd', 'c', 'solo', '4M']));
    ok(await cluster.ferry(['r', 'c', 'node1', 'solo', '--storage-pool', 'solo']));
    const before = await placement();
    const r = await cluster.ferry(['node', 'evacuate', 'node1']);
    expect(r.exitCode).toBe(10);
    expect(r.stderr).toMatch(/cannot evacuate node1: resource 'solo' has its only diskful replica on 'node1' and no other node can take it: Not enough available nodes/);
    expect(await placement()).toEqual(before);
    expect(await nodeFlags('node1')).toEqual([]);
    ok(await cluster.ferry(['rd', 'd', 'solo']));
  });

  it('moves every resource off node2 with its replica count and data, issued twice at once, surviving a killed target agent and a killed controller', async () => {
    const before = await placement();
    // issued twice at once: both attach to the one workflow evacuate/node2
    const [a, b] = await Promise.all([cluster.ferry(['node', 'evacuate', 'node2', '--no-wait']), cluster.ferry(['node', 'evacuate', 'node2', '--no-wait'])]);
    ok(a);
    ok(b);
    expect(String(a.stdout).trim()).toBe('evacuate/node2');
    expect(String(b.stdout).trim()).toBe('evacuate/node2');
    const op = cluster.client.operation<{ moved: { resource: string; target: string }[] }>('evacuate/node2');
    // the big resource is resyncing to its new node: kill that node's agent, then the controller
    let target = '';
    await cluster.eventually('big is syncing to its new replica', async () => {
      const p = (await op.progress()) as { moving: { resource: string; target: string; phase: string }[] } | null;
      const m = p?.moving.find((x) => x.resource === 'big' && x.phase.startsWith('syncing'));
      if (m) target = m.target;
      return Boolean(m);
    }, 60_000);
    await cluster.stopAgent(target, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    cluster.startAgent(target);
    await cluster.restartController('SIGKILL');
    // issued again while it runs: still the same workflow
    const again = await cluster.ferry(['node', 'evacuate', 'node2', '--no-wait']);
    ok(again);
    expect(String(again.stdout).trim()).toBe('evacuate/node2');
    const res = await op.result();
    expect(res.moved.map((m) => m.resource).sort()).toEqual(['big', 'r0', 'r1', 'r2']);
    const after = await placement();
    for (const rsc of Object.keys(before)) {
      expect(after[rsc]).not.toContain('node2');
      expect(after[rsc]!.length).toBe(before[rsc]!.length);
    }
    expect(await lvsOn('node2')).toEqual([]);
    await noOrphanLvs();
    await verifyEverywhere('r0', '10', '1M');
    await verifyEverywhere('r1', '11', '1M');
    await verifyEverywhere('r2', '12', '1M');
    await verifyEverywhere('big', '13', '12M');
    expect(await nodeFlags('node2')).toEqual(['EVACUATE']);
    expect((await cluster.client.nodes.get('node2')).props.AutoplaceTarget).toBe('false');
    const list = await cluster.ferry(['node', 'list']);
    expect(list.stdout).toMatch(/┊ node2\s+┊ SATELLITE ┊ [^┊]+┊ Online \(EVACUATE\)\s*┊|┊ node2\s+┊ SATELLITE ┊ [^┊]+┊ Online\s+┊/);
    // four moves side by side, a controller killed among them: the history replays as it ran
    await replayOf(cluster, 'evacuate/node2');
  });

  it('node restore clears EVACUATE; the moved resources stay moved', async () => {
    const before = await placement();
    const r = await cluster.ferry(['node', 'restore', 'node2']);
    ok(r);
    expect(await nodeFlags('node2')).toEqual([]);
    expect((await cluster.client.nodes.get('node2')).props.AutoplaceTarget).toBeUndefined();
    expect(await placement()).toEqual(before);
  });

  it('blocks a resource with no place to go, says why in the progress and the CLI, and continues once a node is added', async () => {
    ok(await cluster.ferry(['rd', 'c', 'wide']));
    ok(await cluster.ferry(['vd', 'c', 'wide', '4M']));
    ok(await cluster.ferry(['r', 'c', 'node1', 'node2', 'node3', 'node4', 'wide', '--storage-pool', 'pool1']));
    const w = await cluster.sim(['io', 'write', '--node', 'node1', '--resource', 'wide', '--pattern', '21', '--length', '1M']);
    expect(w.exitCode).toBe(0);
    // the CLI waits, printing its progress line
    const cli = execa(process.execPath, [FERRY_BIN, 'node', 'evacuate', 'node3'], { reject: false, env: { FERRY_CONTROLLERS: cluster.controllerUrl } });
    let stderr = '';
    cli.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const op = cluster.client.operation('evacuate/node3');
    await cluster.eventually('wide is blocked with a reason', async () => {
      const p = (await op.progress()) as { blocked: { resource: string; reason: string }[] } | null;
      return Boolean(p?.blocked.some((x) => x.resource === 'wide' && /Not enough available nodes.*node3: being evacuated/.test(x.reason)));
    }, 60_000);
    await cluster.eventually('the CLI shows the block', async () => /BLOCKED: wide: Not enough available nodes/.test(stderr), 15_000);
    expect((await placement()).wide).toEqual(['node1', 'node2', 'node3', 'node4']);
    // a fifth node joins
    ok(await cluster.sim(['host', 'init', 'node5', '--vg', 'vg', '--pool', 'thinpool', '--size', '10G']));
    cluster.startAgent('node5');
    ok(await cluster.ferry(['node', 'create', 'node5', '127.0.0.15']));
    await cluster.eventually('node5 is ONLINE', async () => (await cluster.client.nodes.get('node5')).connection_status === 'ONLINE', 30_000);
    ok(await cluster.ferry(['sp', 'c', 'lvmthin', 'node5', 'pool1', 'vg/thinpool']));
    const done = await cli;
    expect({ code: done.exitCode, err: done.stderr }).toEqual({ code: 0, err: expect.stringContaining('evacuate/node3') });
    expect(done.stdout).toMatch(/SUCCESS: node 'node3' evacuated/);
    expect((await placement()).wide).toEqual(['node1', 'node2', 'node4', 'node5']);
    await verifyEverywhere('wide', '21', '1M');
    await noOrphanLvs();
    ok(await cluster.ferry(['node', 'restore', 'node3']));
  });

  it('--max-concurrent 2 never resyncs more than two new replicas at once, a snapshot of a moving resource waits its turn, and every moved replica holds its data', async () => {
    const names = ['lim0', 'lim1', 'lim2', 'lim3', 'lim4'];
    for (const [i, rsc] of names.entries()) {
      ok(await cluster.ferry(['rd', 'c', rsc]));
      ok(await cluster.ferry(['vd', 'c', rsc, '4M']));
      ok(await cluster.ferry(['r', 'c', 'node4', 'node5', rsc, '--storage-pool', 'pool1']));
      ok(await cluster.sim(['io', 'write', '--node', 'node4', '--resource', rsc, '--pattern', String(30 + i), '--length', '2M']));
    }
    const lim0Before = (await placement()).lim0!;
    const r = await cluster.ferry(['node', 'evacuate', 'node5', '--max-concurrent', '2', '--no-wait']);
    ok(r);
    const op = cluster.client.operation('evacuate/node5');
    // lim0 moves first: a snapshot asked for now meets the move's resource lock and is taken on the
    // moved replicas, or takes the lock first (the move waits) and is taken on the replicas lim0 had
    // then (node4, node5), where it stays, as LINSTOR keeps snapshots where they were taken; either
    // way both finish, and the snapshot is on one whole set of replicas, never a mix of the two
    const snap = cluster.client.snapshots.create({ resource: 'lim0', snapshot: 'during' }).then((o) => o.result());
    // the moves the workflow reports as making or syncing a new replica, sampled until it ends
    let most = 0;
    let samples = 0;
    for (;;) {
      const d = await op.describe();
      const p = d.progress as { moving?: { resource: string; phase: string }[] } | null;
      if (p?.moving) {
        samples += 1;
        most = Math.max(most, p.moving.filter((m) => m.phase.startsWith('creating') || m.phase.startsWith('syncing')).length);
      }
      if (d.status !== 'RUNNING') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await op.result();
    await snap;
    expect(samples).toBeGreaterThan(3);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(2);
    const after = await placement();
    for (const [i, rsc] of names.entries()) {
      expect(after[rsc]).not.toContain('node5');
      expect(after[rsc]!.length).toBe(2);
      await verifyEverywhere(rsc, String(30 + i), '2M');
    }
    const snapNodes = (await cluster.client.snapshots.get('lim0', 'during')).nodes.sort();
    expect([[...lim0Before].sort(), [...after.lim0!].sort()]).toContainEqual(snapNodes);
    ok(await cluster.ferry(['s', 'd', 'lim0', 'during']));
    // moves side by side replay as they ran (a restarted controller replays them; local activities
    // resolved across moves once replayed in another order: a nondeterminism error)
    await replayOf(cluster, 'evacuate/node5');
    await noOrphanLvs();
    ok(await cluster.ferry(['node', 'restore', 'node5']));
  });
});

describe('ferry resource toggle-disk', () => {
  it('--migrate-from moves a disk to a diskless replica with its data, then removes the source', async () => {
    const from = (await placement()).r1![0]!;
    const p = await placement();
    const dest = ['node1', 'node2', 'node3', 'node4', 'node5'].find((n) => !p.r1!.includes(n))!;
    ok(await cluster.ferry(['r', 'c', dest, 'r1', '--diskless']));
    const r = await cluster.ferry(['r', 'td', dest, 'r1', '--storage-pool', 'pool1', '--migrate-from', from]);
    ok(r);
    expect(r.stdout).toMatch(/SUCCESS: /);
    const after = await placement();
    expect(after.r1).toContain(dest);
    expect(after.r1).not.toContain(from);
    expect((await cluster.client.resources.list({ resources: ['r1'], nodes: [dest] }))[0]!.flags).not.toContain('DISKLESS');
    await verifyEverywhere('r1', '11', '1M');
    await noOrphanLvs();
    // and back to diskless: its LV goes, the data stays readable through the peers
    ok(await cluster.ferry(['r', 'td', dest, 'r1', '--diskless']));
    expect(await lvsOn(dest)).not.toContain('r1_00000');
    await verifyEverywhere('r1', '11', '1M');
    const refused = await cluster.ferry(['r', 'td', dest, 'r1', '--diskless']);
    expect(refused.exitCode).toBe(5);
  });
});

describe('auto-evict', () => {
  const offline = async (n: string) => (await cluster.client.nodes.get(n)).connection_status === 'OFFLINE';
  const online = async (n: string) => (await cluster.client.nodes.get(n)).connection_status === 'ONLINE';

  it('never evicts a node with DrbdOptions/AutoEvictAllowEviction=false', async () => {
    ok(await cluster.ferry(['controller', 'set-property', 'DrbdOptions/AutoEvictAfterTime', '2']));
    ok(await cluster.ferry(['node', 'set-property', 'node4', 'DrbdOptions/AutoEvictAllowEviction', 'false']));
    await cluster.stopAgent('node4', 'SIGKILL');
    await cluster.eventually('node4 is OFFLINE', () => offline('node4'), 15_000);
    await new Promise((r) => setTimeout(r, 5000));
    expect(await nodeFlags('node4')).toEqual([]);
    const p = (await cluster.client.operation('auto-evict').progress()) as { status: { node: string; note?: string }[] };
    expect(p.status.find((s) => s.node === 'node4')?.note).toMatch(/AutoEvictAllowEviction=false/);
    cluster.startAgent('node4');
    await cluster.eventually('node4 is ONLINE', () => online('node4'), 30_000);
    ok(await cluster.ferry(['node', 'set-property', 'node4', 'DrbdOptions/AutoEvictAllowEviction']));
  });

  it('evicts nobody while more than 34% of the nodes are offline', async () => {
    // longer than the offline delay, so that the two heartbeats' last arrivals (apart under load)
    // never leave one of them alone offline and past its time
    ok(await cluster.ferry(['controller', 'set-property', 'DrbdOptions/AutoEvictAfterTime', '8']));
    await Promise.all([cluster.stopAgent('node4', 'SIGKILL'), cluster.stopAgent('node5', 'SIGKILL')]);
    await cluster.eventually('node4 and node5 are OFFLINE', async () => (await offline('node4')) && (await offline('node5')), 15_000);
    await new Promise((r) => setTimeout(r, 5000));
    expect(await nodeFlags('node4')).toEqual([]);
    expect(await nodeFlags('node5')).toEqual([]);
    const p = (await cluster.client.operation('auto-evict').progress()) as { holdReason: string | null };
    expect(p.holdReason).toMatch(/2 of 5 nodes are offline \(40% > DrbdOptions\/AutoEvictMaxDisconnectedNodes=34%\)/);
    // they come back one after the other: for a moment only one is offline, which would be under
    // the 34% share; a long AutoEvictAfterTime keeps that moment from evicting it
    ok(await cluster.ferry(['controller', 'set-property', 'DrbdOptions/AutoEvictAfterTime', '600']));
    cluster.startAgent('node4');
    cluster.startAgent('node5');
    await cluster.eventually('node4 and node5 are ONLINE', async () => (await online('node4')) && (await online('node5')), 30_000);
  });

  it('evicts a node whose agent is gone longer than AutoEvictAfterTime and re-places its resources from the survivors', async () => {
    const before = await placement();
    const onNode4 = Object.keys(before).filter((r) => before[r]!.includes('node4'));
    expect(onNode4.length).toBeGreaterThan(0);
    ok(await cluster.ferry(['controller', 'set-property', 'DrbdOptions/AutoEvictAfterTime', '2']));
    // a resource keeping 3 replicas without node4 only loses that one; the others are re-placed
    ok(await cluster.ferry(['controller', 'set-property', 'DrbdOptions/AutoEvictMinReplicaCount', '3']));
    await cluster.stopAgent('node4', 'SIGKILL');
    await cluster.eventually('node4 is EVICTED', async () => (await nodeFlags('node4')).includes('EVICTED'), 30_000);
    // its resources are re-placed by evict/node4 (progress shown if it takes too long)
    const evict = cluster.client.operation('evict/node4');
    let last: unknown = null;
    await cluster.eventually('evict/node4 has finished', async () => {
      const d = await evict.describe();
      last = d.progress;
      return d.status === 'COMPLETED';
    }, 120_000).catch((e: Error) => {
      throw new Error(`${e.message}; progress: ${JSON.stringify(last)}`);
    });
    const after = await placement();
    for (const rsc of Object.keys(before)) {
      expect(after[rsc]).not.toContain('node4');
      const others = before[rsc]!.filter((n) => n !== 'node4').length;
      const expected = before[rsc]!.includes('node4') && others >= 3 ? others : before[rsc]!.length;
      expect({ rsc, n: after[rsc]!.length }).toEqual({ rsc, n: expected });
    }
    expect((await cluster.ferry(['node', 'list'])).stdout).toMatch(/┊ node4\s+┊ SATELLITE ┊ [^┊]+┊ EVICTED\s+┊/);
    await verifyEverywhere('r0', '10', '1M');
    await verifyEverywhere('wide', '21', '1M');
    // node restore lets it back in once its agent reports again; what moved stays moved, and
    // its leftovers of the moved resources are removed from its host
    expect((await cluster.ferry(['node', 'restore', 'node4'])).exitCode).toBe(5);
    cluster.startAgent('node4');
    await cluster.eventually('node4 reports again', () => online('node4'), 30_000);
    ok(await cluster.ferry(['node', 'restore', 'node4']));
    expect(await nodeFlags('node4')).toEqual([]);
    expect(await placement()).toEqual(after);
    await noOrphanLvs();
  });
});
