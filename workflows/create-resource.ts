// `ferry resource create [NODE...] RSC --storage-pool POOL | --auto-place N`: placement and node
// ids in the catalog, then on every node (its own task queue): thin LVs, the .res, create-md,
// adjust; the initial sync skipped for thin volumes (new-current-uuid --clear-bitmap on one
// node); wait until every diskful replica is UpToDate; record what the nodes report.
import { proxyActivities, setHandler, defineQuery, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities, PlaceResourceInput } from '../activities/controller/activities.js';
import { hostOf } from './delete-resource.js';
import { withResourceLock } from './resource-lock.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError', 'PlacementError'] },
});

export type CreateResourceInput = PlaceResourceInput;
export const progressQuery = defineQuery<{ phase: string; nodes: string[] }>('progress');

export async function createResource(input: CreateResourceInput): Promise<{ resource: string; nodes: string[]; added: string[] }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['resource-create'] });
  let progress = { phase: 'waiting for the resource lock', nodes: [] as string[] };
  setHandler(progressQuery, () => progress);
  return withResourceLock(input.resource, async () => {
    progress = { phase: 'placing', nodes: [] };
    const { added, layout } = await catalog.catalogPlaceResource(input);
    const nodes = layout.nodes.map((n) => n.node);
    progress = { phase: 'configuring hosts', nodes };
    // every node gets the new .res; new nodes get their LVs and meta data first
    await Promise.all(layout.nodes.map(async (n) => {
      const host = hostOf(n.node);
      if (added.includes(n.node)) await host.ensureResourceVolumes(layout);
      await host.writeDrbdResourceFile(layout);
      if (added.includes(n.node)) await host.createDrbdMetadata(layout);
      await host.adjustDrbd(layout.resource);
    }));
    const diskful = layout.nodes.filter((n) => !n.diskless);
    // a brand-new resource: every diskful replica is new; skip the initial sync on the first one
    if (diskful.length > 0 && diskful.every((n) => added.includes(n.node))) {
      progress = { phase: 'skipping the initial sync (thin volumes)', nodes };
      const first = [...diskful].sort((a, b) => a.nodeId - b.nodeId)[0]!;
      await hostOf(first.node).skipInitialSync({ resource: layout.resource, diskfulPeers: diskful.length - 1 });
    }
    progress = { phase: 'waiting until all replicas are UpToDate', nodes };
    await Promise.all(layout.nodes.map((n) => hostOf(n.node).waitUpToDate(layout.resource)));
    progress = { phase: 'recording', nodes };
    for (const n of layout.nodes) {
      const volumes = await hostOf(n.node).reportResourceVolumes(layout);
      await catalog.catalogRecordVolumes({ resource: layout.resource, node: n.node, volumes });
    }
    progress = { phase: 'done', nodes };
    return { resource: input.resource, nodes, added };
  });
}
