// Auto-evict (workflow `auto-evict`, one per cluster, started by the controller at start): every
// check interval it reads node liveness from the catalog (last report of each agent) and applies
// DrbdOptions/AutoEvictAfterTime (minutes; node over controller; 60), AutoEvictMaxDisconnectedNodes
// (percent of nodes offline above which nobody is evicted; 34; 0 = off) and AutoEvictAllowEviction
// (false on a node: never evicted). A node due for eviction gets an `evict/<node>` workflow
// (evacuateNode with kind evict), which flags it EVICTED and re-places its resources, trying again
// while placement is impossible. The `progress` query shows each offline node's countdown.
import { continueAsNew, ParentClosePolicy, proxyActivities, sleep, startChild, upsertSearchAttributes } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AutoEvictScan, ControllerActivities } from '../activities/controller/activities.js';
import { operationMetadata } from '../core/operations.js';
import { evacuateNode } from './evacuate-node.js';
import { computedProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export interface AutoEvictInput {
  checkIntervalMs: number;
  /** The length of one minute of AutoEvictAfterTime: 60000, shorter only in tests. */
  minuteMs: number;
}


export async function autoEvict(input: AutoEvictInput): Promise<void> {
  upsertSearchAttributes({ FerryOperation: ['auto-evict'] });
  let last: AutoEvictScan | null = null;
  // core/progress's shape next to the last scan's fields (offline nodes, countdowns, hold reason)
  const shown = computedProgress(() => ({
    ...last,
    phase: last === null ? 'reading node liveness' : last.evict.length ? `evicting ${last.evict.join(', ')}` : 'watching node liveness',
    // offline nodes of all nodes; why nobody is evicted, when that rule applied
    done: last?.offline.length ?? 0, total: last?.nodes ?? 0, unit: 'nodes offline',
    ...(last?.offline.length ? { message: `offline: ${last.offline.join(', ')}` } : {}), blockedReason: last?.holdReason ?? null,
  }));
  shown.show();
  for (let i = 0; i < 200; i++) {
    last = await catalog.catalogAutoEvictScan({ minuteMs: input.minuteMs });
    shown.show();
    for (const node of last.evict) {
      try {
        await startChild(evacuateNode, {
          workflowId: `evict/${node}`,
          args: [{ node, kind: 'evict' }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          ...operationMetadata('evictNode', `evict/${node}`, { Node: node }),
        });
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }
    }
    await sleep(input.checkIntervalMs);
  }
  await continueAsNew<typeof autoEvict>(input);
}
