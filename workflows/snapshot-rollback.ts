// `ferry snapshot rollback RSC SNAP`: the resource's content on every replica becomes the
// snapshot's. Refused (nothing changed) unless SNAP is the resource's most recent snapshot, every
// diskful replica has it and the resource is unused (Secondary) everywhere. Then, under the lock:
// `drbdadm down` everywhere; on each diskful node the volume LVs are replaced by thin snapshots of
// the snapshot LVs; new DRBD meta data; `adjust`; the initial sync skipped (every replica holds
// the same snapshot content); wait until UpToDate. The snapshot stays.
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { proxyActivities } from '@temporalio/workflow';
import { hostOf } from './delete-resource.js';
import { snapshotCatalog, snapshotHost, type SnapshotProgress } from './snapshot-common.js';
import { computedProgress } from './progress.js';
import { withResourceLock } from './resource-lock.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export const snapshotLv = (resource: string, vlmNr: number, snapshot: string) => `${resource}_${String(vlmNr).padStart(5, '0')}_${snapshot}`;
export const volumeLv = (resource: string, vlmNr: number) => `${resource}_${String(vlmNr).padStart(5, '0')}`;

export async function rollbackResourceSnapshot(input: { resource: string; snapshot: string }): Promise<{ resource: string; snapshot: string; nodes: string[] }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['snapshot-rollback'] });
  let progress: SnapshotProgress = { phase: 'waiting for the resource lock', done: 0, total: 0, unit: 'nodes', nodes: [] };
  const shown = computedProgress(() => progress);
  shown.show();
  return withResourceLock(input.resource, async () => {
    const plan = await snapshotCatalog.catalogCheckRollback(input);
    const layout = await catalog.catalogResourceLayout(input.resource);
    const nodes = layout.nodes.map((n) => n.node);
    upsertSearchAttributes({ FerryNode: nodes });
    progress = { phase: 'checking that the resource is unused', done: 0, total: nodes.length, unit: 'nodes', nodes };
    shown.show();
    await Promise.all(nodes.map((n) => snapshotHost(n).assertResourceUnused(input.resource)));

    progress = { ...progress, phase: 'taking the resource down' };

    shown.show();
    await Promise.all(nodes.map((n) => snapshotHost(n).downResource(input.resource)));

    progress = { ...progress, phase: 'restoring the volumes from the snapshot', done: 0 };

    shown.show();
    const diskful = layout.nodes.filter((n) => !n.diskless);
    const token = `rollback:${workflowInfo().runId}`;
    await Promise.all(diskful.map(async (n) => {
      const held = plan.nodes.find((x) => x.node === n.node)!;
      await snapshotHost(n.node).replaceLvsFromSnapshot({
        token,
        volumes: plan.volumes.map((v) => ({ vg: held.vg, snapshotLv: snapshotLv(input.resource, v.volumeNumber, input.snapshot), lv: volumeLv(input.resource, v.volumeNumber) })),
      });
      progress = { ...progress, done: progress.done + 1 };
      shown.show();
    }));

    progress = { ...progress, phase: 'bringing DRBD up on the restored volumes', done: 0 };

    shown.show();
    await Promise.all(layout.nodes.map(async (n) => {
      const host = hostOf(n.node);
      await host.writeDrbdResourceFile(layout);
      await host.createDrbdMetadata(layout);
      await host.adjustDrbd(layout.resource);
    }));
    if (diskful.length > 0) {
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
    return { ...input, nodes };
  });
}
