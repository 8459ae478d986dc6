// Serialises mutations of one resource definition: a lock row in the catalog held by the workflow.
// A busy lock fails the activity with a retryable error, so the retry policy is the queue: the
// next workflow waits its turn (up to an hour) instead of failing or interleaving.
//
// The lock is first tried as a local activity (the catalog is the controller worker's own, so no
// task-queue round trip through the Temporal server); only a busy lock falls back to the queued
// activity above, whose retries are the wait. Histories from before that change replay their
// plain activities (patch `resource-lock-local-first`).
//
// `{ local: false }` keeps to queued activities: for locks taken by coroutines that run side by side
// in one workflow (an evacuation's moves). Local activities that resolve while another coroutine's
// activity completes are handed to the workflow in completion order when live and in scheduling
// order on replay, so the commands that follow them can come in another order on replay: a
// nondeterminism error (seen on `evacuate/node2` of the operator story; SDK 1.24).
import { CancellationScope, isCancellation, patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';

const locks = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 1.5, maximumInterval: '5 seconds', nonRetryableErrorTypes: ['ValidationError'] },
});

/** One try at the lock, in the controller worker itself; a busy lock is not retried here. */
const localLocks = proxyLocalActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 3, nonRetryableErrorTypes: ['ValidationError', 'ResourceBusy'] },
});

/** Unlock in the controller worker; retried like any catalog step. */
const localUnlock = proxyLocalActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 10 },
});

export const RESOURCE_LOCK_LOCAL_FIRST = 'resource-lock-local-first';

export async function withResourceLock<T>(resource: string, fn: () => Promise<T>, opts: { local?: boolean } = {}): Promise<T> {
  const holder = workflowInfo().workflowId;
  const localFirst = patched(RESOURCE_LOCK_LOCAL_FIRST) && opts.local !== false;
  if (localFirst) {
    try {
      await localLocks.catalogLockResource({ resource, holder });
    } catch (e) {
      if (isCancellation(e)) throw e;
      // busy (or the local try failed): wait in the queue of the retried activity
      await locks.catalogLockResource({ resource, holder });
    }
  } else {
    await locks.catalogLockResource({ resource, holder });
  }
  try {
    return await fn();
  } finally {
    // also when the workflow is cancelled: a cancelled scope would cancel the unlock itself and
    // leave the lock held by a workflow that has ended
    await CancellationScope.nonCancellable(async () => {
      if (localFirst) await localUnlock.catalogUnlockResource({ resource, holder });
      else await locks.catalogUnlockResource({ resource, holder });
    });
  }
}
