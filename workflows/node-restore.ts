// `ferry node restore NODE` (`node-restore/<node>`): EVACUATE or EVICTED cleared; resources that
// were moved stay where they are. An EVICTED node's leftovers of the resources moved away while it
// was gone (DRBD resource, .res, LVs and snapshot LVs) are removed on the host, as LINSTOR's
// satellite does when it rejoins; what the catalog still places there stays. `ferry node lost NODE` (`node-lost/<node>`): the node is gone
// for good: each of its resources (under its lock) drops it from the .res of the other replicas,
// then the catalog forgets the node. `set-property` on a node or the controller (`properties/...`).
import { patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities, ResourceLayout } from '../activities/controller/activities.js';
import type { EvacuationNodeActivities } from '../activities/node/evacuation.js';
import { nodeQueueFor } from '../core/operations.js';
import { hostOf } from './delete-resource.js';
import { withResourceLock } from './resource-lock.js';
import { trackProgress } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError'] },
});

/** Waiting for an evacuation to end: as long as its clean-up takes; heartbeating every 2 s, so a lost controller is noticed in 30 s and the retry waits again. */
const stopping = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

/** `node lost` first stops a running evacuation or eviction of the node (histories from before: it did not). */
export const NODE_LOST_STOPS_MOVES = 'node-lost-stops-moves';

export interface RestoreNodeResult {
  node: string;
  wasEvicted: boolean;
  wasEvacuating: boolean;
  /** Leftovers removed from an EVICTED node's host: resources and their LVs (vg/lv). */
  cleaned: { resources: string[]; lvs: string[] };
}

export async function restoreNode(input: { node: string }): Promise<RestoreNodeResult> {
  upsertSearchAttributes({ FerryNode: [input.node], FerryOperation: ['node-restore'] });
  const progress = trackProgress({ phase: 'clearing the EVACUATE/EVICTED flag', done: 0, total: 0, unit: 'resources' });
  // read before the flag and the recorded moves go; the cleanup then works from this history
  const stale = await catalog.catalogStaleResources(input.node);
  const r = await catalog.catalogRestoreNode(input.node);
  let cleaned: RestoreNodeResult['cleaned'] = { resources: [], lvs: [] };
  if (stale.evicted) {
    progress.update({ phase: `removing leftovers of moved resources on ${input.node}`, total: stale.candidates.length });
    const host = proxyActivities<EvacuationNodeActivities>({
      taskQueue: nodeQueueFor(workflowInfo().taskQueue, input.node),
      // the API restores only an ONLINE node; a node cut off again meanwhile is waited for
      scheduleToCloseTimeout: '30 minutes',
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '1 second', maximumInterval: '10 seconds', nonRetryableErrorTypes: ['ValidationError'] },
    });
    cleaned = await host.removeStaleResources({ keep: stale.keep, candidates: stale.candidates });
  }
  progress.update({ phase: 'done', done: progress.get().total, message: `${cleaned.resources.length} leftover resource(s) removed` });
  return { ...r, cleaned };
}

export async function loseNode(input: { node: string }): Promise<{ node: string; resources: string[] }> {
  upsertSearchAttributes({ FerryNode: [input.node], FerryOperation: ['node-lost'] });
  const progress = trackProgress({ phase: 'reading the node\'s resources', done: 0, total: 0, unit: 'resources' });
  if (patched(NODE_LOST_STOPS_MOVES)) {
    progress.update({ phase: `stopping a running evacuation or eviction of ${input.node}` });
    await stopping.catalogStopNodeMoves({ node: input.node });
    progress.update({ phase: 'reading the node\'s resources' });
  }
  const { resources } = await catalog.catalogEvacuationState(input.node);
  progress.update({ phase: `dropping ${input.node} from its resources`, total: resources.length });
  for (const [i, { resource }] of resources.entries()) {
    progress.update({ message: resource });
    await withResourceLock(resource, async () => {
      const layout = await catalog.catalogResourceLayout(resource);
      const rest: ResourceLayout = { ...layout, nodes: layout.nodes.filter((n) => n.node !== input.node) };
      await Promise.all(rest.nodes.map(async (n) => {
        await hostOf(n.node).writeDrbdResourceFile(rest);
        await hostOf(n.node).adjustDrbd(resource);
      }));
      await catalog.catalogDeleteResource({ resource, node: input.node });
    });
    progress.update({ done: i + 1 });
  }
  progress.update({ phase: 'forgetting the node', message: undefined });
  await catalog.catalogForgetNode(input.node);
  progress.update({ phase: 'done' });
  return { node: input.node, resources: resources.map((r) => r.resource) };
}

export async function setProperties(input: { node?: string; changes: Record<string, string | null> }): Promise<{ node: string | null; changed: string[] }> {
  upsertSearchAttributes({ ...(input.node ? { FerryNode: [input.node] } : {}), FerryOperation: ['set-property'] });
  const progress = trackProgress({ phase: 'setting the properties', done: 0, total: Object.keys(input.changes).length, unit: 'properties' });
  await catalog.catalogSetProperties(input);
  progress.update({ phase: 'done', done: progress.get().total });
  return { node: input.node ?? null, changed: Object.keys(input.changes) };
}
