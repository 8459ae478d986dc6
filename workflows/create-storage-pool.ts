// `ferry storage-pool create lvmthin NODE POOL VG/THINPOOL`: looks on the node's host (lvs, on its
// own task queue) that the thin pool exists, then records the pool with the capacity it reported.
import { ApplicationFailure, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities, StoragePoolSpec } from '../activities/controller/activities.js';
import type { NodeActivities } from '../activities/node/activities.js';
import { nodeQueueFor } from '../core/operations.js';
import { trackProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export type CreateStoragePoolInput = StoragePoolSpec;

export async function createStoragePool(input: CreateStoragePoolInput): Promise<{ node: string; storagePool: string; freeBytes: number; totalBytes: number }> {
  upsertSearchAttributes({ FerryNode: [input.node], FerryOperation: ['storage-pool-create'] });
  const progress = trackProgress({ phase: `looking for ${input.vg}/${input.thinPool} on ${input.node} (lvs)`, done: 0, total: 2, unit: 'steps' });
  const host = proxyActivities<NodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, input.node),
    // only that host's agent polls its queue: do not wait for it forever
    scheduleToCloseTimeout: '2 minutes',
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
  });
  const inventory = await host.inventory();
  const pool = inventory.thinPools.find((p) => p.vg === input.vg && p.pool === input.thinPool);
  if (!pool) {
    const seen = inventory.thinPools.map((p) => `${p.vg}/${p.pool}`).join(', ') || 'none';
    throw ApplicationFailure.create({
      type: 'NotFoundError',
      nonRetryable: true,
      message: `thin pool '${input.vg}/${input.thinPool}' not found on node '${input.node}' (thin pools there: ${seen})`,
    });
  }
  progress.update({ phase: 'recording the pool', done: 1 });
  await catalog.catalogCreateStoragePool({ ...input, freeBytes: pool.freeBytes, totalBytes: pool.totalBytes });
  // refresh every pool of the node with the same inventory
  await catalog.catalogRecordInventory({ node: input.node, inventory, agentStartedAt: 0 });
  progress.update({ phase: 'done', done: 2 });
  return { node: input.node, storagePool: input.name, freeBytes: pool.freeBytes, totalBytes: pool.totalBytes };
}
