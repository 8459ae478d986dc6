// `ferry node evacuate NODE [NODE...]` (workflow `evacuate/<node>`) and auto-evict's eviction
// (`evict/<node>`). Every resource on the node gets one replacement replica from the autoplacer
// (never on a node being evacuated), created with resource-create's node steps and synced until
// UpToDate; only then is the node's replica removed. Several resources resync at once (a limit on
// the network: a slot is held from making the new replica until it is UpToDate), each move under
// its resource lock, so a backup or another change of that resource waits its turn.
// A resource with no place to go is reported in the progress query with the placement's reason
// and tried again periodically or on the `retry` signal (a node was added).
//
// An eviction differs: the evicted node is offline, so it is left out of every .res at once (the
// replacement syncs from the surviving replicas), and with enough replicas left
// (DrbdOptions/AutoEvictMinReplicaCount) its replica is only dropped.
import {
  condition, continueAsNew, defineSignal, isCancellation, patched, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ControllerActivities, ResourceLayout } from '../activities/controller/activities.js';
import type { EvacuationNodeActivities } from '../activities/node/evacuation.js';
import type { VolumeReport } from '../activities/node/resources.js';
import { nodeQueueFor } from '../core/operations.js';
import { hostOf, removeFromNodes } from './delete-resource.js';
import { withResourceLock } from './resource-lock.js';
import type { OperationProgress } from '../core/progress.js';
import { computedProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError', 'PlacementError'] },
});

/**
 * Patch id: the new replica's volume report in the last resync look, and the old replica's removal in
 * parallel with the others' adjust. (Its catalog steps were local activities too, until replays of
 * concurrent moves showed the nondeterminism described at moveOne.)
 */
const LEAN_MOVE = 'evacuation-lean-move';

/** Short read-only looks at a host's DRBD state, on its own queue. */
export function syncOf(node: string) {
  return proxyActivities<EvacuationNodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, node),
    scheduleToCloseTimeout: '30 minutes',
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '5 seconds', nonRetryableErrorTypes: ['ValidationError', 'ConflictError'] },
  });
}

export interface EvacuateNodeInput {
  node: string;
  /** Every node of the same request (`ferry node evacuate node2 node3`): all are flagged first. */
  nodes?: string[];
  kind?: 'evacuate' | 'evict';
  /** Resources moved at once; default: the controller property Evacuation/MaxConcurrent, else 4. */
  maxConcurrent?: number;
  /** How often a blocked resource is tried again (ms); a `retry` signal tries at once. */
  retryIntervalMs?: number;
  /** Carried over continue-as-new. */
  carried?: { done: string[]; dropped: string[]; moved: { resource: string; target: string }[]; startedAt: number };
}

export interface ResourceMoveProgress {
  resource: string;
  target: string | null;
  phase: string;
  percentInSync: number;
  bytesTotal: number;
  bytesDone: number;
  etaSeconds: number | null;
}

/** core/progress's shape (resources as units, bytes of the replacements in sync) and the moves. */
export interface EvacuationProgress extends OperationProgress {
  node: string;
  kind: 'evacuate' | 'evict';
  moving: ResourceMoveProgress[];
  blocked: { resource: string; reason: string }[];
  bytesTotal: number;
  bytesDone: number;
  etaSeconds: number | null;
}

export interface EvacuateNodeResult {
  node: string;
  moved: { resource: string; target: string }[];
  dropped: string[];
}

export const retrySignal = defineSignal('retry');

/** Resync to a new replica, polled on its host until UpToDate. */
async function waitSynced(resource: string, target: string, m: ResourceMoveProgress, onProgress: () => void = () => undefined, report?: ResourceLayout): Promise<VolumeReport[] | undefined> {
  const started = Date.now();
  // the host looks every 200 ms for up to 2 s (histories from before: one look, then a 1 s timer)
  const onHost = patched('resync-wait-on-host');
  for (;;) {
    const p = onHost ? await syncOf(target).resyncProgress(resource, { waitMs: 2000, ...(report ? { report } : {}) }) : await syncOf(target).resyncProgress(resource);
    m.percentInSync = p.percentInSync;
    m.bytesDone = Math.round((m.bytesTotal * p.percentInSync) / 100);
    const elapsed = (Date.now() - started) / 1000;
    m.etaSeconds = p.etaSeconds ?? (p.percentInSync > 0 && elapsed > 0 ? Math.round((elapsed * (100 - p.percentInSync)) / p.percentInSync) : null);
    onProgress();
    if (p.upToDate) return p.volumes;
    if (!onHost) await sleep('1 second');
  }
}

/** The resource's new layout on every host of `layout`; the target gets its LVs and meta data first. */
async function configure(layout: ResourceLayout, target: string | null): Promise<void> {
  // one applyResource activity per host (histories from before: its four steps one by one)
  const onePerNode = patched('evacuation-one-activity-per-node');
  await Promise.all(layout.nodes.map(async (n) => {
    const host = hostOf(n.node);
    if (onePerNode) {
      await host.applyResource({ layout, isNew: n.node === target });
      return;
    }
    if (n.node === target) await host.ensureResourceVolumes(layout);
    await host.writeDrbdResourceFile(layout);
    if (n.node === target) await host.createDrbdMetadata(layout);
    await host.adjustDrbd(layout.resource);
  }));
}

export async function evacuateNode(input: EvacuateNodeInput): Promise<EvacuateNodeResult> {
  const kind = input.kind ?? 'evacuate';
  const node = input.node;
  upsertSearchAttributes({ FerryNode: [node], FerryOperation: [kind === 'evict' ? 'node-evict' : 'node-evacuate'] });
  const carried = input.carried ?? { done: [], dropped: [], moved: [], startedAt: Date.now() };
  const touched = new Set([node, ...carried.moved.map((m) => m.target)]);
  const done = new Set(carried.done);
  const moving = new Map<string, ResourceMoveProgress>();
  const blocked = new Map<string, string>();
  let totalResources = done.size;
  let phase = 'flagging the node';
  let retryRequested = false;
  setHandler(retrySignal, () => {
    retryRequested = true;
  });
  const shown = computedProgress((): EvacuationProgress => {
    const ms = [...moving.values()];
    const bytesTotal = ms.reduce((a, m) => a + m.bytesTotal, 0);
    const etas = ms.map((m) => m.etaSeconds).filter((x): x is number => x !== null);
    const message = ms.map((m) => `${m.resource}${m.target ? ` -> ${m.target}` : ''} ${m.phase}${m.bytesTotal ? ` ${m.percentInSync.toFixed(0)}%` : ''}`).join(', ');
    return {
      node, kind, phase, total: totalResources, done: done.size, unit: 'resources', moving: ms.map((m) => ({ ...m })),
      blocked: [...blocked].map(([resource, reason]) => ({ resource, reason })),
      bytesTotal, bytesDone: ms.reduce((a, m) => a + m.bytesDone, 0), etaSeconds: etas.length ? Math.max(...etas) : null,
      ...(message ? { message } : {}),
      blockedReason: blocked.size ? [...blocked].map(([r, why]) => `${r}: ${why}`).join('; ') : null,
    };
  });
  shown.show();

  await catalog.catalogBeginEvacuation({ nodes: [...new Set([node, ...(input.nodes ?? [])])], kind });

  // Moves run side by side, so their catalog steps and resource locks are queued activities, never
  // local ones: local activities resolved in one move while another's activity completes replay in
  // another order than they ran (see workflows/resource-lock.ts), a nondeterminism error.
  const moveOne = (resource: string, sizeBytes: number, onSynced: () => void = () => undefined): Promise<boolean> => withResourceLock(resource, async () => {
    const lean = patched(LEAN_MOVE);
    const cat = catalog;
    const plan = await cat.catalogPlanMove({ node, resource, kind });
    if (plan.action === 'gone') return true;
    if (plan.action === 'blocked') {
      blocked.set(resource, plan.reason);
      shown.show();
      return false;
    }
    blocked.delete(resource);
    const target = plan.action === 'move' ? plan.target : null;
    // FerryNode lists every node the evacuation touches, so `FerryNode="node3"` finds the
    // evacuation that moved a resource to node3 (histories from before: the evacuated node only)
    if (target && !touched.has(target) && patched('evacuation-targets-search-attribute')) {
      touched.add(target);
      upsertSearchAttributes({ FerryNode: [...touched] });
    }
    const m: ResourceMoveProgress = { resource, target, phase: target ? 'creating the replacement' : 'removing', percentInSync: 0, bytesTotal: target ? sizeBytes : 0, bytesDone: 0, etaSeconds: null };
    moving.set(resource, m);
    try {
      const layout = await cat.catalogResourceLayout(resource);
      // evicted nodes (this one when evicting, and any other) are unreachable: they leave every
      // .res now and nothing is asked of them
      const unreachable = plan.unreachable ?? (kind === 'evict' ? [node] : []);
      const live: ResourceLayout = unreachable.length ? { ...layout, nodes: layout.nodes.filter((n) => !unreachable.includes(n.node)) } : layout;
      if (target || unreachable.length) await configure(live, target);
      if (target) {
        m.phase = `syncing to ${target}`;
        shown.show();
        const volumes = await waitSynced(resource, target, m, shown.show, lean ? live : undefined);
        onSynced();
        // the new replica's volumes (disk state, allocation) as `r l` / `v l` show them (histories
        // from before: not recorded, listed as Unknown)
        if (lean) {
          await catalog.catalogRecordVolumes({ resource, node: target, volumes: volumes ?? await hostOf(target).reportResourceVolumes(live) });
        } else if (patched('evacuation-record-volumes')) {
          await catalog.catalogRecordVolumes({ resource, node: target, volumes: await hostOf(target).reportResourceVolumes(live) });
        }
      }
      m.phase = `removing from ${node}`;
      shown.show();
      if (kind === 'evacuate') await removeFromNodes(live, [node], { atOnce: lean });
      await cat.catalogFinishMove({ node, resource });
      if (target) carried.moved.push({ resource, target });
      else carried.dropped.push(resource);
      return true;
    } finally {
      moving.delete(resource);
    }
  }, { local: false });

  for (;;) {
    phase = 'looking for resources on the node';
    shown.show();
    const state = await catalog.catalogEvacuationState(node);
    const limit = Math.max(1, input.maxConcurrent ?? state.maxConcurrent);
    for (const r of state.resources) if (!done.has(r.resource)) blocked.delete(r.resource);
    totalResources = done.size + state.resources.length;
    if (state.resources.length === 0) break;
    phase = kind === 'evict' ? 'evicting resources' : 'moving resources';
    shown.show();
    const queue = [...state.resources];
    let progressed = false;
    const runOne = async (r: { resource: string; sizeBytes: number }, onSynced?: () => void): Promise<void> => {
      try {
        if (await moveOne(r.resource, r.sizeBytes, onSynced)) {
          done.add(r.resource);
          progressed = true;
          shown.show();
        }
      } catch (e) {
        if (isCancellation(e)) throw e;
        blocked.set(r.resource, `failed: ${(e as Error).message}; trying again`);
      }
    };
    if (patched(LEAN_MOVE)) {
      // the limit is on resyncs (the network): a slot is taken before the new replica is made and
      // given back once it is UpToDate, so the old replica's removal overlaps the next resync
      let free = limit;
      const running: Promise<void>[] = [];
      for (const r of queue) {
        await condition(() => free > 0);
        free -= 1;
        let held = true;
        const giveBack = (): void => {
          if (held) {
            held = false;
            free += 1;
          }
        };
        running.push(runOne(r, giveBack).finally(giveBack));
      }
      await Promise.all(running);
    } else {
      await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) await runOne(r);
      }));
    }
    if (blocked.size > 0 && !progressed) {
      phase = `blocked: ${blocked.size} resource${blocked.size === 1 ? '' : 's'} cannot be moved yet; trying again`;
      shown.show();
      retryRequested = false;
      await condition(() => retryRequested, input.retryIntervalMs ?? 10_000);
    }
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof evacuateNode>({ ...input, carried: { ...carried, done: [...done] } });
    }
  }
  phase = 'done';
  shown.show();
  await catalog.catalogFinishEvacuation(node);
  return { node, moved: carried.moved, dropped: carried.dropped };
}
