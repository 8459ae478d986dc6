// `ferry resource delete NODE RSC`: drbdadm down, .res removed, LVs removed on that host; the
// remaining nodes drop it from their .res (adjust); then the catalog forgets it.
import { patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities, ResourceLayout } from '../activities/controller/activities.js';
import type { ResourceNodeActivities } from '../activities/node/resources.js';
import { nodeQueueFor } from '../core/operations.js';
import { withResourceLock } from './resource-lock.js';
import { trackProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export function hostOf(node: string) {
  return proxyActivities<ResourceNodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, node),
    scheduleToCloseTimeout: '10 minutes',
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', nonRetryableErrorTypes: ['ValidationError', 'ConflictError'] },
  });
}

/**
 * Takes the resource off `nodes`; the others are adjusted to the smaller layout. With `atOnce`
 * both happen in parallel (each host's step stands alone: the removed node goes down, the others
 * drop it from their .res); otherwise the removal comes first.
 */
export async function removeFromNodes(layout: ResourceLayout, nodes: string[], opts: { atOnce?: boolean } = {}): Promise<void> {
  if (opts.atOnce) {
    const rest: ResourceLayout = { ...layout, nodes: layout.nodes.filter((n) => !nodes.includes(n.node)) };
    await Promise.all([
      ...layout.nodes.filter((n) => nodes.includes(n.node)).map((n) =>
        hostOf(n.node).removeResourceFromHost({ resource: layout.resource, vg: n.diskless ? null : n.vg, volumeNumbers: layout.volumes.map((v) => v.volumeNumber) })),
      ...rest.nodes.map((n) => hostOf(n.node).applyResource({ layout: rest, isNew: false })),
    ]);
    return;
  }
  await Promise.all(layout.nodes.filter((n) => nodes.includes(n.node)).map((n) =>
    hostOf(n.node).removeResourceFromHost({ resource: layout.resource, vg: n.diskless ? null : n.vg, volumeNumbers: layout.volumes.map((v) => v.volumeNumber) })));
  const rest: ResourceLayout = { ...layout, nodes: layout.nodes.filter((n) => !nodes.includes(n.node)) };
  // one applyResource (.res + adjust) per remaining host (histories from before: two activities)
  const onePerNode = patched('remove-one-activity-per-node');
  await Promise.all(rest.nodes.map(async (n) => {
    const host = hostOf(n.node);
    if (onePerNode) {
      await host.applyResource({ layout: rest, isNew: false });
      return;
    }
    await host.writeDrbdResourceFile(rest);
    await host.adjustDrbd(rest.resource);
  }));
}

export async function deleteResource(input: { resource: string; node: string }): Promise<{ resource: string; node: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryNode: [input.node], FerryOperation: ['resource-delete'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 1, unit: 'nodes' });
  return withResourceLock(input.resource, async () => {
    const layout = await catalog.catalogResourceLayout(input.resource);
    progress.update({ phase: `removing from ${input.node} (drbdadm down, lvremove), adjusting the others` });
    if (layout.nodes.some((n) => n.node === input.node)) await removeFromNodes(layout, [input.node]);
    progress.update({ phase: 'removing from the catalog', done: 1 });
    const deleted = await catalog.catalogDeleteResource(input);
    progress.update({ phase: 'done' });
    return { ...input, deleted };
  });
}
