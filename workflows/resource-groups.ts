// Resource groups, properties and volume growth as workflows:
//   `rg create|modify|delete` (`rg-create/<rg>`...): the catalog row, under no resource lock;
//   `rg spawn RG RSC SIZE...` (`rg-spawn/<rsc>`): under the resource's lock, the definition in the
//     group with its volumes, then the same steps as `r create --auto-place` with the group's filter;
//   `set-property` on a resource group, resource definition, resource or storage pool
//     (`properties/<kind>/<object>/<keys>`): the catalog, then, for DRBD options
//     (DrbdOptions/<Section>/<option>), every replica's .res rewritten and adjusted; for
//     DrbdOptions/AutoSnapshot/*, the auto-snapshot/<rsc> Temporal Schedules reconciled;
//   `rd modify RSC --resource-group RG` (`rd-modify/<rsc>`): the definition moves under its lock,
//     its replicas' .res follow the new group's DRBD options;
//   `vd set-size RSC VLMNR SIZE` (`vd-resize/<rsc>/<vlmnr>`): every diskful replica's LV grows,
//     `drbdadm resize` on one node, then the catalog records the size.
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import type { PropertyTarget, SelectFilter } from '../catalog/resource-groups.js';
import type { ResizeNodeActivities } from '../activities/node/resize.js';
import { nodeQueueFor } from '../core/operations.js';
import { drbdOptionOfKey } from '../core/drbd-props.js';
import { AUTO_SNAPSHOT_KEY_PREFIX } from '../core/auto-snapshot.js';
import { deployResource } from './create-resource.js';
import { hostOf } from './delete-resource.js';
import { withResourceLock } from './resource-lock.js';
import { trackProgress } from './progress.js';

export { progressQuery } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConflictError', 'ValidationError', 'NotFoundError', 'PlacementError'] },
});

function resizeOn(node: string) {
  return proxyActivities<ResizeNodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, node),
    scheduleToCloseTimeout: '10 minutes',
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', nonRetryableErrorTypes: ['ValidationError', 'ConflictError', 'NotFoundError'] },
  });
}

export async function createResourceGroup(input: { name: string; description?: string; selectFilter: SelectFilter; props?: Record<string, string> }): Promise<{ name: string; created: boolean }> {
  upsertSearchAttributes({ FerryOperation: ['rg-create'] });
  const progress = trackProgress({ phase: 'recording the resource group', done: 0, total: 1, unit: 'groups' });
  const r = await catalog.catalogCreateResourceGroup(input);
  progress.update({ phase: 'done', done: 1 });
  return r;
}

export async function modifyResourceGroup(input: { name: string; description?: string; selectFilter: Partial<Record<keyof SelectFilter, unknown>>; changes?: Record<string, string | null> }): Promise<SelectFilter> {
  upsertSearchAttributes({ FerryOperation: ['rg-modify'] });
  const progress = trackProgress({ phase: 'changing the resource group', done: 0, total: 1, unit: 'groups' });
  const { changes, ...filter } = input;
  const r = await catalog.catalogModifyResourceGroup(filter);
  // properties in the same request (LINSTOR's ResourceGroupModify): as `set-property` on the group
  if (changes && Object.keys(changes).length) await setGroupProperties({ target: { kind: 'resource-group', name: input.name }, changes }, progress);
  progress.update({ phase: 'done', done: 1 });
  return r;
}

export async function deleteResourceGroup(input: { name: string }): Promise<{ name: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryOperation: ['rg-delete'] });
  const progress = trackProgress({ phase: 'removing the resource group', done: 0, total: 1, unit: 'groups' });
  const deleted = await catalog.catalogDeleteResourceGroup(input.name);
  progress.update({ phase: 'done', done: 1 });
  return { name: input.name, deleted };
}

export async function spawnResources(input: { resourceGroup: string; resource: string; sizes: number[] }): Promise<{ resource: string; nodes: string[]; added: string[] }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['rg-spawn'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 0, unit: 'nodes' });
  return withResourceLock(input.resource, async () => {
    progress.update({ phase: `defining '${input.resource}' in resource group '${input.resourceGroup}'` });
    const place = await catalog.catalogSpawnDefinitions(input);
    return deployResource(place, progress);
  });
}

/** Rewrites the .res of a resource on every replica (new DRBD options) and adjusts DRBD. */
async function applyDrbdOptions(resource: string): Promise<void> {
  const layout = await catalog.catalogResourceLayout(resource);
  await Promise.all(layout.nodes.map(async (n) => {
    if (await hostOf(n.node).writeDrbdResourceFile(layout)) await hostOf(n.node).adjustDrbd(resource);
  }));
}

export async function setObjectProperties(input: { target: PropertyTarget; changes: Record<string, string | null> }): Promise<{ changed: string[]; adjusted: string[] }> {
  const t = input.target;
  upsertSearchAttributes({
    FerryOperation: ['set-property'],
    ...('resource' in t ? { FerryResource: [t.resource] } : {}),
    ...('node' in t ? { FerryNode: [t.node] } : {}),
  });
  const changed = Object.keys(input.changes);
  const progress = trackProgress({ phase: 'setting the properties', done: 0, total: 0, unit: 'resources', message: changed.join(', ') });
  const drbd = changed.some((k) => drbdOptionOfKey(k) !== null);
  // AutoSnapshot settings: the auto-snapshot/<rsc> Schedules follow (idempotent)
  const autoSnapshot = changed.some((k) => k.startsWith(AUTO_SNAPSHOT_KEY_PREFIX));
  if (t.kind === 'resource-definition' || t.kind === 'volume-definition' || t.kind === 'resource') {
    return withResourceLock(t.resource, async () => {
      await catalog.catalogSetObjectProperties(input);
      if (drbd) {
        progress.update({ phase: 'rewriting the .res and adjusting DRBD', total: 1 });
        await applyDrbdOptions(t.resource);
      }
      if (autoSnapshot) await catalog.autoSnapshotReconcile({});
      progress.update({ phase: 'done', done: drbd ? 1 : 0 });
      return { changed, adjusted: drbd ? [t.resource] : [] };
    });
  }
  const adjusted = await setGroupProperties(input, progress);
  progress.update({ phase: 'done' });
  return { changed, adjusted };
}

/**
 * `rd modify RSC --resource-group RG` (LINSTOR's ResourceDefinitionModify `resource_group`), with
 * property changes of the same request: under the resource's lock the definition moves; what it
 * inherits from the group changes with it, so every replica's .res is rewritten (adjusted only if
 * it differs) and the auto-snapshot Schedules are reconciled.
 */
export async function modifyResourceDefinition(input: { resource: string; resourceGroup?: string; changes?: Record<string, string | null> }): Promise<{ resource: string; resourceGroup?: string; moved: boolean; changed: string[] }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['rd-modify'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 1, unit: 'definitions' });
  let moved = false;
  if (input.resourceGroup !== undefined) {
    const group = input.resourceGroup;
    moved = await withResourceLock(input.resource, async () => {
      progress.update({ phase: `moving to resource group '${group}'` });
      const m = await catalog.catalogSetDefinitionGroup({ resource: input.resource, resourceGroup: group });
      if (m) {
        progress.update({ phase: 'rewriting the .res with the new group\'s DRBD options' });
        await applyDrbdOptions(input.resource);
        await catalog.autoSnapshotReconcile({});
      }
      return m;
    });
  }
  const changes = input.changes ?? {};
  if (Object.keys(changes).length) await setObjectProperties({ target: { kind: 'resource-definition', resource: input.resource }, changes });
  progress.update({ phase: 'done', done: 1 });
  return { resource: input.resource, ...(input.resourceGroup !== undefined ? { resourceGroup: input.resourceGroup } : {}), moved, changed: Object.keys(changes) };
}

/** Properties of a resource group or a storage pool: the catalog, the Schedules, and the .res of a group's definitions. */
async function setGroupProperties(input: { target: PropertyTarget; changes: Record<string, string | null> }, progress: ReturnType<typeof trackProgress>): Promise<string[]> {
  const t = input.target;
  const changed = Object.keys(input.changes);
  const drbd = changed.some((k) => drbdOptionOfKey(k) !== null);
  const autoSnapshot = changed.some((k) => k.startsWith(AUTO_SNAPSHOT_KEY_PREFIX));
  await catalog.catalogSetObjectProperties(input);
  if (autoSnapshot) await catalog.autoSnapshotReconcile({});
  const adjusted: string[] = [];
  if (drbd && t.kind === 'resource-group') {
    const rscs = await catalog.catalogDefinitionsOfGroup(t.name);
    progress.update({ phase: 'rewriting the .res and adjusting DRBD', total: rscs.length });
    for (const rsc of rscs) {
      await withResourceLock(rsc, () => applyDrbdOptions(rsc));
      adjusted.push(rsc);
      progress.update({ done: adjusted.length });
    }
  }
  return adjusted;
}

export async function resizeVolumeDefinition(input: { resource: string; volumeNumber: number; sizeBytes: number }): Promise<{ resource: string; volumeNumber: number; sizeBytes: number; deviceBytes: number | null }> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['vd-resize'] });
  const progress = trackProgress({ phase: 'waiting for the resource lock', done: 0, total: 0, unit: 'replicas' });
  return withResourceLock(input.resource, async () => {
    const layout = await catalog.catalogResourceLayout(input.resource);
    const vd = layout.volumes.find((v) => v.volumeNumber === input.volumeNumber);
    if (!vd) throw new Error(`volume ${input.volumeNumber} of '${input.resource}' is gone`);
    const diskful = layout.nodes.filter((n) => !n.diskless && n.vg);
    progress.update({ phase: 'growing the logical volumes', total: diskful.length });
    await Promise.all(diskful.map(async (n) => {
      await resizeOn(n.node).growResourceVolume({ resource: input.resource, vg: n.vg!, volumeNumber: input.volumeNumber, sizeBytes: input.sizeBytes });
      progress.update({ done: progress.get().done + 1 });
    }));
    let deviceBytes: number | null = null;
    const first = [...layout.nodes].sort((a, b) => a.nodeId - b.nodeId)[0];
    if (first) {
      progress.update({ phase: 'drbdadm resize' });
      deviceBytes = await resizeOn(first.node).resizeDrbdVolume({ resource: input.resource, volumeNumber: input.volumeNumber });
    }
    await catalog.catalogGrowVolumeDefinition(input);
    progress.update({ phase: 'done' });
    return { ...input, deviceBytes };
  });
}
