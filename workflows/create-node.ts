// `ferry node create NAME ADDRESS`: records the node in the catalog. It becomes Online when its
// agent makes first contact (see register-node.ts).
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities, NodeSpec } from '../activities/controller/activities.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export type CreateNodeInput = NodeSpec;

export async function createNode(input: CreateNodeInput): Promise<{ node: string }> {
  upsertSearchAttributes({ FerryNode: [input.name], FerryOperation: ['node-create'] });
  await catalog.catalogCreateNode(input);
  return { node: input.name };
}

export async function deleteNode(input: { name: string }): Promise<{ node: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryNode: [input.name], FerryOperation: ['node-delete'] });
  const deleted = await catalog.catalogDeleteNode(input.name);
  return { node: input.name, deleted };
}
