// Controller activities of node evacuation, auto-evict, node restore / lost, toggle-disk and
// properties: the catalog side of their workflows. Placement goes through the exported placement
// of resources.ts (placementCandidates + placeReplicas). Each activity is idempotent: a retry of
// the same step converges (a replacement already chosen for a replica is returned again).
import { ApplicationFailure } from '@temporalio/activity';
import { connectionStatus, type NodeRecord } from '../../core/node-state.js';
import { resolveBoolean, resolveNumber } from '../../core/properties.js';
import type { Catalog, ResourceRecord } from './catalog/index.js';
import { DISKLESS_POOL } from './catalog/pools.js';
import type { EvacuationKind } from './catalog/evacuations.js';
import { placeReplicas, placementCandidates } from './resources.js';

export type { EvacuationKind } from './catalog/evacuations.js';

/** How many resources one evacuation moves at once unless told otherwise. */
export const DEFAULT_EVACUATION_CONCURRENCY = 4;
export const EVACUATION_CONCURRENCY_PROP = 'Evacuation/MaxConcurrent';

export type MovePlan =
  | { action: 'gone' }
  | { action: 'drop'; sizeBytes: number }
  | { action: 'move'; target: string; sizeBytes: number }
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

export interface AutoEvictNodeStatus {
  node: string;
  offlineForMs: number;
  /** ms until the node is evicted, null when it will not be (and why in `note`). */
  evictInMs: number | null;
  note?: string;
}

export interface AutoEvictScan {
  at: number;
  nodes: number;
  offline: string[];
  evict: string[];
  /** why nobody is evicted, when that is the rule that applied */
  holdReason: string | null;
  status: AutoEvictNodeStatus[];
}

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

async function sizeOf(catalog: Catalog, resource: string): Promise<number> {
  return (await catalog.resources.listVolumeDefinitions(resource)).reduce((a, v) => a + v.sizeBytes, 0);
}

const isDiskless = (r: ResourceRecord) => r.flags.includes('DISKLESS');

/**
 * One replacement node for `resource` out of the autoplacer's choice, never one of `exclude`
 * (nodes being evacuated) nor a node with AutoplaceTarget=false. `{ reason }` when none fits.
 */
export async function chooseReplacement(
  catalog: Catalog,
  resource: string,
  o: { storagePool: string; exclude: ReadonlySet<string>; now: number; offlineAfterMs: number; existing: number },
): Promise<{ target: string } | { reason: string }> {
  const nodes = await catalog.nodes.list();
  const notTarget = new Set(nodes.filter((n) => n.props.AutoplaceTarget === 'false').map((n) => n.name));
  const excluded = [...new Set([...o.exclude, ...notTarget])].sort();
  const candidates = (await placementCandidates(catalog, resource, o.now, o.offlineAfterMs)).filter((c) => !o.exclude.has(c.node) && !notTarget.has(c.node));
  try {
    const [chosen] = placeReplicas({ resource, count: 1, sizeBytes: await sizeOf(catalog, resource), storagePool: o.storagePool, existing: o.existing, candidates });
    return { target: chosen!.node };
  } catch (e) {
    const why = excluded.length ? ` (not considered: ${excluded.map((n) => `${n}: ${o.exclude.has(n) ? 'being evacuated' : 'AutoplaceTarget=false'}`).join(', ')})` : '';
    return { reason: `${(e as Error).message}${why}` };
  }
}

/** What evacuating `nodes` would do, resource by resource (the dry run, and the check before starting). */
export async function planEvacuation(catalog: Catalog, nodes: string[], now: number, offlineAfterMs: number): Promise<PlannedMove[]> {
  const exclude = new Set(nodes);
  const out: PlannedMove[] = [];
  const planned = new Map<string, Set<string>>();
  for (const node of nodes) {
    for (const r of await catalog.resources.list({ node })) {
      const all = await catalog.resources.list({ resource: r.resource });
      const elsewhere = all.filter((x) => !isDiskless(x) && !exclude.has(x.node)).length + (planned.get(r.resource)?.size ?? 0);
      const sizeBytes = await sizeOf(catalog, r.resource);
      if (isDiskless(r)) {
        out.push({ node, resource: r.resource, action: 'drop', onlyCopy: false, sizeBytes });
        continue;
      }
      const taken = planned.get(r.resource) ?? new Set<string>();
      const c = await chooseReplacement(catalog, r.resource, { storagePool: r.storagePool, exclude: new Set([...exclude, ...taken]), now, offlineAfterMs, existing: elsewhere });
      if ('target' in c) {
        taken.add(c.target);
        planned.set(r.resource, taken);
        out.push({ node, resource: r.resource, action: 'move', target: c.target, onlyCopy: elsewhere === 0, sizeBytes });
      } else {
        out.push({ node, resource: r.resource, action: 'blocked', reason: c.reason, onlyCopy: elsewhere === 0, sizeBytes });
      }
    }
  }
  return out;
}

/** A node property over the controller's, with a default. */
function nodeNumber(key: string, n: NodeRecord, ctrl: Record<string, string>, dflt: number): number {
  return resolveNumber(key, { node: n.props, controller: ctrl }, ['node', 'controller']) ?? dflt;
}

/** Which offline nodes auto-evict should evict now (pure; `minuteMs` is 60000 outside tests). */
export function autoEvictDecision(nodes: NodeRecord[], ctrl: Record<string, string>, now: number, offlineAfterMs: number, minuteMs: number): AutoEvictScan {
  const maxDisconnected = resolveNumber('DrbdOptions/AutoEvictMaxDisconnectedNodes', { controller: ctrl }, ['controller']) ?? 34;
  const live = nodes.filter((n) => !n.flags.includes('EVICTED'));
  const offline = live.filter((n) => n.lastSeenAt !== null && connectionStatus(n, now, offlineAfterMs) === 'OFFLINE');
  const share = live.length ? (offline.length * 100) / live.length : 0;
  let holdReason: string | null = null;
  if (maxDisconnected === 0) holdReason = 'auto-evict is off (DrbdOptions/AutoEvictMaxDisconnectedNodes=0)';
  else if (share > maxDisconnected) {
    holdReason = `${offline.length} of ${live.length} nodes are offline (${Math.round(share)}% > DrbdOptions/AutoEvictMaxDisconnectedNodes=${maxDisconnected}%): the controller's own connectivity is suspect, nobody is evicted`;
  }
  const status: AutoEvictNodeStatus[] = [];
  const evict: string[] = [];
  for (const n of offline) {
    const offlineForMs = now - (n.lastSeenAt ?? now);
    const afterMs = nodeNumber('DrbdOptions/AutoEvictAfterTime', n, ctrl, 60) * minuteMs;
    const allowed = resolveBoolean('DrbdOptions/AutoEvictAllowEviction', { node: n.props, controller: ctrl }, ['node', 'controller']) ?? true;
    if (!allowed) status.push({ node: n.name, offlineForMs, evictInMs: null, note: 'DrbdOptions/AutoEvictAllowEviction=false' });
    else if (holdReason) status.push({ node: n.name, offlineForMs, evictInMs: null, note: holdReason });
    else {
      const left = Math.max(0, afterMs - offlineForMs);
      status.push({ node: n.name, offlineForMs, evictInMs: left });
      if (left === 0) evict.push(n.name);
    }
  }
  return { at: now, nodes: live.length, offline: offline.map((n) => n.name), evict, holdReason, status };
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
      const r = await catalog.resources.get(input.resource, input.node);
      if (!r) return { action: 'gone' };
      const sizeBytes = await sizeOf(catalog, input.resource);
      const move = await catalog.evacuations.getMove(input.node, input.resource);
      if (move?.state === 'placed') {
        if (move.target === null) return { action: 'drop', sizeBytes };
        if (await catalog.resources.get(input.resource, move.target)) return { action: 'move', target: move.target, sizeBytes };
      }
      const all = await catalog.resources.list({ resource: input.resource });
      const nodes = await catalog.nodes.list();
      const leaving = new Set(nodes.filter((n) => n.flags.includes('EVACUATE') || n.flags.includes('EVICTED')).map((n) => n.name));
      leaving.add(input.node);
      const elsewhere = all.filter((x) => !isDiskless(x) && !leaving.has(x.node)).length;
      let drop = isDiskless(r);
      if (!drop && input.kind === 'evict') {
        const rd = await catalog.resources.getDefinition(input.resource);
        const ctrl = await catalog.evacuations.controllerProps();
        const min = resolveNumber('DrbdOptions/AutoEvictMinReplicaCount', { 'resource-definition': rd?.props, controller: ctrl }, ['resource-definition', 'controller'])
          ?? all.filter((x) => !isDiskless(x)).length;
        drop = elsewhere >= min && elsewhere > 0;
      }
      if (drop) {
        await catalog.evacuations.putMove({ node: input.node, resource: input.resource, target: null, state: 'placed' }, now());
        return { action: 'drop', sizeBytes };
      }
      const c = await chooseReplacement(catalog, input.resource, { storagePool: r.storagePool, exclude: leaving, now: now(), offlineAfterMs, existing: elsewhere });
      if ('reason' in c) return { action: 'blocked', reason: c.reason };
      await catalog.resources.createMany(input.resource, [{ node: c.target, storagePool: r.storagePool, flags: [] }], now());
      await catalog.evacuations.putMove({ node: input.node, resource: input.resource, target: c.target, state: 'placed' }, now());
      return { action: 'move', target: c.target, sizeBytes };
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
