// `ferry rd create RSC`, `ferry vd create RSC SIZE`, `ferry rd delete RSC`: the definitions in
// the catalog (ports and minors allocated there); rd delete first removes the resource everywhere.
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { withResourceLock } from './resource-lock.js';
import { removeFromNodes } from './delete-resource.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export async function createResourceDefinition(input: { name: string; resourceGroup?: string; port?: number }): Promise<{ name: string; port: number }> {
  upsertSearchAttributes({ FerryResource: [input.name], FerryOperation: ['rd-create'] });
  return withResourceLock(input.name, () => catalog.catalogCreateResourceDefinition({ ...input, requestId: workflowInfo().workflowId + '/' + workflowInfo().runId }));
}

export async function createVolumeDefinition(input: { resource: string; volumeNumber: number; sizeBytes: number; minor?: number }): Promise<{ volumeNumber: number; minor: number; sizeBytes: number }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['vd-create'] });
  return withResourceLock(input.resource, () => catalog.catalogCreateVolumeDefinition(input));
}

export async function deleteResourceDefinition(input: { resource: string }): Promise<{ resource: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['rd-delete'] });
  return withResourceLock(input.resource, async () => {
    const layout = await catalog.catalogResourceLayout(input.resource).catch(() => null);
    if (layout) await removeFromNodes(layout, layout.nodes.map((n) => n.node));
    const deleted = await catalog.catalogDeleteResourceDefinition(input.resource);
    return { resource: input.resource, deleted };
  });
}
