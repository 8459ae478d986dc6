// `ferry node restore NODE` (`node-restore/<node>`): EVACUATE or EVICTED cleared; resources that
// were moved stay where they are. `ferry node lost NODE` (`node-lost/<node>`): the node is gone
// for good: each of its resources (under its lock) drops it from the .res of the other replicas,
// then the catalog forgets the node. `set-property` on a node or the controller (`properties/...`).
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities, ResourceLayout } from '../activities/controller/activities.js';
import { hostOf } from './delete-resource.js';
import { withResourceLock } from './resource-lock.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export async function restoreNode(input: { node: string }): Promise<{ node: string; wasEvicted: boolean; wasEvacuating: boolean }> {
  upsertSearchAttributes({ FerryNode: [input.node], FerryOperation: ['node-restore'] });
  return catalog.catalogRestoreNode(input.node);
}

export async function loseNode(input: { node: string }): Promise<{ node: string; resources: string[] }> {
  upsertSearchAttributes({ FerryNode: [input.node], FerryOperation: ['node-lost'] });
  const { resources } = await catalog.catalogEvacuationState(input.node);
  for (const { resource } of resources) {
    await withResourceLock(resource, async () => {
      const layout = await catalog.catalogResourceLayout(resource);
      const rest: ResourceLayout = { ...layout, nodes: layout.nodes.filter((n) => n.node !== input.node) };
      await Promise.all(rest.nodes.map(async (n) => {
        await hostOf(n.node).writeDrbdResourceFile(rest);
        await hostOf(n.node).adjustDrbd(resource);
      }));
      await catalog.catalogDeleteResource({ resource, node: input.node });
    });
  }
  await catalog.catalogForgetNode(input.node);
  return { node: input.node, resources: resources.map((r) => r.resource) };
}

export async function setProperties(input: { node?: string; changes: Record<string, string | null> }): Promise<{ node: string | null; changed: string[] }> {
  upsertSearchAttributes({ ...(input.node ? { FerryNode: [input.node] } : {}), FerryOperation: ['set-property'] });
  await catalog.catalogSetProperties(input);
  return { node: input.node ?? null, changed: Object.keys(input.changes) };
}
