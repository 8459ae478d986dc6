// `ferry storage-pool delete NODE POOL`: removes the pool from the catalog when no resource and no
// snapshot uses it (checked in one catalog transaction); the thin pool on the host stays, as in LINSTOR.
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { trackProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  // in use or gone is an answer, not a failure to retry
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export async function deleteStoragePool(input: { node: string; name: string }): Promise<{ node: string; storagePool: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryNode: [input.node], FerryOperation: ['storage-pool-delete'] });
  const progress = trackProgress({ phase: `removing storage pool '${input.name}' of ${input.node}`, done: 0, total: 1, unit: 'pools' });
  const r = await catalog.catalogDeleteStoragePool(input);
  progress.update({ phase: 'done', done: 1 });
  return r;
}
