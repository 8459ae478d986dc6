// Controller activities of node evacuation, auto-evict, node restore / lost, toggle-disk and
// properties: the catalog side of their workflows. Placement goes through the exported placement
// planner of core/evacuation-plan.ts on the autoplacer's view of the catalog (placementCluster),
// with each resource group's rules. Each activity is idempotent: a retry of
// the same step converges (a replacement already chosen for a replica is returned again).
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { evacuationIds } from '../../core/evacuation.js';
import { autoEvictDecision, minReplicaCountOf, type AutoEvictScan } from '../../core/auto-evict.js';
import { planEvacuation as planEvacuationSteps, planReplicaMove, type EvacuationPlanInput, type RecordedMove, type ReplicaRules } from '../../core/evacuation-plan.js';
import type { NodeRecord } from '../../core/node-state.js';
import type { Catalog } from '../../catalog/index.js';
import { DISKLESS_POOL } from '../../catalog/pools.js';
import type { EvacuationKind } from '../../catalog/evacuations.js';
import { placementCluster } from './placement.js';
import { DEFAULT_PLACE_COUNT } from './resource-groups.js';

export type { EvacuationKind } from '../../catalog/evacuations.js';
export type { AutoEvictNodeStatus, AutoEvictScan } from '../../core/auto-evict.js';

/** How many resources one evacuation moves at once unless told otherwise. */
export const DEFAULT_EVACUATION_CONCURRENCY = 4;
export const EVACUATION_CONCURRENCY_PROP = 'Evacuation/MaxConcurrent';

/** `unreachable`: replicas' nodes flagged EVICTED; host steps leave them out (nobody can ask them). */
export type MovePlan =
  | { action: 'gone' }
  | { action: 'drop'; sizeBytes: number; unreachable: string[] }
  | { action: 'move'; target: string; sizeBytes: number; unreachable: string[] }
  | { action: 'blocked'; reason: string };

export interface PlannedMove {
  node: string;
  resource: string;
  action: 'move' | 'drop' | 'blocked';
  target?: string;
  reason?: string;
  /** The node holds the resource's only diskful replicas: no target means the evacuation cannot start. */
  onlyCopy: boolean;
  sizeBytes: number;
}

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

async function sizeOf(catalog: Catalog, resource: string): Promise<number> {
  return (await catalog.resources.listVolumeDefinitions(resource)).reduce((a, v) => a + v.sizeBytes, 0);
}

/**
 * The planner's input from the catalog: the autoplacer's view of the cluster, each resource's
 * group rules and minimum replica count, the replacements already recorded for `replicas`.
 */
async function planInput(catalog: Catalog, kind: EvacuationKind, extraLeaving: readonly string[], replicas: readonly { node: string; resource: string }[], t: number, offlineAfterMs: number): Promise<EvacuationPlanInput> {
  const cluster = await placementCluster(catalog, t, offlineAfterMs);
  // nodes flagged EVACUATE or EVICTED are never targets of any evacuation
  const flagged = cluster.nodes.filter((n) => n.flags?.includes('EVACUATE') || n.flags?.includes('EVICTED')).map((n) => n.name);
  const ctrl = await catalog.evacuations.controllerProps();
  const rules: Record<string, ReplicaRules> = {};
  const recorded: RecordedMove[] = [];
  for (const resource of new Set(replicas.map((r) => r.resource))) {
    const rd = await catalog.resources.getDefinition(resource);
    const rg = rd ? await catalog.resourceGroups.get(rd.resourceGroup) : undefined;
    const sf = rg?.selectFilter ?? {};
    rules[resource] = {
      ...(sf.storagePool?.length ? { storagePools: sf.storagePool } : {}),
      ...(sf.replicasOnSame ? { replicasOnSame: sf.replicasOnSame } : {}),
      ...(sf.replicasOnDifferent ? { replicasOnDifferent: sf.replicasOnDifferent } : {}),
      ...(sf.doNotPlaceWith ? { doNotPlaceWith: sf.doNotPlaceWith } : {}),
      ...(sf.doNotPlaceWithRegex !== undefined ? { doNotPlaceWithRegex: sf.doNotPlaceWithRegex } : {}),
      minReplicaCount: minReplicaCountOf({ ...(rd ? { rd: rd.props } : {}), ...(rg ? { rg: rg.props } : {}), controller: ctrl }, sf.placeCount ?? DEFAULT_PLACE_COUNT),
    };
  }
  for (const r of replicas) {
    const m = await catalog.evacuations.getMove(r.node, r.resource);
    if (m && m.state === 'placed') recorded.push({ node: r.node, resource: r.resource, target: m.target });
  }
  return { cluster, kind, rules, recorded, leaving: [...new Set([...flagged, ...extraLeaving])] };
}

/** What evacuating `nodes` would do, resource by resource (the dry run, and the check before starting). */
export async function planEvacuation(catalog: Catalog, nodes: string[], now: number, offlineAfterMs: number): Promise<PlannedMove[]> {
  const replicas: { node: string; resource: string }[] = [];
  for (const node of nodes) for (const r of await catalog.resources.list({ node })) replicas.push({ node, resource: r.resource });
  const steps = planEvacuationSteps(await planInput(catalog, 'evacuate', nodes, replicas, now, offlineAfterMs), nodes);
  return steps.map((s) => ({
    node: s.node, resource: s.resource, action: s.action, onlyCopy: s.onlyCopy, sizeBytes: s.sizeBytes,
    ...(s.action === 'move' ? { target: s.target } : s.action === 'blocked' ? { reason: s.reason } : {}),
  }));
}

export function createEvacuationActivities(deps: { catalog: Catalog; now?: () => number; offlineAfterMs?: number }) {
  const now = deps.now ?? Date.now;
  const offlineAfterMs = deps.offlineAfterMs ?? 15_000;
  const { catalog } = deps;

  async function requireNode(node: string): Promise<NodeRecord> {
    const n = await catalog.nodes.get(node);
    if (!n) throw fail('NotFoundError', `node '${node}' not found`);
    return n;
  }

  return {
    /**
     * `node lost`: cancels a running evacuation or eviction of the node (`evacuate/NODE`,
     * `evict/NODE`) and waits until it has ended, its clean-up done (locks given back), so that
     * nothing moves replicas of a node that is being forgotten. Heartbeats while it waits; a retry
     * after a controller restart cancels again (idempotent) and waits again.
     */
    async catalogStopNodeMoves(input: { node: string }): Promise<{ stopped: string[] }> {
      const ctx = Context.current();
      const stopped: string[] = [];
      for (const id of [evacuationIds.evacuate(input.node), evacuationIds.evict(input.node)]) {
        const handle = ctx.client.workflow.getHandle(id);
        const d = await handle.describe().catch((e: unknown) => { if (e instanceof WorkflowNotFoundError) return null; throw e; });
        if (!d || d.status.name !== 'RUNNING') continue;
        await handle.cancel();
        const beat = setInterval(() => ctx.heartbeat(id), 2_000);
        try {
          await handle.result().catch(() => undefined); // ends CANCELLED (or failed in its clean-up): either way, over
        } finally {
          clearInterval(beat);
        }
        stopped.push(id);
      }
      return { stopped };
    },

    /**
     * Flags every node of one evacuation request (EVACUATE and AutoplaceTarget=false, or EVICTED),
     * so that none of them is chosen as a target for another's resources; starts their rows.
     */
    async catalogBeginEvacuation(input: { nodes: string[]; kind: EvacuationKind }): Promise<void> {
      for (const node of input.nodes) {
        const n = await requireNode(node);
        const setTarget = input.kind === 'evacuate' && n.props.AutoplaceTarget === undefined;
        const existing = await catalog.evacuations.get(node);
        await catalog.evacuations.begin(node, input.kind, setTarget || Boolean(existing && existing.finishedAt === null && existing.setAutoplaceTarget), now());
        await catalog.evacuations.changeNodeFlags(node, [input.kind === 'evict' ? 'EVICTED' : 'EVACUATE'], []);
        if (setTarget) await catalog.evacuations.setNodeProps(node, { AutoplaceTarget: 'false' });
      }
    },

    /** Resources still on the node, and how many resources one evacuation moves at once. */
    async catalogEvacuationState(node: string): Promise<{ resources: { resource: string; sizeBytes: number }[]; maxConcurrent: number }> {
      const rs = await catalog.resources.list({ node });
      const ctrl = await catalog.evacuations.controllerProps();
      const max = Number(ctrl[EVACUATION_CONCURRENCY_PROP] ?? DEFAULT_EVACUATION_CONCURRENCY);
      const resources = [];
      for (const r of rs) resources.push({ resource: r.resource, sizeBytes: await sizeOf(catalog, r.resource) });
      return { resources, maxConcurrent: Number.isInteger(max) && max > 0 ? max : DEFAULT_EVACUATION_CONCURRENCY };
    },

    /**
     * The next step for one replica on an evacuated/evicted node: nothing (moved already), drop it
     * (diskless, or enough replicas left after an eviction), move it to a replacement (chosen once,
     * recorded, and reused by any retry), or blocked with the placement's reason.
     */
    async catalogPlanMove(input: { node: string; resource: string; kind: EvacuationKind }): Promise<MovePlan> {
      const t = now();
      const plan = await planInput(catalog, input.kind, [input.node], [input], t, offlineAfterMs);
      const step = planReplicaMove(plan, input.node, input.resource);
      if (!step) return { action: 'gone' };
      if (step.action === 'blocked') return { action: 'blocked', reason: step.reason };
      const evicted = new Set(plan.cluster.nodes.filter((n) => n.flags?.includes('EVICTED')).map((n) => n.name));
      if (input.kind === 'evict') evicted.add(input.node);
      const unreachable = plan.cluster.resources.filter((r) => r.resource === input.resource && evicted.has(r.node)).map((r) => r.node).sort();
      if (step.action === 'drop') {
        await catalog.evacuations.putMove({ node: input.node, resource: input.resource, target: null, state: 'placed' }, t);
        return { action: 'drop', sizeBytes: step.sizeBytes, unreachable };
      }
      if (!step.reused) {
        // the choice first: a crash before the replica row leaves a recorded target without a
        // replica, which the next attempt places again; the other order could leave a replica
        // that no record names, and a second one would be placed next to it
        await catalog.evacuations.putMove({ node: input.node, resource: input.resource, target: step.target, state: 'placed' }, t);
        await catalog.resources.createMany(input.resource, [{ node: step.target, storagePool: step.storagePool, flags: [] }], t);
      }
      return { action: 'move', target: step.target, sizeBytes: step.sizeBytes, unreachable };
    },

    /** The replica on the node is gone from the hosts: the catalog forgets it. */
    async catalogFinishMove(input: { node: string; resource: string }): Promise<void> {
      const move = await catalog.evacuations.getMove(input.node, input.resource);
      await catalog.resources.delete(input.resource, input.node);
      if (move) await catalog.evacuations.putMove({ ...move, state: 'done' }, now());
    },

    async catalogFinishEvacuation(node: string): Promise<void> {
      await catalog.evacuations.finish(node, now());
    },

    /**
     * `node restore` of an EVICTED node, before its flag is cleared: what stays on the host (the
     * resources the catalog still places there, e.g. those auto-evict could not re-place) and the
     * names of what may be left over on it (every resource definition, every resource moved away).
     */
    async catalogStaleResources(node: string): Promise<{ evicted: boolean; keep: string[]; candidates: string[] }> {
      const n = await requireNode(node);
      const keep = (await catalog.resources.list({ node })).map((r) => r.resource);
      const names = new Set((await catalog.resources.listDefinitions()).map((d) => d.name));
      for (const m of await catalog.evacuations.listMoves(node)) names.add(m.resource);
      for (const k of keep) names.delete(k);
      return { evicted: n.flags.includes('EVICTED'), keep: keep.sort(), candidates: [...names].sort() };
    },

    /** `node restore`: EVACUATE / EVICTED cleared, AutoplaceTarget back if the evacuation set it. */
    async catalogRestoreNode(node: string): Promise<{ node: string; wasEvicted: boolean; wasEvacuating: boolean }> {
      const n = await requireNode(node);
      const rec = await catalog.evacuations.forget(node);
      await catalog.evacuations.changeNodeFlags(node, [], ['EVACUATE', 'EVICTED']);
      if (rec?.setAutoplaceTarget && n.props.AutoplaceTarget === 'false') await catalog.evacuations.setNodeProps(node, { AutoplaceTarget: null });
      return { node, wasEvicted: n.flags.includes('EVICTED'), wasEvacuating: n.flags.includes('EVACUATE') };
    },

    /** `node lost`: the node leaves the catalog once its resources are gone (its pools go with it). */
    async catalogForgetNode(node: string): Promise<boolean> {
      for (const r of await catalog.resources.list({ node })) await catalog.resources.delete(r.resource, node);
      await catalog.evacuations.forget(node);
      return catalog.nodes.delete(node);
    },

    /** `ferry resource toggle-disk`: the replica's storage pool and DISKLESS flag in the catalog. */
    async catalogSetReplicaDisk(input: { resource: string; node: string; storagePool: string | null }): Promise<void> {
      const r = await catalog.resources.get(input.resource, input.node);
      if (!r) throw fail('NotFoundError', `resource '${input.resource}' not found on node '${input.node}'`);
      const diskless = input.storagePool === null;
      if (!diskless && !(await catalog.storagePools.get(input.node, input.storagePool!))) {
        throw fail('NotFoundError', `storage pool '${input.storagePool}' not found on node '${input.node}'`);
      }
      const flags: string[] = r.flags.filter((f) => f !== 'DISKLESS');
      if (diskless) flags.push('DISKLESS');
      await catalog.evacuations.setReplicaDisk(input.resource, input.node, diskless ? DISKLESS_POOL : input.storagePool!, flags);
    },

    /** Node or controller properties (`set-property`); values validated by the API. */
    async catalogSetProperties(input: { node?: string; changes: Record<string, string | null> }): Promise<void> {
      if (input.node) {
        if (!(await catalog.evacuations.setNodeProps(input.node, input.changes))) throw fail('NotFoundError', `node '${input.node}' not found`);
      } else {
        await catalog.evacuations.setControllerProps(input.changes);
      }
    },

    /** Auto-evict's look at node liveness (last_seen in the catalog) and its properties. */
    async catalogAutoEvictScan(input: { minuteMs: number }): Promise<AutoEvictScan> {
      return autoEvictDecision(await catalog.nodes.list(), await catalog.evacuations.controllerProps(), now(), offlineAfterMs, input.minuteMs);
    },
  };
}

export type EvacuationControllerActivities = ReturnType<typeof createEvacuationActivities>;
