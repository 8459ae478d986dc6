// `ferry resource toggle-disk NODE RSC --storage-pool POOL [--migrate-from SOURCE]` and
// `... --diskless` (workflow `toggle-disk/<rsc>/<node>`), under the resource lock.
// To diskful: the catalog records the pool, the node gets its thin LVs and meta data, every node
// the new .res and adjust (DRBD attaches the disk and syncs it from the peers); wait until it is
// UpToDate; with --migrate-from the source replica is then removed (LINSTOR's disk migration:
// redundancy never drops). To diskless: the .res says `disk none`, adjust detaches, LVs removed.
import { patched, proxyActivities, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import type { EvacuationNodeActivities } from '../activities/node/evacuation.js';
import { nodeQueueFor } from '../core/operations.js';
import { hostOf, removeFromNodes } from './delete-resource.js';
import { syncOf, type ResourceMoveProgress } from './evacuate-node.js';
import { withResourceLock } from './resource-lock.js';
import { computedProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError', 'PlacementError'] },
});

export interface ToggleDiskInput {
  resource: string;
  node: string;
  /** The pool of the new disk; null: make the replica diskless. */
  storagePool: string | null;
  migrateFrom?: string;
}


export async function toggleDisk(input: ToggleDiskInput): Promise<{ resource: string; node: string; diskless: boolean; removedFrom: string | null }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryNode: [input.node], FerryOperation: ['toggle-disk'] });
  const m: ResourceMoveProgress = { resource: input.resource, target: input.node, phase: 'waiting for the resource lock', percentInSync: 0, bytesTotal: 0, bytesDone: 0, etaSeconds: null };
  // core/progress's shape (the replica as the unit, the new disk's bytes in sync) and the move's fields
  const shown = computedProgress(() => ({ ...m, done: m.phase === 'done' ? 1 : 0, total: 1, unit: 'replicas' }));
  const phase = (p: string) => {
    m.phase = p;
    shown.show();
  };
  shown.show();
  return withResourceLock(input.resource, async () => {
    phase('recording');
    const before = await catalog.catalogResourceLayout(input.resource);
    const oldVg = before.nodes.find((n) => n.node === input.node)?.vg ?? null;
    await catalog.catalogSetReplicaDisk({ resource: input.resource, node: input.node, storagePool: input.storagePool });
    const layout = await catalog.catalogResourceLayout(input.resource);
    m.bytesTotal = input.storagePool ? layout.volumes.reduce((a, v) => a + v.sizeBytes, 0) : 0;
    phase(input.storagePool ? 'adding the disk' : 'detaching the disk');
    await Promise.all(layout.nodes.map(async (n) => {
      const host = hostOf(n.node);
      if (n.node === input.node && input.storagePool) await host.ensureResourceVolumes(layout);
      await host.writeDrbdResourceFile(layout);
      if (n.node === input.node && input.storagePool) await host.createDrbdMetadata(layout);
      await host.adjustDrbd(layout.resource);
    }));
    if (input.storagePool) {
      phase('syncing the new disk');
      const onHost = patched('resync-wait-on-host');
      for (;;) {
        const p = onHost ? await syncOf(input.node).resyncProgress(input.resource, { waitMs: 2000 }) : await syncOf(input.node).resyncProgress(input.resource);
        m.percentInSync = p.percentInSync;
        m.bytesDone = Math.round((m.bytesTotal * p.percentInSync) / 100);
        m.etaSeconds = p.etaSeconds;
        shown.show();
        if (p.upToDate) break;
        if (!onHost) await sleep('1 second');
      }
      // the new disk's volumes as `r l` / `v l` show them (histories from before: not recorded)
      if (patched('toggle-disk-record-volumes')) {
        await catalog.catalogRecordVolumes({ resource: input.resource, node: input.node, volumes: await hostOf(input.node).reportResourceVolumes(layout) });
      }
    } else if (oldVg) {
      await diskOps(input.node).removeResourceVolumes({ resource: input.resource, vg: oldVg, volumeNumbers: layout.volumes.map((v) => v.volumeNumber) });
    }
    let removedFrom: string | null = null;
    if (input.migrateFrom) {
      phase(`removing the disk from ${input.migrateFrom}`);
      await removeFromNodes(layout, [input.migrateFrom]);
      await catalog.catalogDeleteResource({ resource: input.resource, node: input.migrateFrom });
      removedFrom = input.migrateFrom;
    }
    phase('done');
    return { resource: input.resource, node: input.node, diskless: !input.storagePool, removedFrom };
  });
}

function diskOps(node: string) {
  return proxyActivities<EvacuationNodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, node),
    scheduleToCloseTimeout: '10 minutes',
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', nonRetryableErrorTypes: ['ValidationError'] },
  });
}
