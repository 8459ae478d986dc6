import { describe, expect, it } from '@jest/globals';
import {
  estimateFreeBytes,
  placeReplicas,
  prepareCluster,
  type PlacedResource,
  type PlacementCluster,
  type PlacementNode,
  type PlacementRequest,
  type PlacementStoragePool,
  type PreparedCluster,
} from '../../core/autoplacer.js';
import { PlacementError, ValidationError } from '../../core/errors.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

interface NodeSpec {
  online?: boolean;
  flags?: string[];
  props?: Record<string, string>;
  pools?: Partial<PlacementStoragePool>[];
}

/** A cluster where every node has an LVM_THIN pool 'pool1' of 100 GiB, 50 GiB free, unless told otherwise. */
function cluster(spec: Record<string, NodeSpec>, extra: Partial<PlacementCluster> = {}): PlacementCluster {
  const nodes: PlacementNode[] = [];
  const storagePools: PlacementStoragePool[] = [];
  for (const [name, s] of Object.entries(spec)) {
    nodes.push({ name, online: s.online ?? true, flags: s.flags ?? [], props: s.props ?? {} });
    for (const p of s.pools ?? [{}]) {
      storagePools.push({ node: name, name: 'pool1', provider: 'LVM_THIN', totalBytes: 100 * GiB, freeBytes: 50 * GiB, ...p });
    }
    storagePools.push({ node: name, name: 'DfltDisklessStorPool', provider: 'DISKLESS' });
  }
  return { nodes, storagePools, resources: [], ...extra };
}

function place(req: Partial<PlacementRequest>, c: PlacementCluster | PreparedCluster) {
  return placeReplicas({ resource: 'db0', sizeBytes: 64 * MiB, ...req }, c);
}

function nodesOf(r: ReturnType<typeof place>): string[] {
  return r.diskful.map((d) => d.node).sort();
}

function placementError(fn: () => unknown): PlacementError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PlacementError);
    return e as PlacementError;
  }
  throw new Error('expected a PlacementError');
}

const rack = (r: string): NodeSpec => ({ props: { 'Aux/rack': r } });

describe('three nodes in rack a, one in rack b', () => {
  const c = cluster({
    node1: { ...rack('a'), pools: [{ freeBytes: 40 * GiB }] },
    node2: { ...rack('a'), pools: [{ freeBytes: 60 * GiB }] },
    node3: { ...rack('a'), pools: [{ freeBytes: 50 * GiB }] },
    node4: { ...rack('b'), pools: [{ freeBytes: 10 * GiB }] },
  });

  it('without constraints, the pools with the most free space win (MaxFreeSpace)', () => {
    const r = place({ placeCount: 3 }, c);
    expect(r.diskful.map((d) => d.node)).toEqual(['node2', 'node3', 'node1']);
    expect(r.diskful[0]).toMatchObject({ storagePool: 'pool1', provider: 'LVM_THIN', score: 1, replacesDiskless: false });
    expect(r.needed).toBe(3);
  });

  it('replicas-on-different rack puts one replica in rack a (the emptiest node) and one in rack b', () => {
    const r = place({ placeCount: 2, replicasOnDifferent: ['rack'] }, c);
    expect(r.diskful.map((d) => d.node)).toEqual(['node2', 'node4']);
  });

  it('replicas-on-different rack cannot place 3 replicas in 2 racks, and says so', () => {
    const e = placementError(() => place({ placeCount: 3, replicasOnDifferent: ['Aux/rack'] }, c));
    expect(e.message).toBe(
      "Not enough available nodes for 'db0': needed 3 nodes; 4 nodes, 2 selectable with replicas-on-different Aux/rack (one node per value) (values left: a, b)",
    );
    expect(e.explanation.steps.at(-1)).toMatchObject({ nodesLeft: 2 });
    expect(e.kind).toBe('placement');
  });

  it('replicas-on-same rack keeps all replicas in rack a', () => {
    expect(nodesOf(place({ placeCount: 3, replicasOnSame: ['rack'] }, c))).toEqual(['node1', 'node2', 'node3']);
  });

  it('replicas-on-same rack=b needs two nodes in rack b: only node4 is there', () => {
    const e = placementError(() => place({ placeCount: 2, replicasOnSame: ['rack=b'] }, c));
    expect(e.message).toContain('1 with replicas-on-same Aux/rack=b (node1: Aux/rack=a, node2: Aux/rack=a, node3: Aux/rack=a)');
  });

  it('replicas-on-different rack=a keeps replicas out of rack a', () => {
    expect(nodesOf(place({ placeCount: 1, replicasOnDifferent: ['rack=a'] }, c))).toEqual(['node4']);
  });
});

describe('the guide example: Aux/testProperty and --auto-place +1', () => {
  // node-0 and node-2 have testProperty=1, node-1 has 0; resource group place count 2, replicas-on-same testProperty=1
  const base = {
    'node-0': { props: { 'Aux/testProperty': '1' } },
    'node-1': { props: { 'Aux/testProperty': '0' } },
    'node-2': { props: { 'Aux/testProperty': '1' } },
  };

  it('spawn puts testResource on node-0 and node-2, not node-1', () => {
    const r = placeReplicas({ resource: 'testResource', sizeBytes: 100 * MiB, placeCount: 2, replicasOnSame: ['testProperty=1'] }, cluster(base));
    expect(nodesOf(r)).toEqual(['node-0', 'node-2']);
  });

  const deployed: PlacedResource[] = [
    { resource: 'testResource', node: 'node-0', storagePool: 'pool1', sizeBytes: 100 * MiB },
    { resource: 'testResource', node: 'node-2', storagePool: 'pool1', sizeBytes: 100 * MiB },
  ];

  it('+1 fails while node-1 has testProperty 0', () => {
    const e = placementError(() =>
      placeReplicas(
        { resource: 'testResource', sizeBytes: 100 * MiB, placeCount: 2, additional: 1, replicasOnSame: ['testProperty=1'] },
        cluster(base, { resources: deployed }),
      ),
    );
    expect(e.message).toBe(
      "Not enough available nodes for 'testResource': needed 1 more node (2 already placed); 3 nodes, 1 without a replica of 'testResource' (node-0, node-2), 0 with replicas-on-same Aux/testProperty=1 (node-1: Aux/testProperty=0)",
    );
  });

  it('+1 adds node-1 once it has testProperty 1, whatever the place count', () => {
    const r = placeReplicas(
      { resource: 'testResource', sizeBytes: 100 * MiB, placeCount: 2, additional: 1, replicasOnSame: ['testProperty=1'] },
      cluster({ ...base, 'node-1': { props: { 'Aux/testProperty': '1' } } }, { resources: deployed }),
    );
    expect(r.diskful.map((d) => d.node)).toEqual(['node-1']);
    expect(r.existing).toEqual(['node-0', 'node-2']);
    expect(r.needed).toBe(1);
  });
});

describe('place count against the replicas that already exist', () => {
  const c = cluster(
    { node1: {}, node2: {}, node3: {}, node4: {} },
    {
      resources: [
        { resource: 'db0', node: 'node1', storagePool: 'pool1', sizeBytes: GiB },
        { resource: 'db0', node: 'node2', storagePool: 'pool1', sizeBytes: GiB, flags: ['DELETE'] },
        { resource: 'db0', node: 'node3', diskless: true },
      ],
    },
  );

  it('place count 3 with one live diskful replica adds 2; the replica being deleted does not count', () => {
    const r = place({ placeCount: 3 }, c);
    expect(r.needed).toBe(2);
    expect(r.existing).toEqual(['node1']);
    expect(nodesOf(r)).toEqual(['node2', 'node3']);
  });

  it('a node with a diskless replica can be chosen; its replica becomes diskful', () => {
    const r = place({ placeCount: 2, nodes: ['node3', 'node4'] }, c);
    expect(r.diskful).toEqual([expect.objectContaining({ node: 'node3', replacesDiskless: true })]);
  });

  it('place count already reached: nothing to place', () => {
    const r = place({ placeCount: 1 }, c);
    expect(r.needed).toBe(0);
    expect(r.diskful).toEqual([]);
  });

  it('place count below the existing replicas is an error', () => {
    const c2 = cluster({ node1: {}, node2: {} }, {
      resources: [
        { resource: 'db0', node: 'node1', storagePool: 'pool1' },
        { resource: 'db0', node: 'node2', storagePool: 'pool1' },
      ],
    });
    expect(placementError(() => place({ placeCount: 1 }, c2)).message).toContain('place count 1 is lower than the 2 diskful replicas');
  });

  it('replicas on an evacuating node do not count, so a replacement is placed elsewhere', () => {
    const c3 = cluster({ node1: { flags: ['EVACUATE'] }, node2: {}, node3: {} }, {
      resources: [
        { resource: 'db0', node: 'node1', storagePool: 'pool1' },
        { resource: 'db0', node: 'node2', storagePool: 'pool1' },
      ],
    });
    const r = place({ placeCount: 2 }, c3);
    expect(r.existing).toEqual(['node2']);
    expect(nodesOf(r)).toEqual(['node3']);
  });

  it('replicas-on-different with an existing replica in rack a sends the new one elsewhere', () => {
    const c4 = cluster({ node1: rack('a'), node2: rack('a'), node3: rack('b') }, {
      resources: [{ resource: 'db0', node: 'node1', storagePool: 'pool1' }],
    });
    expect(nodesOf(place({ placeCount: 2, replicasOnDifferent: ['rack'] }, c4))).toEqual(['node3']);
  });

  it('replicas-on-same without a value follows the existing replicas’ value', () => {
    const c5 = cluster({ node1: rack('b'), node2: rack('a'), node3: rack('b'), node4: rack('a') }, {
      resources: [{ resource: 'db0', node: 'node1', storagePool: 'pool1' }],
    });
    expect(nodesOf(place({ placeCount: 2, replicasOnSame: ['rack'] }, c5))).toEqual(['node3']);
  });

  it('replicas-on-same when existing replicas already disagree is undecidable', () => {
    const c6 = cluster({ node1: rack('a'), node2: rack('b'), node3: rack('a') }, {
      resources: [
        { resource: 'db0', node: 'node1', storagePool: 'pool1' },
        { resource: 'db0', node: 'node2', storagePool: 'pool1' },
      ],
    });
    expect(placementError(() => place({ placeCount: 3, replicasOnSame: ['rack'] }, c6)).message).toContain(
      'nodes with different values (a, b); cannot decide',
    );
  });
});

describe('nodes that are never targets', () => {
  const c = cluster({
    node1: {},
    node2: { online: false },
    node3: { flags: ['EVACUATE'] },
    node4: { online: false, flags: ['EVICTED'] },
    node5: { props: { AutoplaceTarget: 'false' } },
    node6: { pools: [{ props: { AutoplaceTarget: 'false' } }] },
  });

  it('offline, EVACUATE, EVICTED and AutoplaceTarget=false (node or pool) are skipped', () => {
    const r = place({ placeCount: 1 }, c);
    expect(nodesOf(r)).toEqual(['node1']);
    const e = placementError(() => place({ placeCount: 2 }, c));
    expect(e.message).toBe(
      "Not enough available nodes for 'db0': needed 2 nodes; 6 nodes, 4 online (node2: offline, node4: offline), 3 not evacuating or evicted (node3: EVACUATE), 2 with AutoplaceTarget not false (node5), 1 with a storage pool that is an autoplace target (node6: AutoplaceTarget=false on the pool)",
    );
  });

  it('AutoplaceTarget=false on the controller makes only nodes that say true targets', () => {
    const c2 = cluster({ node1: {}, node2: { props: { AutoplaceTarget: 'true' } } }, { controllerProps: { AutoplaceTarget: 'false' } });
    expect(nodesOf(place({ placeCount: 1 }, c2))).toEqual(['node2']);
  });

  it('excludeNodes and nodes restrict the choice', () => {
    const c3 = cluster({ node1: {}, node2: {}, node3: {} });
    expect(nodesOf(place({ placeCount: 2, excludeNodes: ['node1'] }, c3))).toEqual(['node2', 'node3']);
    expect(nodesOf(place({ placeCount: 1, nodes: ['NODE3'] }, c3))).toEqual(['node3']);
    expect(placementError(() => place({ placeCount: 3, excludeNodes: ['node2'] }, c3)).message).toContain('2 not excluded (node2)');
  });
});

describe('storage pools, providers and free space', () => {
  it('--storage-pool pool_ssd uses only that pool (names are case-insensitive)', () => {
    const c = cluster({
      node1: { pools: [{}, { name: 'pool_ssd', freeBytes: 5 * GiB }] },
      node2: { pools: [{}, { name: 'pool_ssd', freeBytes: 6 * GiB }] },
      node3: {},
    });
    const r = place({ placeCount: 2, storagePools: ['POOL_SSD'] }, c);
    expect(r.diskful.map((d) => `${d.node}:${d.storagePool}`)).toEqual(['node2:pool_ssd', 'node1:pool_ssd']);
    const e = placementError(() => place({ placeCount: 3, storagePools: ['pool_ssd'] }, c));
    expect(e.message).toContain("2 with storage pool 'pool_ssd' (node3: no such pool)");
  });

  it('one pool per node: a node with two pools still takes one replica', () => {
    const c = cluster({ node1: { pools: [{}, { name: 'pool2', freeBytes: 90 * GiB }] }, node2: {} });
    const r = place({ placeCount: 2 }, c);
    expect(r.diskful.map((d) => `${d.node}:${d.storagePool}`)).toEqual(['node1:pool2', 'node2:pool1']);
  });

  it('--providers LVM keeps thin pools out', () => {
    const c = cluster({ node1: {}, node2: { pools: [{ name: 'thick', provider: 'LVM' }] } });
    expect(place({ placeCount: 1, providers: ['lvm'] }, c).diskful).toEqual([expect.objectContaining({ node: 'node2', storagePool: 'thick', provider: 'LVM' })]);
    expect(placementError(() => place({ placeCount: 2, providers: ['LVM'] }, c)).message).toContain('1 with provider LVM (node1)');
  });

  it('a 500 GiB volume on thin pools: 64 MiB free on node3 is not enough even oversubscribed, and the message says how much is there', () => {
    const c = cluster({
      node1: { pools: [{ totalBytes: 1024 * GiB, freeBytes: 800 * GiB }] },
      node2: { pools: [{ totalBytes: 1024 * GiB, freeBytes: 700 * GiB }] },
      node3: { pools: [{ totalBytes: 1024 * GiB, freeBytes: 1 * MiB }] },
      node4: { pools: [{ name: 'other' }] },
    });
    const e = placementError(() => placeReplicas({ resource: 'backups', sizeBytes: 500 * GiB, placeCount: 3, storagePools: ['pool1'] }, c));
    expect(e.message).toBe(
      "Not enough available nodes for 'backups': needed 3 nodes; 4 nodes, 3 with storage pool 'pool1' (node4: no such pool), 2 with 500 GiB free in 'pool1' (node3: 20 MiB free in 'pool1')",
    );
  });

  it('thick pools are not oversubscribed: the estimate is the free space', () => {
    const thick: PlacementStoragePool = { node: 'n', name: 'p', provider: 'LVM', totalBytes: 100 * GiB, freeBytes: 10 * GiB };
    expect(estimateFreeBytes(thick, 90 * GiB)).toBe(10 * GiB);
    const thin: PlacementStoragePool = { ...thick, provider: 'LVM_THIN' };
    // min(10 GiB * 20, 100 GiB * 20 - 90 GiB)
    expect(estimateFreeBytes(thin, 90 * GiB)).toBe(200 * GiB);
    expect(estimateFreeBytes(thin, 1900 * GiB)).toBe(100 * GiB);
    expect(estimateFreeBytes(thin, 0, { MaxOversubscriptionRatio: '1' })).toBe(10 * GiB);
    expect(estimateFreeBytes(thin, 0, { MaxOversubscriptionRatio: '1' }, { MaxFreeCapacityOversubscriptionRatio: '3' })).toBe(30 * GiB);
    expect(estimateFreeBytes({ ...thin, freeBytes: null }, 0)).toBeNull();
  });

  it('reserved space of existing volumes counts against the total-based estimate', () => {
    const c = cluster(
      { node1: { pools: [{ totalBytes: 10 * GiB, freeBytes: 9 * GiB }] }, node2: { pools: [{ totalBytes: 10 * GiB, freeBytes: 1 * GiB }] } },
      {
        controllerProps: { MaxOversubscriptionRatio: '2' },
        resources: [{ resource: 'big', node: 'node1', storagePool: 'pool1', sizeBytes: 19 * GiB }],
      },
    );
    // node1: min(18, 20 - 19) = 1 GiB; node2: min(2, 20) = 2 GiB
    const r = placeReplicas({ resource: 'db0', sizeBytes: 2 * GiB, placeCount: 1 }, c);
    expect(nodesOf(r)).toEqual(['node2']);
  });

  it('a thin pool that would keep less than Autoplacer/MinThinFreeSpace is skipped', () => {
    const c = cluster(
      { node1: { pools: [{ totalBytes: 100 * GiB, freeBytes: GiB }] }, node2: {} },
      { controllerProps: { MaxOversubscriptionRatio: '1' } },
    );
    // node1 estimate 1 GiB < 10% of 100 GiB
    expect(nodesOf(place({ placeCount: 1 }, c))).toEqual(['node2']);
    const e = placementError(() => place({ placeCount: 2 }, c));
    expect(e.message).toContain("1 keeping Autoplacer/MinThinFreeSpace in thin pools (node1: 'pool1' would keep 1 GiB, minimum 10 GiB)");
    // the operator lowers the minimum for this node
    const c2 = cluster(
      { node1: { pools: [{ totalBytes: 100 * GiB, freeBytes: GiB }], props: { 'Autoplacer/MinThinFreeSpace': '512MiB' } }, node2: {} },
      { controllerProps: { MaxOversubscriptionRatio: '1' } },
    );
    expect(nodesOf(place({ placeCount: 2 }, c2))).toEqual(['node1', 'node2']);
  });

  it('unknown free space (no report yet) disqualifies the pool', () => {
    const c = cluster({ node1: { pools: [{ freeBytes: null }] } });
    expect(placementError(() => place({ placeCount: 1 }, c)).message).toContain("node1: free space of 'pool1' unknown");
  });
});

describe('strategies and weights', () => {
  const c = (ctrl: Record<string, string>) =>
    cluster(
      {
        node1: { pools: [{ freeBytes: 90 * GiB }] },
        node2: { pools: [{ freeBytes: 80 * GiB, props: { 'Autoplacer/MaxThroughput': '1000' } }] },
        node3: { pools: [{ freeBytes: 30 * GiB }] },
      },
      {
        controllerProps: ctrl,
        resources: [
          { resource: 'a', node: 'node1', storagePool: 'pool1', sizeBytes: 10 * GiB },
          { resource: 'b', node: 'node1', storagePool: 'pool1', sizeBytes: 10 * GiB },
          { resource: 'c', node: 'node2', storagePool: 'pool1', sizeBytes: 50 * GiB, props: { 'sys/fs/blkio_throttle_read': '100' } },
        ],
      },
    );

  it('default: MaxFreeSpace only', () => {
    expect(place({ placeCount: 1 }, c({})).diskful[0]!.node).toBe('node1');
  });
  it('MinRscCount outweighing MaxFreeSpace picks the pool with the fewest resources', () => {
    const r = place({ placeCount: 1 }, c({ 'Autoplacer/Weights/MinRscCount': '2' }));
    // node3: 30/90 - 0 = 0.33; node2: 80/90 - 2*1/2 = -0.11; node1: 1 - 2 = -1
    expect(r.diskful[0]!.node).toBe('node3');
    expect(r.diskful[0]!.score).toBeCloseTo(1 / 3, 6);
  });
  it('MinReservedSpace alone picks the pool with the least provisioned space', () => {
    const r = place({ placeCount: 2 }, c({ 'Autoplacer/Weights/MaxFreeSpace': '0', 'Autoplacer/Weights/MinReservedSpace': '1' }));
    expect(r.diskful.map((d) => d.node)).toEqual(['node3', 'node1']);
  });
  it('MaxThroughput counts the pool property minus the volumes’ throttles', () => {
    const r = place({ placeCount: 1 }, c({ 'Autoplacer/Weights/MaxFreeSpace': '0', 'Autoplacer/Weights/MaxThroughput': '1' }));
    expect(r.diskful[0]).toMatchObject({ node: 'node2', score: 1 });
  });
  it('equal scores are broken by node name, whatever the input order (deterministic)', () => {
    const c1 = cluster({ nodeC: {}, nodeA: {}, nodeB: {}, nodeD: {} });
    const c2: PlacementCluster = { ...c1, nodes: [...c1.nodes].reverse(), storagePools: [...c1.storagePools].reverse() };
    const r1 = place({ placeCount: 3 }, c1);
    expect(r1.diskful.map((d) => d.node)).toEqual(['nodeA', 'nodeB', 'nodeC']);
    expect(place({ placeCount: 3 }, c2)).toEqual(r1);
  });
});

describe('do-not-place-with', () => {
  const c = cluster(
    { node1: {}, node2: {}, node3: {}, node4: {} },
    {
      resources: [
        { resource: 'db1', node: 'node1', storagePool: 'pool1' },
        { resource: 'web-frontend', node: 'node2', storagePool: 'pool1' },
        { resource: 'web-cache', node: 'node3', diskless: true },
        { resource: 'db1', node: 'node4', storagePool: 'pool1', flags: ['DELETE'] },
      ],
    },
  );

  it('--do-not-place-with db1 avoids node1 (the copy being deleted on node4 does not count)', () => {
    expect(nodesOf(place({ placeCount: 3, doNotPlaceWith: ['DB1'] }, c))).toEqual(['node2', 'node3', 'node4']);
  });
  it('--do-not-place-with-regex ^web- avoids node2 and node3 (diskless replicas count)', () => {
    expect(nodesOf(place({ placeCount: 2, doNotPlaceWithRegex: '^web-' }, c))).toEqual(['node1', 'node4']);
    const e = placementError(() => place({ placeCount: 3, doNotPlaceWithRegex: '^WEB-' }, c));
    expect(e.message).toContain("2 without resources matching /^WEB-/ (do-not-place-with-regex) (node2: has 'web-frontend', node3: has 'web-cache')");
  });
  it('both together leave only node4', () => {
    expect(nodesOf(place({ placeCount: 1, doNotPlaceWith: ['db1'], doNotPlaceWithRegex: 'web' }, c))).toEqual(['node4']);
    const e = placementError(() => place({ placeCount: 2, doNotPlaceWith: ['db1'], doNotPlaceWithRegex: 'web' }, c));
    expect(e.message).toContain("3 without 'db1' (do-not-place-with) (node1: has 'db1')");
    expect(e.message).toContain('1 without resources matching /web/');
  });
});

describe('--diskless-on-remaining', () => {
  it('every other eligible node gets a diskless replica', () => {
    const c = cluster(
      { node1: {}, node2: {}, node3: { online: false }, node4: { flags: ['EVACUATE'] }, node5: {}, node6: {} },
      { resources: [{ resource: 'db0', node: 'node6', diskless: true }] },
    );
    const r = place({ placeCount: 2, nodes: ['node1', 'node2'], disklessOnRemaining: true }, c);
    expect(nodesOf(r)).toEqual(['node1', 'node2']);
    expect(r.diskless).toEqual(['node5']);
  });
  it('also when the place count is already reached', () => {
    const c = cluster({ node1: {}, node2: {} }, { resources: [{ resource: 'db0', node: 'node1', storagePool: 'pool1' }] });
    const r = place({ placeCount: 1, disklessOnRemaining: true }, c);
    expect(r.diskful).toEqual([]);
    expect(r.diskless).toEqual(['node2']);
  });
});

describe('combined constraints and bad requests', () => {
  it('replicas-on-same zone with replicas-on-different rack: two racks in the one zone that has them', () => {
    const c = cluster({
      n1: { props: { 'Aux/zone': 'z1', 'Aux/rack': 'r1' }, pools: [{ freeBytes: 99 * GiB }] },
      n2: { props: { 'Aux/zone': 'z1', 'Aux/rack': 'r1' } },
      n3: { props: { 'Aux/zone': 'z2', 'Aux/rack': 'r2' } },
      n4: { props: { 'Aux/zone': 'z2', 'Aux/rack': 'r3' } },
    });
    // the top-scored node n1 is in z1, but z1 has only rack r1: the search backtracks to z2
    expect(nodesOf(place({ placeCount: 2, replicasOnSame: ['zone'], replicasOnDifferent: ['rack'] }, c))).toEqual(['n3', 'n4']);
    expect(placementError(() => place({ placeCount: 3, replicasOnSame: ['zone'], replicasOnDifferent: ['rack'] }, c)).message).toContain(
      '2 on one value of Aux/zone (replicas-on-same; largest group) (z1: 2, z2: 2)',
    );
    // each zone has two nodes and there are two racks, but no zone has two racks
    const c2 = cluster({
      n1: { props: { 'Aux/zone': 'z1', 'Aux/rack': 'r1' } },
      n2: { props: { 'Aux/zone': 'z1', 'Aux/rack': 'r1' } },
      n3: { props: { 'Aux/zone': 'z2', 'Aux/rack': 'r2' } },
      n4: { props: { 'Aux/zone': 'z2', 'Aux/rack': 'r2' } },
    });
    const e = placementError(() => place({ placeCount: 2, replicasOnSame: ['zone'], replicasOnDifferent: ['rack'] }, c2));
    expect(e.message).toBe(
      "Not enough available nodes for 'db0': needed 2 nodes; no combination of nodes satisfies the replicas-on-same / replicas-on-different constraints together",
    );
  });

  it('replicas-on-same without a value: the largest group is too small', () => {
    const c = cluster({ n1: rack('a'), n2: rack('b'), n3: {} });
    const e = placementError(() => place({ placeCount: 2, replicasOnSame: ['rack'] }, c));
    expect(e.message).toContain('2 with replicas-on-same Aux/rack (n3: not set), 1 on one value of Aux/rack (replicas-on-same; largest group) (a: 1, b: 1)');
  });

  it('a prepared cluster gives the same answer as the raw one', () => {
    const c = cluster({ n1: rack('a'), n2: rack('b'), n3: rack('c') });
    expect(place({ placeCount: 2, replicasOnDifferent: ['rack'] }, prepareCluster(c))).toEqual(place({ placeCount: 2, replicasOnDifferent: ['rack'] }, c));
  });

  it.each([
    [{ placeCount: undefined }, 'placeCount'],
    [{ placeCount: 0 }, 'placeCount'],
    [{ placeCount: 2, sizeBytes: 0 }, 'sizeBytes'],
    [{ placeCount: 2, doNotPlaceWithRegex: '(' }, 'doNotPlaceWithRegex'],
    [{ placeCount: 2, replicasOnSame: ['=x'] }, 'replicasOnSame[0]'],
  ])('malformed request %j is a ValidationError on %s', (req, field) => {
    try {
      place(req as Partial<PlacementRequest>, cluster({ n1: {} }));
      throw new Error('expected a ValidationError');
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).field).toBe(field);
    }
  });

  it('the funnel is returned on success too, for --explain', () => {
    const r = place({ placeCount: 1 }, cluster({ n1: {}, n2: { online: false } }));
    expect(r.funnel.slice(0, 2)).toEqual([
      { constraint: 'nodes', nodesLeft: 2 },
      { constraint: 'online', nodesLeft: 1, rejected: ['n2: offline'] },
    ]);
  });
});
