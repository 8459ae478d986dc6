// The evacuation planner (core/evacuation-plan.ts) on small clusters: where each replica of the
// leaving nodes goes, under the resource group's rules, and what it says when it cannot.
import { describe, expect, it } from '@jest/globals';
import type { PlacedResource, PlacementCluster, PlacementNode, PlacementStoragePool } from '../../core/autoplacer.js';
import { planEvacuation, planReplicaMove, type EvacuationPlanInput, type EvacuationStep } from '../../core/evacuation-plan.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Nodes with a 10 GiB thin pool 'pool1' each (free space as given, else 10 GiB) and their props. */
function cluster(nodes: Record<string, { props?: Record<string, string>; free?: number; online?: boolean; flags?: string[] }>, replicas: string[]): PlacementCluster {
  const ns: PlacementNode[] = [];
  const pools: PlacementStoragePool[] = [];
  for (const [name, s] of Object.entries(nodes)) {
    ns.push({ name, online: s.online ?? true, flags: s.flags ?? [], props: s.props ?? {} });
    pools.push({ node: name, name: 'pool1', provider: 'LVM_THIN', totalBytes: 10 * GiB, freeBytes: s.free ?? 10 * GiB });
    pools.push({ node: name, name: 'DfltDisklessStorPool', provider: 'DISKLESS' });
  }
  // "db0@node1" diskful in pool1, "db0@node1:diskless"
  const resources: PlacedResource[] = replicas.map((r) => {
    const [rsc, rest] = r.split('@') as [string, string];
    const [node, kind] = rest.split(':') as [string, string | undefined];
    return kind === 'diskless'
      ? { resource: rsc, node, diskless: true, flags: ['DISKLESS'], storagePool: 'DfltDisklessStorPool', sizeBytes: 64 * MiB }
      : { resource: rsc, node, storagePool: 'pool1', sizeBytes: 64 * MiB };
  });
  return { nodes: ns, storagePools: pools, resources };
}

const four = (props: Record<string, Record<string, string>> = {}) =>
  Object.fromEntries(['node1', 'node2', 'node3', 'node4'].map((n) => [n, { props: props[n] ?? {} }]));

const input = (c: PlacementCluster, o: Partial<EvacuationPlanInput> = {}): EvacuationPlanInput => ({ cluster: c, leaving: [], kind: 'evacuate', ...o });

/** `resource: action target` lines, the way an operator reads the dry run. */
const lines = (steps: EvacuationStep[]) => steps.map((s) => `${s.node} ${s.resource}: ${s.action}${s.action === 'move' ? ` ${s.target}` : ''}`);

describe('evacuating one node', () => {
  it('moves each diskful replica to a node that does not hold the resource yet, and drops diskless ones', () => {
    const c = cluster(four(), ['db0@node1', 'db0@node2', 'db1@node2', 'db1@node3', 'web@node2:diskless', 'web@node1']);
    const plan = planEvacuation(input(c), ['node2']);
    expect(plan.map((s) => `${s.resource} ${s.action}`)).toEqual(['db0 move', 'db1 move', 'web drop']);
    const db0 = plan.find((s) => s.resource === 'db0')!;
    const db1 = plan.find((s) => s.resource === 'db1')!;
    expect(db0.action === 'move' && ['node3', 'node4'].includes(db0.target)).toBe(true);
    expect(db1.action === 'move' && ['node1', 'node4'].includes(db1.target)).toBe(true);
    expect(plan.every((s) => !s.onlyCopy || s.resource === 'never')).toBe(true);
    expect(db0).toMatchObject({ sizeBytes: 64 * MiB, reused: false, storagePool: 'pool1' });
  });

  it('never chooses a node with a diskless replica of the resource, one with AutoplaceTarget=false, or an offline one', () => {
    const c = cluster({ ...four({ node3: { AutoplaceTarget: 'false' } }), node5: { online: false } }, ['db0@node1', 'db0@node2', 'db0@node4:diskless']);
    const [step] = planEvacuation(input(c), ['node2']);
    expect(step).toMatchObject({ action: 'blocked', onlyCopy: false });
    expect(step!.action === 'blocked' && step!.reason).toMatch(/^Not enough available nodes.*\(not considered: node2: being evacuated, node3: AutoplaceTarget=false\)$/s);
  });

  it('reports a resource that cannot be placed with the reason, and flags its only copy', () => {
    const c = cluster({ node1: {}, node2: {} }, ['solo@node1', 'db0@node1', 'db0@node2']);
    const plan = planEvacuation(input(c), ['node1']);
    expect(lines(plan)).toEqual(['node1 db0: blocked', 'node1 solo: move node2']);
    const full = cluster({ node1: {}, node2: { free: 1 * MiB } }, ['solo@node1']);
    const [step] = planEvacuation(input(full), ['node1']);
    expect(step).toMatchObject({ resource: 'solo', action: 'blocked', onlyCopy: true });
    expect(step!.action === 'blocked' && step!.reason).toMatch(/node2.*(free|space)/is);
  });
});

describe('evacuating several nodes at once', () => {
  it('sends no replica to another leaving node and gives a resource on two leaving nodes two different targets', () => {
    const c = cluster({ ...four(), node5: {}, node6: {} }, ['db0@node1', 'db0@node2', 'db0@node3', 'db1@node2', 'db1@node4']);
    const plan = planEvacuation(input(c), ['node2', 'node3']);
    expect(plan.map((s) => `${s.node} ${s.resource} ${s.action}`)).toEqual(['node2 db0 move', 'node2 db1 move', 'node3 db0 move']);
    const targets = plan.filter((s) => s.resource === 'db0').map((s) => (s.action === 'move' ? s.target : ''));
    expect(new Set(targets).size).toBe(2);
    for (const s of plan) expect(s.action === 'move' && !['node2', 'node3', s.resource === 'db0' ? 'node1' : 'node4'].includes(s.target)).toBe(true);
  });

  it('treats nodes of another running evacuation (leaving) as no targets either', () => {
    const c = cluster(four(), ['db0@node1', 'db0@node2']);
    const [step] = planEvacuation(input(c, { leaving: ['node3'] }), ['node2']);
    expect(step).toMatchObject({ action: 'move', target: 'node4' });
  });
});

describe('the resource group rules', () => {
  const racks = { node1: { 'Aux/rack': 'a' }, node2: { 'Aux/rack': 'a' }, node3: { 'Aux/rack': 'b' }, node4: { 'Aux/rack': 'a' } };

  it('replicas-on-same keeps the replacement in the rack of the remaining replicas', () => {
    const c = cluster(four(racks), ['db0@node1', 'db0@node2']);
    const plan = planEvacuation(input(c, { rules: { db0: { replicasOnSame: ['Aux/rack'] } } }), ['node2']);
    expect(lines(plan)).toEqual(['node2 db0: move node4']);
    // without the rule, node3 (rack b) is as good a choice as node4
    const noRack = cluster(four(racks), ['db0@node1', 'db0@node2', 'x@node4', 'y@node4']);
    expect(lines(planEvacuation(input(noRack), ['node2']))).toEqual(['node2 db0: move node3']);
    const blocked = planEvacuation(input(noRack, { rules: { db0: { replicasOnSame: ['Aux/rack'] }, x: {}, y: {} } }), ['node2']);
    expect(lines(blocked)).toEqual(['node2 db0: move node4']);
  });

  it('replicas-on-different keeps the replacement out of the rack of the remaining replicas', () => {
    const c = cluster(four(racks), ['db0@node1', 'db0@node2']);
    const plan = planEvacuation(input(c, { rules: { db0: { replicasOnDifferent: ['Aux/rack'] } } }), ['node2']);
    expect(lines(plan)).toEqual(['node2 db0: move node3']);
    // with node3 also leaving, no other rack is left: blocked, and the reason says which rule
    const both = planEvacuation(input(c, { rules: { db0: { replicasOnDifferent: ['Aux/rack'] } } }), ['node2', 'node3']);
    expect(both).toHaveLength(1);
    expect(both[0]!.action).toBe('blocked');
    expect(both[0]!.action === 'blocked' && both[0]!.reason).toMatch(/replicas-on-different|Aux\/rack/);
  });

  it('the group\'s storage pools win over the leaving replica\'s pool', () => {
    const c = cluster(four(), ['db0@node1', 'db0@node2']);
    const plan = planEvacuation(input(c, { rules: { db0: { storagePools: ['fast'] } } }), ['node2']);
    expect(plan[0]!.action).toBe('blocked');
    expect(plan[0]!.action === 'blocked' && plan[0]!.reason).toMatch(/fast/);
  });
});

describe('re-running the plan after a partial move', () => {
  it('reuses the replacement already recorded instead of placing another one', () => {
    // node3 got db0's replacement before a crash: the catalog holds db0 on node1, node2 (leaving), node3
    const c = cluster(four(), ['db0@node1', 'db0@node2', 'db0@node3']);
    const step = planReplicaMove(input(c, { leaving: ['node2'], recorded: [{ node: 'node2', resource: 'db0', target: 'node3' }] }), 'node2', 'db0');
    expect(step).toMatchObject({ action: 'move', target: 'node3', reused: true, onlyCopy: false });
    // and the whole plan does not add a fourth replica for it
    const plan = planEvacuation(input(c, { recorded: [{ node: 'node2', resource: 'db0', target: 'node3' }] }), ['node2']);
    expect(lines(plan)).toEqual(['node2 db0: move node3']);
  });

  it('places again when the recorded target lost its replica, and reports a replica already gone as null', () => {
    const c = cluster(four(), ['db0@node1', 'db0@node2']);
    const step = planReplicaMove(input(c, { recorded: [{ node: 'node2', resource: 'db0', target: 'node3' }] }), 'node2', 'db0');
    expect(step).toMatchObject({ action: 'move', reused: false });
    expect(planReplicaMove(input(c), 'node4', 'db0')).toBeNull();
  });

  it('a recorded drop stays a drop', () => {
    const c = cluster(four(), ['db0@node1', 'db0@node2', 'db0@node3']);
    const step = planReplicaMove(input(c, { kind: 'evict', recorded: [{ node: 'node2', resource: 'db0', target: null }] }), 'node2', 'db0');
    expect(step).toMatchObject({ action: 'drop', why: 'enough replicas' });
  });
});

describe('eviction and AutoEvictMinReplicaCount', () => {
  const c = cluster(four(), ['db0@node1', 'db0@node2', 'db0@node3', 'db1@node2', 'db1@node3']);

  it('only drops the replica when the others are at least the minimum', () => {
    const plan = planEvacuation(input(c, { kind: 'evict', rules: { db0: { minReplicaCount: 2 }, db1: { minReplicaCount: 2 } } }), ['node2']);
    expect(lines(plan)).toEqual(['node2 db0: drop', 'node2 db1: move node1']);
    expect(plan[0]).toMatchObject({ why: 'enough replicas' });
  });

  it('re-places every replica when the minimum is the full count, and drops all with a minimum of 1', () => {
    expect(lines(planEvacuation(input(c, { kind: 'evict', rules: { db0: { minReplicaCount: 3 }, db1: { minReplicaCount: 3 } } }), ['node2']))).toEqual(['node2 db0: move node4', 'node2 db1: move node1']);
    expect(lines(planEvacuation(input(c, { kind: 'evict', rules: { db0: { minReplicaCount: 1 }, db1: { minReplicaCount: 1 } } }), ['node2']))).toEqual(['node2 db0: drop', 'node2 db1: drop']);
  });

  it('never drops the last diskful replica, whatever the minimum', () => {
    const solo = cluster(four(), ['solo@node2']);
    const [step] = planEvacuation(input(solo, { kind: 'evict', rules: { solo: { minReplicaCount: 0 } } }), ['node2']);
    expect(step).toMatchObject({ action: 'move', onlyCopy: true });
  });

  it('an evacuation (not an eviction) moves the replica even above the minimum', () => {
    const plan = planEvacuation(input(c, { rules: { db0: { minReplicaCount: 1 } } }), ['node2']);
    expect(plan.map((s) => s.action)).toEqual(['move', 'move']);
  });
});
