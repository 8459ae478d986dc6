// Shared by the snapshot workflows: activity proxies (node activities on the node's own queue,
// bounded retries so a failing host surfaces in seconds and the workflow can undo what it did)
// and the progress query. Deterministic code only.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { OperationProgress } from '../core/progress.js';
import type { ControllerActivities } from '../activities/controller/activities.js';
import type { SnapshotNodeActivities } from '../activities/node/snapshots.js';
import { nodeQueueFor } from '../core/operations.js';

const NON_RETRYABLE = ['ConflictError', 'ValidationError', 'NotFoundError', 'PlacementError'];

export const snapshotCatalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** lvcreate/lvremove and drbdadm on one node: 3 attempts, then the workflow decides. */
export function snapshotHost(node: string) {
  return proxyActivities<SnapshotNodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, node),
    scheduleToCloseTimeout: '5 minutes',
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '500 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
  });
}

/** resume-io and the cleanup after a failure: these must get through, so they retry longer. */
export function snapshotCleanupHost(node: string) {
  return proxyActivities<SnapshotNodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, node),
    scheduleToCloseTimeout: '30 minutes',
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '15 seconds', nonRetryableErrorTypes: ['ValidationError'] },
  });
}

/** core/progress's shape with the nodes involved. */
export interface SnapshotProgress extends OperationProgress {
  unit: string;
  nodes: string[];
}

/** The message of an activity failure (ActivityFailure -> ApplicationFailure cause). */
export function failureText(e: unknown): string {
  let cur: unknown = e;
  let msg = '';
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const m = (cur as { message?: unknown }).message;
    if (typeof m === 'string' && m) msg = m;
    cur = (cur as { cause?: unknown }).cause;
  }
  return msg || String(e);
}

/** The ApplicationFailure type of an activity failure, if any. */
export function failureType(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const t = (cur as { type?: unknown }).type;
    if (typeof t === 'string' && t) return t;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
