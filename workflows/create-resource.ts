// `ferry resource create [NODE...] RSC --storage-pool POOL | --auto-place N`: placement and node
// ids in the catalog, then on every node (its own task queue): thin LVs, the .res, create-md,
// adjust; the initial sync skipped for thin volumes (new-current-uuid --clear-bitmap on one
// node); wait until every diskful replica is UpToDate; record what the nodes report.
import { patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities, PlaceResourceInput } from '../activities/controller/activities.js';
import { hostOf } from './delete-resource.js';
import { withResourceLock } from './resource-lock.js';
import { trackProgress, type ProgressTracker } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError', 'PlacementError'] },
});

/** The same catalog steps as local activities: run by the controller worker inside the workflow task. */
const localCatalog = proxyLocalActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError', 'PlacementError'] },
});

export type CreateResourceInput = PlaceResourceInput;

/**
 * Patch id: the catalog steps as local activities and one deployReplica activity per node (apply,
 * the initial-sync skip on one node, UpToDate and the volume report), so a create costs one
 * task-queue round trip per node instead of three, and none for the catalog.
 */
const LEAN = 'create-resource-lean';

/** Patch id: one applyResource / settleResource activity per node instead of four / two. */
const ONE_ACTIVITY_PER_NODE = 'create-resource-one-activity-per-node';
export { progressQuery } from './progress.js';

export async function createResource(input: CreateResourceInput): Promise<{ resource: string; nodes: string[]; added: string[] }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['resource-create'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 0, unit: 'nodes' });
  return withResourceLock(input.resource, () => deployResource(input, progress));
}

/**
 * The steps of `r create` under the caller's resource lock: place, configure every host, skip the
 * initial sync of new thin volumes, wait for UpToDate, record. `rg spawn` runs them too.
 */
export async function deployResource(input: CreateResourceInput, progress: ProgressTracker): Promise<{ resource: string; nodes: string[]; added: string[] }> {
  const lean = patched(LEAN);
  {
    progress.update({ phase: 'placing' });
    const { added, layout } = await (lean ? localCatalog : catalog).catalogPlaceResource(input);
    const nodes = layout.nodes.map((n) => n.node);
    upsertSearchAttributes({ FerryNode: nodes }); // a list: `FerryNode = "node2"` finds this create
    progress.update({ phase: 'configuring hosts', done: 0, total: nodes.length, message: nodes.join(', ') });
    const diskful = layout.nodes.filter((n) => !n.diskless);
    // a brand-new resource: every diskful replica is new; the first one skips the initial sync
    const skipOn = diskful.length > 0 && diskful.every((n) => added.includes(n.node)) ? [...diskful].sort((a, b) => a.nodeId - b.nodeId)[0]!.node : null;
    if (lean) {
      const reports = await Promise.all(layout.nodes.map(async (n) => {
        const volumes = await hostOf(n.node).deployReplica({
          layout,
          isNew: added.includes(n.node),
          ...(n.node === skipOn ? { skipInitialSync: { diskfulPeers: diskful.length - 1 } } : {}),
        });
        progress.update({ done: progress.get().done + 1, phase: 'waiting until all replicas are UpToDate' });
        return { node: n.node, volumes };
      }));
      await Promise.all(reports.map((r) => localCatalog.catalogRecordVolumes({ resource: layout.resource, node: r.node, volumes: r.volumes })));
      progress.update({ phase: 'done' });
      return { resource: input.resource, nodes, added };
    }
    // every node gets the new .res; new nodes get their LVs and meta data first (one activity per
    // node; workflows started before that change replay their four activities per node)
    const onePerNode = patched(ONE_ACTIVITY_PER_NODE);
    await Promise.all(layout.nodes.map(async (n) => {
      const host = hostOf(n.node);
      const isNew = added.includes(n.node);
      if (onePerNode) {
        await host.applyResource({ layout, isNew });
      } else {
        if (isNew) await host.ensureResourceVolumes(layout);
        await host.writeDrbdResourceFile(layout);
        if (isNew) await host.createDrbdMetadata(layout);
        await host.adjustDrbd(layout.resource);
      }
      progress.update({ done: progress.get().done + 1 });
    }));
    if (skipOn) {
      progress.update({ phase: 'skipping the initial sync (thin volumes)' });
      await hostOf(skipOn).skipInitialSync({ resource: layout.resource, diskfulPeers: diskful.length - 1 });
    }
    progress.update({ phase: 'waiting until all replicas are UpToDate', done: 0 });
    if (onePerNode) {
      await Promise.all(layout.nodes.map(async (n) => {
        const volumes = await hostOf(n.node).settleResource(layout);
        progress.update({ done: progress.get().done + 1 });
        await catalog.catalogRecordVolumes({ resource: layout.resource, node: n.node, volumes });
      }));
    } else {
      await Promise.all(layout.nodes.map(async (n) => {
        await hostOf(n.node).waitUpToDate(layout.resource);
        progress.update({ done: progress.get().done + 1 });
      }));
      for (const n of layout.nodes) {
        const volumes = await hostOf(n.node).reportResourceVolumes(layout);
        await catalog.catalogRecordVolumes({ resource: layout.resource, node: n.node, volumes });
      }
    }
    progress.update({ phase: 'done' });
    return { resource: input.resource, nodes, added };
  }
}
