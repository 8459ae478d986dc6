// Controller activities for storage pools: record a pool the node's host has shown to exist,
// remove one nothing uses.
import { ApplicationFailure } from '@temporalio/activity';
import type { Catalog } from '../../catalog/index.js';

export interface StoragePoolSpec {
  node: string;
  name: string;
  provider: 'LVM_THIN';
  vg: string;
  thinPool: string;
}

export function createStoragePoolActivities(deps: { catalog: Catalog; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const { catalog } = deps;
  return {
    /**
     * Records the pool with the capacity the host reported. Idempotent: the same pool recorded
     * again is success; a pool of that name on another VG/thin pool is a conflict.
     */
    async catalogCreateStoragePool(input: StoragePoolSpec & { freeBytes: number; totalBytes: number }): Promise<void> {
      if (!(await catalog.nodes.get(input.node))) {
        throw ApplicationFailure.create({ type: 'NotFoundError', nonRetryable: true, message: `node '${input.node}' not found` });
      }
      const poolName = `${input.vg}/${input.thinPool}`;
      const created = await catalog.storagePools.create({
        node: input.node,
        name: input.name,
        provider: input.provider,
        poolName,
        freeBytes: input.freeBytes,
        totalBytes: input.totalBytes,
        props: { 'StorDriver/LvmVg': input.vg, 'StorDriver/ThinPool': input.thinPool, 'StorDriver/StorPoolName': poolName },
        now: now(),
      });
      if (created) return;
      const existing = await catalog.storagePools.get(input.node, input.name);
      if (existing && existing.provider === input.provider && existing.poolName === poolName) return;
      throw ApplicationFailure.create({
        type: 'ConflictError',
        nonRetryable: true,
        message: `storage pool '${input.name}' already exists on node '${input.node}' (${existing?.provider} ${existing?.poolName})`,
      });
    },

    /**
     * Removes the pool from the catalog if nothing uses it (LINSTOR refuses while a volume or
     * snapshot is in it). The thin pool on the host is not touched. Idempotent: a pool already
     * gone is `deleted: false`.
     */
    async catalogDeleteStoragePool(input: { node: string; name: string }): Promise<{ node: string; storagePool: string; deleted: boolean }> {
      const r = await catalog.storagePools.deleteUnused(input.node, input.name);
      if (!r.deleted && r.reason === 'in-use') {
        throw ApplicationFailure.create({ type: 'ConflictError', nonRetryable: true, message: storagePoolInUseMessage(input.node, input.name, r.resources, r.snapshots) });
      }
      return { node: input.node, storagePool: input.name, deleted: r.deleted };
    },
  };
}

/** What still holds a pool, as the refusal of `sp delete` says it. */
export function storagePoolInUseMessage(node: string, pool: string, resources: readonly string[], snapshots: readonly string[]): string {
  const held = [
    ...(resources.length ? [`resource(s) ${resources.join(', ')}`] : []),
    ...(snapshots.length ? [`snapshot(s) ${snapshots.join(', ')}`] : []),
  ].join(' and ');
  return `storage pool '${pool}' on node '${node}' is in use by ${held}; delete or move them first`;
}
