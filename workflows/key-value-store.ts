// LINSTOR's key-value store as workflows (`kvs-modify/<instance>/...`, `kvs-delete/<instance>`): a
// catalog change each, under no resource lock (an instance belongs to no resource definition).
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { trackProgress } from './progress.js';

export { progressQuery } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

export async function modifyKeyValueStore(input: { name: string; changes: Record<string, string | null> }): Promise<{ name: string; keys: number }> {
  upsertSearchAttributes({ FerryOperation: ['kvs-modify'] });
  const progress = trackProgress({ phase: 'changing the key-value store', done: 0, total: 1, unit: 'instances' });
  const r = await catalog.catalogModifyKeyValueStore(input);
  progress.update({ phase: 'done', done: 1 });
  return r;
}

export async function deleteKeyValueStore(input: { name: string }): Promise<{ name: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryOperation: ['kvs-delete'] });
  const progress = trackProgress({ phase: 'removing the key-value store', done: 0, total: 1, unit: 'instances' });
  const deleted = await catalog.catalogDeleteKeyValueStore(input.name);
  progress.update({ phase: 'done', done: 1 });
  return { name: input.name, deleted };
}
