// Starts the cluster's auto-evict workflow (`auto-evict`) when a controller starts; a second
// controller, or a restart, joins the running one (USE_EXISTING). FERRY_AUTO_EVICT_CHECK_MS sets
// how often it looks (default 60 s); FERRY_AUTO_EVICT_MINUTE_MS is for tests only: the length of
// one minute of DrbdOptions/AutoEvictAfterTime (default 60000), whose unit stays minutes.
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { evacuationIds } from '../core/evacuation.js';
import type { Logger } from './logger.js';

export async function startAutoEvict(client: Client, taskQueue: string, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const checkIntervalMs = Math.max(100, Number(env.FERRY_AUTO_EVICT_CHECK_MS ?? 60_000) || 60_000);
  const minuteMs = Math.max(1, Number(env.FERRY_AUTO_EVICT_MINUTE_MS ?? 60_000) || 60_000);
  try {
    await client.workflow.start('autoEvict', {
      taskQueue,
      workflowId: evacuationIds.autoEvict,
      args: [{ checkIntervalMs, minuteMs }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: 'Auto-evict: evicts nodes offline longer than DrbdOptions/AutoEvictAfterTime',
    });
  } catch (e) {
    log.warn({ err: e }, 'could not start the auto-evict workflow; nodes will not be evicted automatically');
  }
}
