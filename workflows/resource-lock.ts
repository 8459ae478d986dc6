// Serialises mutations of one resource definition: a lock row in the catalog held by the workflow.
// A busy lock fails the activity with a retryable error, so the retry policy is the queue: the
// next workflow waits its turn (up to an hour) instead of failing or interleaving.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';

const locks = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 1.5, maximumInterval: '5 seconds', nonRetryableErrorTypes: ['ValidationError'] },
});

export async function withResourceLock<T>(resource: string, fn: () => Promise<T>): Promise<T> {
  const holder = workflowInfo().workflowId;
  await locks.catalogLockResource({ resource, holder });
  try {
    return await fn();
  } finally {
    await locks.catalogUnlockResource({ resource, holder });
  }
}
