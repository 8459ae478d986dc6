// Controller activities: the only code that changes the catalog. Built by a factory that closes
// over the catalog, so tests and the controller worker pass the real one.
import { ApplicationFailure } from '@temporalio/activity';
import type { Catalog, HostInventory } from '../../catalog/index.js';
import { createStoragePoolActivities } from './storage-pools.js';
import { createResourceActivities } from './resources.js';
import { createEvacuationActivities } from './evacuation.js';
import { createSnapshotActivities } from './snapshots.js';
import { createBackupActivities } from './backups.js';
import { createScheduleActivities } from './schedules.js';
import { createResourceGroupActivities } from './resource-groups.js';
import { createAutoSnapshotActivities } from './auto-snapshot.js';
import { createDoctorActivities } from './doctor.js';
import { createKeyValueStoreActivities } from './key-value-store.js';

export interface NodeSpec {
  name: string;
  address: string;
  port: number;
}

export function createControllerActivities(deps: { catalog: Catalog; now?: () => number; offlineAfterMs?: number }) {
  const now = deps.now ?? Date.now;
  const { catalog } = deps;
  return {
    ...createStoragePoolActivities(deps),
    ...createResourceActivities(deps),
    ...createEvacuationActivities(deps),
    ...createSnapshotActivities(deps),
    ...createBackupActivities(deps),
    ...createScheduleActivities(deps),
    ...createResourceGroupActivities(deps),
    ...createAutoSnapshotActivities(deps),
    ...createDoctorActivities(deps),
    ...createKeyValueStoreActivities(deps),
    /** Idempotent for a retry of the same request: an existing node with the same address is success. */
    async catalogCreateNode(spec: NodeSpec): Promise<void> {
      const created = await catalog.nodes.create({ ...spec, now: now() });
      if (created) return;
      const existing = await catalog.nodes.get(spec.name);
      if (existing && existing.address === spec.address && existing.port === spec.port) return;
      throw ApplicationFailure.nonRetryable(`node '${spec.name}' already exists`, 'ConflictError');
    },

    async catalogDeleteNode(name: string): Promise<boolean> {
      return catalog.nodes.delete(name);
    },

    async catalogRecordInventory(input: { node: string; inventory: HostInventory; agentStartedAt: number }): Promise<void> {
      if (!(await catalog.nodes.get(input.node))) {
        throw ApplicationFailure.nonRetryable(`node '${input.node}' does not exist`, 'NotFoundError');
      }
      await catalog.nodes.recordInventory(input.node, input.inventory, input.agentStartedAt);
    },
  };
}

export type ControllerActivities = ReturnType<typeof createControllerActivities>;
export type { StoragePoolSpec } from './storage-pools.js';
export type { ResourceLayout, PlaceResourceInput } from './resources.js';
export type { SnapshotPlan } from './snapshots.js';
export type { AutoEvictScan, MovePlan, PlannedMove } from './evacuation.js';
