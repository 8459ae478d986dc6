// First contact of a node agent: takes the host's inventory on the node's own task queue
// (vgs / lvs on that host) and records it in the catalog, which makes the node Online.
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import type { NodeActivities } from '../activities/node/activities.js';
import { nodeQueueFor } from '../core/operations.js';
import { trackProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['NotFoundError'] },
});

export interface RegisterNodeInput {
  node: string;
  agentStartedAt: number;
}

export async function registerNode(input: RegisterNodeInput): Promise<{ node: string; thinPools: number }> {
  upsertSearchAttributes({ FerryNode: [input.node], FerryOperation: ['node-register'] });
  const progress = trackProgress({ phase: `taking the inventory of ${input.node} (vgs, lvs)`, done: 0, total: 2, unit: 'steps' });
  // Only that host's agent polls its queue: bound how long the task may wait for it.
  const host = proxyActivities<NodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, input.node),
    scheduleToCloseTimeout: '5 minutes',
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
  });
  const inventory = await host.inventory();
  progress.update({ phase: 'recording the inventory', done: 1, message: `${inventory.thinPools.length} thin pool(s)` });
  await catalog.catalogRecordInventory({ node: input.node, inventory, agentStartedAt: input.agentStartedAt });
  progress.update({ phase: 'done', done: 2 });
  return { node: input.node, thinPools: inventory.thinPools.length };
}
