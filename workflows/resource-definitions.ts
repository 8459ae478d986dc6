// `ferry rd create RSC`, `ferry vd create RSC SIZE`, `ferry rd delete RSC`: the definitions in
// the catalog (ports and minors allocated there); rd delete first removes the resource everywhere.
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { withResourceLock } from './resource-lock.js';
import { removeFromNodes } from './delete-resource.js';
import { trackProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export async function createResourceDefinition(input: { name: string; resourceGroup?: string; port?: number }): Promise<{ name: string; port: number }> {
  upsertSearchAttributes({ FerryResource: [input.name], FerryOperation: ['rd-create'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 1, unit: 'definitions' });
  return withResourceLock(input.name, async () => {
    progress.update({ phase: 'recording the definition (DRBD port)' });
    const r = await catalog.catalogCreateResourceDefinition({ ...input, requestId: workflowInfo().workflowId + '/' + workflowInfo().runId });
    progress.update({ phase: 'done', done: 1, message: `port ${r.port}` });
    return r;
  });
}

export async function createVolumeDefinition(input: { resource: string; volumeNumber: number; sizeBytes: number; minor?: number }): Promise<{ volumeNumber: number; minor: number; sizeBytes: number }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['vd-create'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 1, unit: 'definitions' });
  return withResourceLock(input.resource, async () => {
    progress.update({ phase: 'recording the volume definition (DRBD minor)' });
    const r = await catalog.catalogCreateVolumeDefinition(input);
    progress.update({ phase: 'done', done: 1, message: `volume ${r.volumeNumber}, minor ${r.minor}` });
    return r;
  });
}

export async function deleteResourceDefinition(input: { resource: string }): Promise<{ resource: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['rd-delete'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 0, unit: 'nodes' });
  return withResourceLock(input.resource, async () => {
    const layout = await catalog.catalogResourceLayout(input.resource).catch(() => null);
    const nodes = layout?.nodes.map((n) => n.node) ?? [];
    progress.update({ phase: 'removing the resource from its nodes (drbdadm down, lvremove)', total: nodes.length, message: nodes.join(', ') });
    if (layout) await removeFromNodes(layout, nodes);
    progress.update({ phase: 'removing the definitions', done: nodes.length });
    const deleted = await catalog.catalogDeleteResourceDefinition(input.resource);
    progress.update({ phase: 'done' });
    return { resource: input.resource, deleted };
  });
}
