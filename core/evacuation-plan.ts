// The evacuation planner (pure): for every replica on the nodes that leave (evacuated or
// evicted), what happens to it: removed (diskless, or an eviction that leaves enough replicas),
// moved to one replacement chosen by the autoplacer with the resource group's rules
// (replicas-on-same/different, do-not-place-with, storage pools), or blocked with the placer's
// reason. Used by the dry run (`node evacuate --dry-run`, the refusal before starting) and by the
// workflow's step for one resource, so both decide alike. A replacement already recorded for a
// replica (a retried or re-issued evacuation after a partial move) is reused, never placed twice.
import { placeReplicas, type AuxMatchInput, type PlacedResource, type PlacementCluster } from './autoplacer.js';

/** What a resource's group tells the autoplacer, and the eviction's minimum replica count. */
export interface ReplicaRules {
  storagePools?: readonly string[];
  replicasOnSame?: readonly AuxMatchInput[];
  replicasOnDifferent?: readonly AuxMatchInput[];
  doNotPlaceWith?: readonly string[];
  doNotPlaceWithRegex?: string;
  /** DrbdOptions/AutoEvictMinReplicaCount as resolved (core/auto-evict.ts minReplicaCountOf). */
  minReplicaCount?: number;
}

export interface RecordedMove {
  node: string;
  resource: string;
  /** null: the replica is only dropped */
  target: string | null;
}

export interface EvacuationPlanInput {
  /** The cluster as the autoplacer sees it (nodes with flags and liveness, pools, every replica). */
  cluster: PlacementCluster;
  /** Every node leaving in this request or in another running evacuation: never a target. */
  leaving: readonly string[];
  kind: 'evacuate' | 'evict';
  /** By resource; absent: the autoplacer's defaults and the leaving replica's pool. */
  rules?: Readonly<Record<string, ReplicaRules>>;
  /** Replacements chosen earlier (catalog `evacuation_moves`). */
  recorded?: readonly RecordedMove[];
}

export type EvacuationStep = {
  node: string;
  resource: string;
  sizeBytes: number;
  /** The leaving nodes hold every diskful replica of the resource: without a target, its data would go. */
  onlyCopy: boolean;
} & (
  | { action: 'move'; target: string; storagePool: string; /** chosen earlier, not placed again */ reused: boolean }
  | { action: 'drop'; why: 'diskless' | 'enough replicas' }
  | { action: 'blocked'; reason: string }
);

const isDiskless = (r: PlacedResource) => Boolean(r.diskless) || (r.flags ?? []).includes('DISKLESS');

/** The plan of one replica in `cluster` (which already holds the replicas placed so far). */
function planOne(input: EvacuationPlanInput, cluster: PlacementCluster, node: string, replica: PlacedResource): EvacuationStep {
  const leaving = new Set(input.leaving);
  leaving.add(node);
  const all = cluster.resources.filter((r) => r.resource === replica.resource);
  const sizeBytes = replica.sizeBytes ?? 0;
  const remaining = all.filter((r) => !isDiskless(r) && !leaving.has(r.node));
  const base = { node, resource: replica.resource, sizeBytes, onlyCopy: remaining.length === 0 };
  if (isDiskless(replica)) return { ...base, action: 'drop', why: 'diskless' };
  const recorded = input.recorded?.find((m) => m.node === node && m.resource === replica.resource);
  if (recorded && recorded.target === null) return { ...base, action: 'drop', why: 'enough replicas' };
  if (recorded?.target) {
    const there = all.find((r) => r.node === recorded.target);
    if (there) return { ...base, onlyCopy: false, action: 'move', target: recorded.target, storagePool: there.storagePool ?? replica.storagePool ?? '', reused: true };
  }
  const rules = input.rules?.[replica.resource] ?? {};
  if (input.kind === 'evict') {
    // the guide: above AutoEvictMinReplicaCount the replica is only deleted, else re-placed
    const min = rules.minReplicaCount ?? all.filter((r) => !isDiskless(r)).length;
    if (remaining.length > 0 && remaining.length >= min) return { ...base, action: 'drop', why: 'enough replicas' };
  }
  // ferry does not turn a diskless replica diskful when placing: those nodes are left out too
  const disklessHolders = all.filter(isDiskless).map((r) => r.node);
  const pools = rules.storagePools?.length ? rules.storagePools : replica.storagePool ? [replica.storagePool] : undefined;
  try {
    const r = placeReplicas({
      resource: replica.resource,
      additional: 1,
      sizeBytes: Math.max(1, sizeBytes),
      ...(pools ? { storagePools: pools } : {}),
      ...(rules.replicasOnSame ? { replicasOnSame: rules.replicasOnSame } : {}),
      ...(rules.replicasOnDifferent ? { replicasOnDifferent: rules.replicasOnDifferent } : {}),
      ...(rules.doNotPlaceWith ? { doNotPlaceWith: rules.doNotPlaceWith } : {}),
      ...(rules.doNotPlaceWithRegex !== undefined ? { doNotPlaceWithRegex: rules.doNotPlaceWithRegex } : {}),
      excludeNodes: [...leaving, ...disklessHolders],
    }, { ...cluster, resources: cluster.resources.filter((r) => !(r.resource === replica.resource && leaving.has(r.node))) });
    const chosen = r.diskful[0]!;
    return { ...base, action: 'move', target: chosen.node, storagePool: chosen.storagePool, reused: false };
  } catch (e) {
    const notTarget = cluster.nodes.filter((n) => n.props?.AutoplaceTarget === 'false' && !leaving.has(n.name)).map((n) => n.name);
    const excluded = [...[...leaving].map((n) => `${n}: being ${input.kind === 'evict' ? 'evicted' : 'evacuated'}`), ...notTarget.map((n) => `${n}: AutoplaceTarget=false`)].sort();
    return { ...base, action: 'blocked', reason: `${(e as Error).message} (not considered: ${excluded.join(', ')})` };
  }
}

/** The step for one replica on `node` (the workflow's per-resource decision). */
export function planReplicaMove(input: EvacuationPlanInput, node: string, resource: string): EvacuationStep | null {
  const replica = input.cluster.resources.find((r) => r.resource === resource && r.node === node);
  return replica ? planOne(input, input.cluster, node, replica) : null;
}

/**
 * The whole plan for the replicas on `nodes`, node after node, resource by resource (by name).
 * Each chosen replacement counts as placed for the next decisions: a resource on two leaving
 * nodes gets two different targets, and replicas-on-different sees the first one.
 */
export function planEvacuation(input: EvacuationPlanInput, nodes: readonly string[]): EvacuationStep[] {
  const leaving = [...new Set([...input.leaving, ...nodes])];
  const ctx: EvacuationPlanInput = { ...input, leaving };
  let cluster = input.cluster;
  const out: EvacuationStep[] = [];
  for (const node of nodes) {
    const here = cluster.resources.filter((r) => r.node === node).sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
    for (const replica of here) {
      const step = planOne(ctx, cluster, node, replica);
      out.push(step);
      if (step.action === 'move' && !step.reused) {
        const placed: PlacedResource = { resource: replica.resource, node: step.target, storagePool: step.storagePool, sizeBytes: replica.sizeBytes ?? 0 };
        cluster = { ...cluster, resources: [...cluster.resources, placed] };
      }
    }
  }
  return out;
}
