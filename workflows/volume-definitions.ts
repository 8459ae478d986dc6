// `ferry vd delete RSC VLMNR` (`vd-delete/<rsc>/<vlmnr>`) and LINSTOR's volume-definition modify with
// both a size and properties (`vd-modify/<rsc>/<vlmnr>/...`): under the resource's lock, as every
// change of one resource definition. A volume definition is deleted only while no resource of its
// definition is deployed (the API refuses before, the activity checks again under the lock).
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { withResourceLock } from './resource-lock.js';
import { trackProgress } from './progress.js';
import { resizeVolumeDefinition, setObjectProperties } from './resource-groups.js';

export { progressQuery } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export async function deleteVolumeDefinition(input: { resource: string; volumeNumber: number }): Promise<{ resource: string; volumeNumber: number; deleted: boolean }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['vd-delete'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 1, unit: 'definitions' });
  return withResourceLock(input.resource, async () => {
    progress.update({ phase: 'removing the volume definition' });
    const deleted = await catalog.catalogDeleteVolumeDefinition(input);
    progress.update({ phase: 'done', done: 1 });
    return { ...input, deleted };
  });
}

/** Properties first (a catalog change), then the growth of every replica; each under the lock in turn. */
export async function modifyVolumeDefinition(input: { resource: string; volumeNumber: number; sizeBytes: number; changes: Record<string, string | null> }): Promise<{ resource: string; volumeNumber: number; sizeBytes: number; changed: string[] }> {
  const { changes, ...size } = input;
  const props = await setObjectProperties({ target: { kind: 'volume-definition', resource: input.resource, volumeNumber: input.volumeNumber }, changes });
  await resizeVolumeDefinition(size);
  upsertSearchAttributes({ FerryOperation: ['vd-modify'] });
  return { ...size, changed: props.changed };
}
