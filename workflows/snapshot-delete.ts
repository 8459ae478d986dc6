// `ferry snapshot delete RSC SNAP`: under the resource's lock, the snapshot is marked Deleting,
// its LVs are removed on every node that holds them (absent = removed), then the catalog forgets it.
import { upsertSearchAttributes } from '@temporalio/workflow';
import { snapshotCatalog, snapshotCleanupHost, type SnapshotProgress } from './snapshot-common.js';
import { computedProgress } from './progress.js';
import { volumesOn } from './snapshot-create.js';
import { withResourceLock } from './resource-lock.js';

export async function deleteResourceSnapshot(input: { resource: string; snapshot: string }): Promise<{ resource: string; snapshot: string; nodes: string[] }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['snapshot-delete'] });
  let progress: SnapshotProgress = { phase: 'waiting for the resource lock', done: 0, total: 0, unit: 'nodes', nodes: [] };
  const shown = computedProgress(() => progress);
  shown.show();
  return withResourceLock(input.resource, async () => {
    const plan = await snapshotCatalog.catalogSnapshotPlan({ ...input, markDeleting: true });
    const nodes = plan.nodes.map((n) => n.node);
    upsertSearchAttributes({ FerryNode: nodes });
    progress = { phase: 'removing snapshot LVs', done: 0, total: nodes.length, unit: 'nodes', nodes };
    shown.show();
    await Promise.all(nodes.map(async (n) => {
      await snapshotCleanupHost(n).deleteSnapshot({ resource: input.resource, snapshot: input.snapshot, volumes: volumesOn(plan, n) });
      progress = { ...progress, done: progress.done + 1 };
      shown.show();
    }));
    await snapshotCatalog.catalogForgetSnapshot(input);
    progress = { ...progress, phase: 'done' };
    shown.show();
    return { ...input, nodes };
  });
}
