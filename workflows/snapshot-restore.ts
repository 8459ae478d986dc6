// `ferry snapshot resource restore --from-resource RSC --from-snapshot SNAP --to-resource NEW`:
// a new resource definition (same volume sizes, a new DRBD port/minors/secret) deployed on the
// snapshot's nodes, each volume's LV a thin snapshot of the snapshot LV (the snapshot's bytes,
// no copy), then a new .res, create-md, adjust, the initial sync skipped, UpToDate. Holds the
// source's lock (the snapshot cannot be deleted meanwhile) and the new resource's.
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { hostOf } from './delete-resource.js';
import { snapshotCatalog, snapshotHost, type SnapshotProgress } from './snapshot-common.js';
import { computedProgress } from './progress.js';
import { snapshotLv, volumeLv } from './snapshot-rollback.js';
import { withResourceLock } from './resource-lock.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export interface RestoreSnapshotWorkflowInput {
  resource: string;
  snapshot: string;
  target: string;
}

export async function restoreResourceSnapshot(input: RestoreSnapshotWorkflowInput): Promise<{ resource: string; nodes: string[]; from: string }> {
  upsertSearchAttributes({ FerryResource: [input.target], FerryOperation: ['snapshot-restore'] });
  let progress: SnapshotProgress = { phase: 'waiting for the resource locks', done: 0, total: 0, unit: 'nodes', nodes: [] };
  const shown = computedProgress(() => progress);
  shown.show();
  return withResourceLock(input.resource, () => withResourceLock(input.target, async () => {
    const plan = await snapshotCatalog.catalogCreateRestoreTarget({ ...input, holder: workflowInfo().workflowId });
    const layout = await catalog.catalogResourceLayout(input.target);
    const nodes = layout.nodes.map((n) => n.node);
    upsertSearchAttributes({ FerryNode: nodes });
    progress = { phase: 'creating the volumes from the snapshot', done: 0, total: nodes.length, unit: 'nodes', nodes };
    shown.show();
    const token = `restore:${workflowInfo().workflowId}`;
    await Promise.all(layout.nodes.map(async (n) => {
      const held = plan.nodes.find((x) => x.node === n.node)!;
      await snapshotHost(n.node).replaceLvsFromSnapshot({
        token,
        volumes: plan.volumes.map((v) => ({ vg: held.vg, snapshotLv: snapshotLv(input.resource, v.volumeNumber, input.snapshot), lv: volumeLv(input.target, v.volumeNumber) })),
      });
      const host = hostOf(n.node);
      await host.writeDrbdResourceFile(layout);
      await host.createDrbdMetadata(layout);
      await host.adjustDrbd(layout.resource);
      progress = { ...progress, done: progress.done + 1 };
      shown.show();
    }));
    const diskful = layout.nodes.filter((n) => !n.diskless);
    if (diskful.length > 0) {
      progress = { ...progress, phase: 'skipping the initial sync (every replica holds the snapshot)' };
      shown.show();
      const first = [...diskful].sort((a, b) => a.nodeId - b.nodeId)[0]!;
      await hostOf(first.node).skipInitialSync({ resource: layout.resource, diskfulPeers: diskful.length - 1 });
    }
    progress = { ...progress, phase: 'waiting until all replicas are UpToDate' };
    shown.show();
    await Promise.all(layout.nodes.map((n) => hostOf(n.node).waitUpToDate(layout.resource)));
    for (const n of layout.nodes) {
      const volumes = await hostOf(n.node).reportResourceVolumes(layout);
      await catalog.catalogRecordVolumes({ resource: layout.resource, node: n.node, volumes });
    }
    progress = { ...progress, phase: 'done', done: nodes.length };
    shown.show();
    return { resource: input.target, nodes, from: `${input.resource}/${input.snapshot}` };
  }));
}
