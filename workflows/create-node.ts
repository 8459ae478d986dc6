// `ferry node create NAME ADDRESS`: records the node in the catalog. It becomes Online when its
// agent makes first contact (see register-node.ts).
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities, NodeSpec } from '../activities/controller/activities.js';
import { trackProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export type CreateNodeInput = NodeSpec;

export async function createNode(input: CreateNodeInput): Promise<{ node: string }> {
  upsertSearchAttributes({ FerryNode: [input.name], FerryOperation: ['node-create'] });
  const progress = trackProgress({ phase: 'recording the node in the catalog', done: 0, total: 1, unit: 'nodes' });
  await catalog.catalogCreateNode(input);
  progress.update({ phase: 'done: waiting for its agent to report', done: 1 });
  return { node: input.name };
}

export async function deleteNode(input: { name: string }): Promise<{ node: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryNode: [input.name], FerryOperation: ['node-delete'] });
  const progress = trackProgress({ phase: 'removing the node from the catalog', done: 0, total: 1, unit: 'nodes' });
  const deleted = await catalog.catalogDeleteNode(input.name);
  progress.update({ phase: 'done', done: 1 });
  return { node: input.name, deleted };
}
